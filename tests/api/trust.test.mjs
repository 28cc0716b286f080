// trust: trust scores per data set (trust-scores.d.ts, SPEC §5, issue 4) and
// their product aggregates, recomputed here with this file's own arithmetic
// from the formulas of docs/trust.md:
//
//   metric m in [0,1] or not applicable; axis A = Σ wᵢ·mᵢ with the nominal
//   metric weights renormalised over the applicable metrics; overall S = Σ Wₐ·Aₐ
//   over the enabled and applicable axes, tenant weights renormalised over them.
//   VALIDITY_QUALITY = validity; COMPLETENESS_QUALITY = completeness;
//   DISCOVERABILITY: description .25, tags .15, field descriptions .25 (ratio),
//     field tags .10 (ratio), in an activated product .25;
//   TIMELINESS_FRESHNESS = 1 if age ≤ P else 0.5^((age − P)/P), P =
//     properties.expectedUpdatePeriod (ISO 8601), default 1 day;
//   DIVERSITY: volume .4 = min(1, log10(1+rows)/6), evenness .3 = mean over
//     fields of the normalised Shannon entropy of the most frequent values,
//     source .3 = mean over fields of min(1, distinct/non-empty);
//   USAGE: apps .5 = 1 − 1/(1+p2(products)), app views .5 = 1 − 1/(1+p2(activated products)),
//   p2(n) = n rounded down to a power of two (docs/trust.md).
// On the wire every score and weight is × 100 (docs/trust.md "Scale",
// docs/decisions.md "Trust score scale"); the settings endpoint likewise.
// docs/decisions.md "Trust scores": a score is recomputed by events (a quality
// computation finishing, the data set changing, a product adding or dropping
// it) and on request (recomputeUsage: true, or when none exists yet); plain
// reads return the stored result. Tests read plainly after such an event and
// ask for recomputeUsage otherwise (activation, file age, settings).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { DP, ISO_MS_RE, assertError, uniqueName, computeQuality as computeQualityOf, derivedSettled } from './lib/fixtures.mjs';

const DQ = '/api/data-governance/data-qualities';
const TRUST = '/api/data-governance/trust-scores/results/data-sets/actions/filter';
const SETTINGS = '/api/data-governance/trust-scores/settings';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];
const DAY = 86400000;

const AXES = ['VALIDITY', 'COMPLETENESS', 'DISCOVERABILITY', 'TIMELINESS', 'DIVERSITY', 'USAGE'];
const METRICS = {
  VALIDITY: [['VALIDITY_QUALITY', 1]],
  COMPLETENESS: [['COMPLETENESS_QUALITY', 1]],
  DISCOVERABILITY: [['DISCOVERABILITY_DESCRIPTION', 0.25], ['DISCOVERABILITY_TAGS', 0.15],
    ['DISCOVERABILITY_FIELD_DESCRIPTION', 0.25], ['DISCOVERABILITY_FIELD_TAGS', 0.10], ['DISCOVERABILITY_ACTIVATED', 0.25]],
  TIMELINESS: [['TIMELINESS_FRESHNESS', 1]],
  DIVERSITY: [['DIVERSITY_VOLUME', 0.4], ['DIVERSITY_EVENNESS', 0.3], ['DIVERSITY_SOURCE', 0.3]],
  USAGE: [['USAGE_APPS', 0.5], ['USAGE_APP_VIEWS', 0.5]],
};
// trust-scores.d.ts MetricId
const D_TS_METRIC_IDS = ['VALIDITY_QUALITY', 'COMPLETENESS_QUALITY', 'USAGE_APPS', 'USAGE_APP_VIEWS',
  'DISCOVERABILITY_DESCRIPTION', 'DISCOVERABILITY_TAGS', 'DISCOVERABILITY_ACTIVATED',
  'DISCOVERABILITY_FIELD_DESCRIPTION', 'DISCOVERABILITY_FIELD_TAGS', 'ACCURACY_QUALITY', 'DIVERSITY_SOURCE',
  'DIVERSITY_VOLUME', 'DIVERSITY_EVENNESS', 'TIMELINESS_FRESHNESS'];

let srv;
let dataDir;
let other;

// ---------------------------------------------------------------- arithmetic

/** Normalised Shannon entropy of a frequency list (0 for one value). */
function evenness(counts) {
  if (counts.length < 2) return 0;
  const total = counts.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const c of counts) { const p = c / total; if (p > 0) h -= p * Math.log(p); }
  return h / Math.log(counts.length);
}
const p2 = (n) => 2 ** Math.floor(Math.log2(n));
const saturating = (n) => (n <= 0 ? 0 : 1 - 1 / (1 + p2(n)));
const freshness = (age, period) => (age <= period ? 1 : 0.5 ** ((age - period) / period));
const volume = (rows) => (rows <= 0 ? 0 : Math.min(1, Math.log10(1 + rows) / 6));

/**
 * Expected metric scores (fractions; null = not applicable) for inputs:
 * {quality?: {validity, completeness}, description, tags, fields, fieldsDescribed,
 *  fieldsTagged, activated, age?, period, profile?: {rows, evenness, distinct},
 *  products, activatedProducts}
 */
function expectedMetrics(i) {
  const f = i.fields > 0;
  return {
    VALIDITY_QUALITY: i.quality ? i.quality.validity : null,
    COMPLETENESS_QUALITY: i.quality ? i.quality.completeness : null,
    DISCOVERABILITY_DESCRIPTION: i.description ? 1 : 0,
    DISCOVERABILITY_TAGS: i.tags ? 1 : 0,
    DISCOVERABILITY_FIELD_DESCRIPTION: f ? i.fieldsDescribed / i.fields : null,
    DISCOVERABILITY_FIELD_TAGS: f ? i.fieldsTagged / i.fields : null,
    DISCOVERABILITY_ACTIVATED: i.activated ? 1 : 0,
    TIMELINESS_FRESHNESS: i.age === undefined ? null : freshness(i.age, i.period ?? DAY),
    DIVERSITY_VOLUME: i.profile ? volume(i.profile.rows) : null,
    DIVERSITY_EVENNESS: i.profile ? i.profile.evenness : null,
    DIVERSITY_SOURCE: i.profile ? i.profile.distinct : null,
    USAGE_APPS: saturating(i.products),
    USAGE_APP_VIEWS: saturating(i.activatedProducts),
  };
}

/** Axis scores (fractions; null = not applicable) from metric scores. */
function expectedAxes(m) {
  const out = {};
  for (const axis of AXES) {
    const app = METRICS[axis].filter(([id]) => m[id] !== null);
    if (!app.length) { out[axis] = null; continue; }
    const sum = app.reduce((s, [, w]) => s + w, 0);
    out[axis] = app.reduce((s, [id, w]) => s + (w / sum) * m[id], 0);
  }
  return out;
}

/** Overall score (fraction) for axis scores and a config {AXIS: {enabled, weight}}. */
function expectedScore(axes, config) {
  const used = AXES.filter((a) => axes[a] !== null && (config?.[a]?.enabled ?? true) && (config?.[a]?.weight ?? 1) > 0);
  const sum = used.reduce((s, a) => s + (config?.[a]?.weight ?? 1), 0);
  if (!used.length) return 0;
  return used.reduce((s, a) => s + ((config?.[a]?.weight ?? 1) / sum) * axes[a], 0);
}

const near = (actual, expected, what, tol = 1e-9) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);

/** Compares a TrustScoreResponse with the expected metrics (wire scale ×100). */
function assertRecomputed(t, metrics, config, tol = 1e-9) {
  const axes = expectedAxes(metrics);
  for (const ax of t.axes) {
    for (const m of ax.metrics) {
      const e = metrics[m.id];
      if (e === null) assert.equal('score' in m, false, `${m.id} not applicable: no score`);
      else near(m.score, e * 100, m.id, tol * 100);
    }
    const enabled = config?.[ax.id]?.enabled ?? true;
    assert.equal(ax.enabled, enabled, `${ax.id}.enabled`);
    assert.equal(ax.applicable, axes[ax.id] !== null, `${ax.id}.applicable`);
    if (axes[ax.id] === null || !enabled) assert.equal('score' in ax, false, `${ax.id}: no score`);
    else near(ax.score, axes[ax.id] * 100, `${ax.id} axis`, tol * 100);
  }
  near(t.score, expectedScore(axes, config) * 100, 'overall score', tol * 100);
}

/** TrustScoreResponse shape (trust-scores.d.ts) and its internal consistency. */
function assertTrustShape(t, datasetId) {
  for (const k of Object.keys(t)) assert.ok(['axes', 'datasetId', 'previousScore', 'score', 'updatedAt'].includes(k), `unexpected ${k}`);
  assert.equal(t.datasetId, datasetId);
  assert.match(t.updatedAt, ISO_MS_RE);
  assert.equal(typeof t.score, 'number');
  assert.ok(t.score >= 0 && t.score <= 100, `score ${t.score} in [0,100]`);
  if ('previousScore' in t) assert.ok(t.previousScore >= 0 && t.previousScore <= 100);
  assert.deepEqual(t.axes.map((a) => a.id), AXES, 'six axes, documented order');
  let wsum = 0; let s = 0;
  for (const ax of t.axes) {
    for (const k of Object.keys(ax)) assert.ok(['applicable', 'enabled', 'id', 'metrics', 'previousScore', 'score', 'weight'].includes(k), `${ax.id}: unexpected ${k}`);
    assert.equal(typeof ax.enabled, 'boolean');
    assert.equal(typeof ax.applicable, 'boolean');
    assert.equal(typeof ax.weight, 'number');
    assert.deepEqual(ax.metrics.map((m) => m.id), METRICS[ax.id].map(([id]) => id), `${ax.id} metrics`);
    for (const m of ax.metrics) {
      assert.ok(D_TS_METRIC_IDS.includes(m.id));
      for (const k of Object.keys(m)) assert.ok(['id', 'score', 'weight'].includes(k), `${m.id}: unexpected ${k}`);
      assert.equal(typeof m.weight, 'number');
      if ('score' in m) assert.ok(m.score >= 0 && m.score <= 100, `${m.id} score in [0,100]`);
      else assert.equal(m.weight, 0, `${m.id}: a metric without score weighs 0`);
    }
    if (ax.applicable) {
      const msum = ax.metrics.reduce((a, m) => a + m.weight, 0);
      near(msum, 100, `${ax.id}: metric weights sum to 100`);
      const recomputed = ax.metrics.reduce((a, m) => a + (m.weight * (m.score ?? 0)) / 100, 0);
      if ('score' in ax) near(ax.score, recomputed, `${ax.id}: score = Σ metric weight × score`);
    }
    if (ax.enabled && ax.applicable) {
      assert.equal(typeof ax.score, 'number', `${ax.id} enabled and applicable has a score`);
      assert.ok(ax.weight > 0);
      wsum += ax.weight;
      s += (ax.weight * ax.score) / 100;
    } else {
      assert.equal(ax.weight, 0, `${ax.id}: weight 0 when disabled or not applicable`);
      assert.equal('score' in ax, false);
    }
  }
  if (wsum > 0) near(wsum, 100, 'axis weights of enabled, applicable axes sum to 100');
  near(t.score, s, 'score = Σ axis weight × axis score');
}

// ---------------------------------------------------------------- helpers

function writeData(name, content, ageMs = 0) {
  const file = path.join(dataDir, name);
  fs.writeFileSync(file, content);
  if (ageMs) {
    const t = (Date.now() - ageMs) / 1000;
    fs.utimesSync(file, t, t);
  }
  return file;
}

async function mkDataSet(fields = {}) {
  const name = uniqueName('trust-ds');
  const res = await srv.api('POST', '/api/v1/data-sets', { body: { name, technicalName: name, ...fields } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** One data set's trust score; recompute sends recomputeUsage: true. */
async function trustOf(id, key, recompute = false) {
  const res = await srv.api('POST', TRUST, { key, body: { datasetIds: [id], ...(recompute ? { recomputeUsage: true } : {}) } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.data.length, 1, res.text);
  assertTrustShape(res.body.data[0], id);
  return res.body.data[0];
}

const computeQuality = (datasetId) => computeQualityOf(srv, datasetId);

async function getProduct(id) {
  const res = await srv.api('GET', `${DP}/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

// ---------------------------------------------------------------- fixture

// city STRING: A×5, B×3, C×1 (all valid). qty INTEGER: 1..6 valid, "x"
// invalid, one empty, 9 valid. 9 data rows.
const KNOWN_CSV = 'city,qty\nA,1\nA,2\nA,3\nA,4\nA,5\nB,6\nB,x\nB,\nC,9\n';
const KNOWN_FIELDS = [
  { name: 'city', dataType: { type: 'STRING' }, description: 'City name', tags: ['dim'] },
  { name: 'qty', dataType: { type: 'INTEGER' } },
];
const KNOWN_QUALITY = { validity: (9 + 7) / 18, completeness: 17 / 18 };
const KNOWN_PROFILE = {
  rows: 9,
  // city (5,3,1); qty: 8 distinct non-empty values (x included), once each
  evenness: (evenness([5, 3, 1]) + evenness([1, 1, 1, 1, 1, 1, 1, 1])) / 2,
  distinct: (3 / 9 + 8 / 8) / 2,
};
const KNOWN_META = { description: true, tags: true, fields: 2, fieldsDescribed: 1, fieldsTagged: 1 };

before(async () => {
  srv = await startServer({ args: ARGS });
  dataDir = path.join(srv.dir, 'data', srv.admin.tenantId); // the tenant's directory (issue 8)
  fs.mkdirSync(dataDir, { recursive: true });
  other = bootstrap(srv.db, 'other', 'other@example.com');
});

after(async () => {
  if (srv) await srv.stop();
});

describe('a known data set, axis by axis', () => {
  let ds;
  before(async () => {
    writeData('known.csv', KNOWN_CSV);
    ds = await mkDataSet({
      description: 'Cities and quantities',
      tags: ['geo'],
      operational: { location: 'known.csv' },
      schema: { dataFields: KNOWN_FIELDS },
    });
  });

  test('before any computation: VALIDITY, COMPLETENESS, DIVERSITY not applicable; the rest recomputed', async () => {
    const t = await trustOf(ds.id);
    assertRecomputed(t, expectedMetrics({ ...KNOWN_META, age: 0, products: 0, activatedProducts: 0 }));
    for (const id of ['VALIDITY', 'COMPLETENESS', 'DIVERSITY']) {
      const ax = t.axes.find((a) => a.id === id);
      assert.equal(ax.applicable, false, id);
      assert.equal(ax.weight, 0, id);
    }
  });

  test('after a computation, in no product: every axis matches docs/trust.md', async () => {
    await computeQuality(ds.id);
    const t = await trustOf(ds.id);
    const m = expectedMetrics({ ...KNOWN_META, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 0, activatedProducts: 0 });
    assertRecomputed(t, m);
    // spelled out once, on the wire scale
    const ax = Object.fromEntries(t.axes.map((a) => [a.id, a]));
    near(ax.VALIDITY.score, (16 / 18) * 100, 'VALIDITY');
    near(ax.COMPLETENESS.score, (17 / 18) * 100, 'COMPLETENESS');
    near(ax.DISCOVERABILITY.score, (0.25 + 0.15 + 0.25 * 0.5 + 0.10 * 0.5) * 100, 'DISCOVERABILITY'); // 57.5
    near(ax.TIMELINESS.score, 100, 'TIMELINESS: fresh file');
    near(ax.USAGE.score, 0, 'USAGE: no product');
    near(ax.DIVERSITY.metrics[0].score, (100 * 1) / 6, 'DIVERSITY_VOLUME: log10(10)/6');
    for (const a of t.axes) near(a.weight, 100 / 6, `${a.id} default weight`);
  });

  test('in an activated product (and a second, draft one): DISCOVERABILITY_ACTIVATED and USAGE follow', async () => {
    const p1 = await srv.api('POST', DP, { body: { name: uniqueName('p'), datasetIds: [ds.id], keyContacts: [{ userId: srv.admin.userId }] } });
    assert.equal(p1.status, 201, p1.text);
    const mid = await trustOf(ds.id); // referenced, not activated
    assertRecomputed(mid, expectedMetrics({ ...KNOWN_META, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 1, activatedProducts: 0 }));
    const act = await srv.api('POST', `${DP}/${p1.body.id}/actions/activate`, { body: { name: p1.body.name } });
    assert.equal(act.status, 201, act.text);
    const t1 = await trustOf(ds.id, undefined, true);
    assertRecomputed(t1, expectedMetrics({ ...KNOWN_META, activated: true, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 1, activatedProducts: 1 }));
    const p2 = await srv.api('POST', DP, { body: { name: uniqueName('p'), datasetIds: [ds.id] } });
    assert.equal(p2.status, 201, p2.text);
    const t2 = await trustOf(ds.id);
    assertRecomputed(t2, expectedMetrics({ ...KNOWN_META, activated: true, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 2, activatedProducts: 1 }));
    near(t2.axes[5].score, (0.5 * (2 / 3) + 0.5 * 0.5) * 100, 'USAGE with 2 products, 1 activated');
    // deactivating takes it out of the marketplace again
    assert.equal((await srv.api('POST', `${DP}/${p1.body.id}/actions/deactivate`)).status, 204);
    const t3 = await trustOf(ds.id, undefined, true);
    assertRecomputed(t3, expectedMetrics({ ...KNOWN_META, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 2, activatedProducts: 0 }));
  });
});

describe('TIMELINESS from the file age and properties.expectedUpdatePeriod', () => {
  const cases = [
    { name: 'fresh, default period', age: 0, period: undefined },
    { name: '3 days old, default 1 day: 0.5^2', age: 3 * DAY, period: undefined, approx: 25 },
    { name: '3 days old, P7D: fresh', age: 3 * DAY, period: 'P7D', approx: 100 },
    { name: '1 day old, PT12H: 0.5', age: DAY, period: 'PT12H', approx: 50 },
    { name: '5 days old, P2D: 0.5^1.5', age: 5 * DAY, period: 'P2D', approx: 35.355 },
    { name: '11 days old, P1D', age: 11 * DAY, period: 'P1D', approx: 0.0977 },
  ];
  const PERIOD_MS = { P7D: 7 * DAY, PT12H: DAY / 2, P2D: 2 * DAY, P1D: DAY };
  for (const c of cases) {
    test(c.name, async () => {
      const file = uniqueName('age') + '.csv';
      writeData(file, 'a\n1\n', c.age);
      const mtime = fs.statSync(path.join(dataDir, file)).mtimeMs;
      const ds = await mkDataSet({
        operational: { location: file },
        ...(c.period ? { properties: { expectedUpdatePeriod: c.period } } : {}),
      });
      const t = await trustOf(ds.id);
      const age = Date.now() - mtime; // the server measured at most this
      const ax = t.axes.find((a) => a.id === 'TIMELINESS');
      assert.equal(ax.applicable, true);
      // freshness changes by < 1e-6 per second at these ages: 1e-4 on the wire is ample
      near(ax.score, freshness(age, PERIOD_MS[c.period] ?? DAY) * 100, 'TIMELINESS', 1e-4);
      if (c.approx !== undefined) near(ax.score, c.approx, 'TIMELINESS (rounded figure)', 5e-3);
      assertRecomputed(t, expectedMetrics({ fields: 0, age, period: PERIOD_MS[c.period] ?? DAY, products: 0, activatedProducts: 0 }), undefined, 1e-6);
    });
  }

  test('no location or no file: TIMELINESS not applicable (weight 0, no score)', async () => {
    for (const fields of [{}, { operational: { location: 'missing.csv' } }]) {
      const ds = await mkDataSet(fields);
      const t = await trustOf(ds.id);
      const ax = t.axes.find((a) => a.id === 'TIMELINESS');
      assert.equal(ax.applicable, false);
      assert.equal(ax.weight, 0);
      assert.equal('score' in ax, false);
      assert.equal('score' in ax.metrics[0], false);
    }
  });
});

describe('previousScore', () => {
  test('absent at first; set to the old score on a change; kept across recomputations without change', async () => {
    writeData('prev.csv', 'k,v\n1,a\n2,b\n3,\n');
    const ds = await mkDataSet({
      operational: { location: 'prev.csv' },
      schema: { dataFields: [{ name: 'k', dataType: { type: 'INTEGER' } }, { name: 'v', dataType: { type: 'STRING' } }] },
    });
    const t0 = await trustOf(ds.id);
    assert.equal('previousScore' in t0, false, 'no previous score yet');
    const t0b = await trustOf(ds.id);
    assert.deepEqual(t0b, t0, 'reading again changes nothing (same updatedAt, still no previousScore)');

    await computeQuality(ds.id);
    const t1 = await trustOf(ds.id);
    assert.notEqual(t1.score, t0.score, 'quality adds axes');
    assert.equal(t1.previousScore, t0.score);
    assert.ok(t1.updatedAt >= t0.updatedAt);

    await computeQuality(ds.id); // same file: same result
    const t1b = await trustOf(ds.id);
    assert.deepEqual(t1b, t1, 'a recomputation that changes nothing keeps score, previousScore and updatedAt');
    const t1c = await trustOf(ds.id, undefined, true);
    assert.deepEqual(t1c, t1, 'so does recomputeUsage when nothing changed');

    // the data set changing is an event: a description raises DISCOVERABILITY
    const patch = await srv.api('PATCH', `/api/v1/data-sets/${ds.id}`, { body: [{ op: 'add', path: '/description', value: 'now described' }] });
    assert.equal(patch.status, 200, patch.text);
    const t2 = await trustOf(ds.id);
    assert.equal(t2.axes.find((a) => a.id === 'DISCOVERABILITY').metrics[0].score, 100);
    assert.ok(t2.score > t1.score);
    assert.equal(t2.previousScore, t1.score);

    // so is a product adding it: USAGE rises
    const p = await srv.api('POST', DP, { body: { name: uniqueName('p'), datasetIds: [ds.id] } });
    assert.equal(p.status, 201);
    const t3 = await trustOf(ds.id);
    assert.ok(t3.score > t2.score, 'USAGE rises when a product adds the data set');
    assert.equal(t3.previousScore, t2.score);
  });

  test('reads do not churn previousScore while an old file only ages (docs/decisions.md "Trust scores")', async () => {
    writeData('aging.csv', 'a\n1\n', 3 * DAY);
    const ds = await mkDataSet({ operational: { location: 'aging.csv' } });
    const t1 = await trustOf(ds.id);
    await new Promise((r) => setTimeout(r, 20));
    const t2 = await trustOf(ds.id);
    await new Promise((r) => setTimeout(r, 20));
    const t3 = await trustOf(ds.id);
    // nothing about the data set changed between these reads: the stored result comes back
    assert.equal(t3.previousScore, t2.previousScore,
      `previousScore moved on a mere read: ${t1.previousScore} -> ${t2.previousScore} -> ${t3.previousScore}`);
    assert.deepEqual(t2, t1);
    assert.deepEqual(t3, t1);
    // asking for a recomputation does refresh TIMELINESS (it decayed a little)
    const t4 = await trustOf(ds.id, undefined, true);
    assert.ok(t4.score <= t1.score);
  });
});

describe('product trustScore', () => {
  test('score and dimensions are per-axis means over the data sets; applicableDatasets counts them', async () => {
    writeData('pa.csv', 'x,y\n1,a\n2,b\n3,c\n4,c\n');
    writeData('pb.csv', 'x,y\n1,\nz,q\n');
    const fields = [{ name: 'x', dataType: { type: 'INTEGER' } }, { name: 'y', dataType: { type: 'STRING' }, description: 'y' }];
    const a = await mkDataSet({ description: 'A', operational: { location: 'pa.csv' }, schema: { dataFields: fields } });
    const b = await mkDataSet({ tags: ['b'], operational: { location: 'pb.csv' }, schema: { dataFields: fields } });
    await computeQuality(a.id);
    await computeQuality(b.id);
    fs.rmSync(path.join(dataDir, 'pb.csv')); // b: TIMELINESS no longer applicable, quality kept
    const p = await srv.api('POST', DP, { body: { name: uniqueName('p'), datasetIds: [a.id, b.id] } });
    assert.equal(p.status, 201, p.text);
    const res = await srv.api('POST', TRUST, { body: { datasetIds: [a.id, b.id], recomputeUsage: true } });
    assert.equal(res.status, 200);
    const [ta, tb] = [a.id, b.id].map((id) => res.body.data.find((t) => t.datasetId === id));
    assertTrustShape(ta, a.id);
    assertTrustShape(tb, b.id);
    assert.equal(tb.axes.find((x) => x.id === 'TIMELINESS').applicable, false);

    const prod = await getProduct(p.body.id);
    const ts = prod.trustScore;
    for (const k of Object.keys(ts)) assert.ok(['applicableDatasets', 'dimensions', 'previousScore', 'score'].includes(k), k);
    assert.equal(ts.applicableDatasets, 2);
    near(ts.score, (ta.score + tb.score) / 2, 'product score = mean of data set scores');
    const dims = Object.fromEntries(ts.dimensions.map((d) => [d.id, d]));
    for (const d of ts.dimensions) {
      for (const k of Object.keys(d)) assert.ok(['applicableDatasets', 'id', 'previousScore', 'score'].includes(k), k);
    }
    for (const axis of AXES) {
      const scores = [ta, tb].map((t) => t.axes.find((x) => x.id === axis)).filter((x) => 'score' in x).map((x) => x.score);
      if (!scores.length) { assert.equal(dims[axis], undefined, axis); continue; }
      assert.equal(dims[axis].applicableDatasets, scores.length, `${axis} applicableDatasets`);
      near(dims[axis].score, scores.reduce((s, x) => s + x, 0) / scores.length, `${axis} dimension mean`);
    }
    assert.equal(dims.TIMELINESS.applicableDatasets, 1);
    near(dims.TIMELINESS.score, 100, 'only a counts for TIMELINESS');
    // removing b from the product: the aggregate is a's alone
    const patch = await srv.api('PATCH', `${DP}/${p.body.id}`, { body: [{ op: 'replace', path: '/datasetIds', value: [a.id] }] });
    assert.equal(patch.status, 204, patch.text);
    const after1 = (await getProduct(p.body.id)).trustScore;
    assert.equal(after1.applicableDatasets, 1);
    const ta2 = await trustOf(a.id);
    const after2 = (await getProduct(p.body.id)).trustScore;
    near(after2.score, ta2.score, 'one data set: its score');
    for (const d of after2.dimensions) near(d.score, ta2.axes.find((x) => x.id === d.id).score, d.id);
  });
});

describe('the filter request', () => {
  test('unknown ids and other tenants\' ids are skipped', async () => {
    const mine = await mkDataSet();
    const theirsRes = await srv.api('POST', '/api/v1/data-sets', { key: other.apiKey, body: { name: 'theirs', technicalName: 'theirs' } });
    assert.equal(theirsRes.status, 201);
    const theirs = theirsRes.body;
    const r1 = await srv.api('POST', TRUST, { body: { datasetIds: [MISSING_ID, theirs.id, mine.id] } });
    assert.equal(r1.status, 200);
    assert.deepEqual(r1.body.data.map((t) => t.datasetId), [mine.id]);
    const r2 = await srv.api('POST', TRUST, { key: other.apiKey, body: { datasetIds: [mine.id] } });
    assert.equal(r2.status, 200);
    assert.deepEqual(r2.body, { data: [] });
    const r3 = await srv.api('POST', TRUST, { key: other.apiKey, body: { datasetIds: [theirs.id], recomputeUsage: true } });
    assert.equal(r3.status, 200);
    assert.equal(r3.body.data.length, 1);
    assertTrustShape(r3.body.data[0], theirs.id);
  });

  test('validation: 1..100 GUIDs, no duplicates, no unknown members, a body', async () => {
    assertError(await srv.api('POST', TRUST, { body: { datasetIds: [] } }), 400, 'DP-400-VALIDATION', 'datasetIds');
    assertError(await srv.api('POST', TRUST, { body: { datasetIds: ['nope'] } }), 400, 'DP-400-VALIDATION', 'datasetIds');
    assertError(await srv.api('POST', TRUST, { body: { datasetIds: [MISSING_ID, MISSING_ID] } }), 400, 'DP-400-VALIDATION', 'datasetIds');
    const many = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    assertError(await srv.api('POST', TRUST, { body: { datasetIds: many } }), 400, 'DP-400-VALIDATION', 'datasetIds');
    assert.equal((await srv.api('POST', TRUST, { body: { datasetIds: many.slice(0, 100) } })).status, 200);
    assertError(await srv.api('POST', TRUST, { body: {} }), 400, 'DP-400-VALIDATION', 'datasetIds');
    assertError(await srv.api('POST', TRUST, { body: { datasetIds: [MISSING_ID], x: 1 } }), 400, 'DP-400-VALIDATION', 'x');
    assertError(await srv.api('POST', TRUST, { body: { datasetIds: [MISSING_ID], recomputeUsage: 'yes' } }), 400, 'DP-400-VALIDATION', 'recomputeUsage');
    assertError(await srv.api('POST', TRUST, {}), 400, 'DP-400-BAD-REQUEST');
    assertError(await srv.api('POST', TRUST, { key: null, body: { datasetIds: [MISSING_ID] } }), 401, 'DP-401-UNAUTHORIZED');
  });
});

// Runs last: it changes the tenant's configuration (and restores it).
describe('settings', () => {
  let ds;
  let creator;
  // the stored scores follow a settings change through the deriver (issue 12):
  // a test reads them once they have caught up
  const put = async (axes, key) => {
    const res = await srv.api('PUT', SETTINGS, { key, body: { axes } });
    if (res.status === 200) await derivedSettled(srv);
    return res;
  };
  const get = async (key) => {
    const res = await srv.api('GET', SETTINGS, { key });
    assert.equal(res.status, 200, res.text);
    return res.body;
  };

  before(async () => {
    writeData('settings.csv', KNOWN_CSV);
    ds = await mkDataSet({ description: 'Cities and quantities', tags: ['geo'], operational: { location: 'settings.csv' }, schema: { dataFields: KNOWN_FIELDS } });
    await computeQuality(ds.id);
    const u = await srv.api('POST', '/api/v1/users', { body: { subject: 'auth0|trust-creator', email: 'trust-creator@example.com', name: 'c', assignedRoles: [{ name: 'DataProductCreator' }] } });
    assert.equal(u.status, 201, u.text);
    const k = await srv.api('POST', '/api/v1/api-keys', { body: { description: 'c', sub: u.body.id } });
    assert.equal(k.status, 201, k.text);
    creator = k.body.token;
  });

  test('GET: documented defaults, all six enabled with equal weights (100/6 on the wire); readable by any user', async () => {
    const s = await get();
    assert.deepEqual(Object.keys(s), ['axes']);
    assert.deepEqual(Object.keys(s.axes).sort(), [...AXES].sort());
    for (const a of AXES) {
      assert.deepEqual(Object.keys(s.axes[a]).sort(), ['enabled', 'weight']);
      assert.equal(s.axes[a].enabled, true);
      near(s.axes[a].weight, 100 / 6, a);
    }
    assert.deepEqual(await get(creator), s);
  });

  test('PUT needs TenantAdmin (403 otherwise) and validates (400), changing nothing', async () => {
    const before1 = await get();
    assertError(await put({ USAGE: { enabled: false } }, creator), 403, 'DP-403-FORBIDDEN');
    const bad = [
      [{ BOGUS: { enabled: true } }, 'BOGUS'],
      [{ ACCURACY: { enabled: true } }, 'ACCURACY'],
      [{ USAGE: { weight: -1 } }, 'USAGE'],
      [{ USAGE: { weight: '1' } }, 'USAGE'],
      [{ USAGE: { enabled: 'no' } }, 'USAGE'],
      [{ USAGE: { enabled: true, extra: 1 } }, 'USAGE'],
      [{ USAGE: true }, 'USAGE'],
      [Object.fromEntries(AXES.map((a) => [a, { enabled: false }])), 'enabled'],
      [Object.fromEntries(AXES.map((a) => [a, { weight: 0 }])), 'weight'],
    ];
    for (const [axes, detail] of bad) assertError(await put(axes), 400, 'DP-400-VALIDATION', detail);
    assertError(await srv.api('PUT', SETTINGS, { body: { axes: {}, more: 1 } }), 400, 'DP-400-VALIDATION');
    assertError(await srv.api('PUT', SETTINGS, { body: [] }), 400, 'DP-400-VALIDATION');
    assertError(await srv.api('PUT', SETTINGS, {}), 400, 'DP-400-BAD-REQUEST');
    assert.deepEqual(await get(), before1);
  });

  test('weights are normalised; a disabled axis leaves the score; the filter recomputes with the new weights', async () => {
    const config = {
      VALIDITY: { enabled: true, weight: 2 }, COMPLETENESS: { enabled: true, weight: 2 },
      DISCOVERABILITY: { enabled: true, weight: 1 }, TIMELINESS: { enabled: true, weight: 1 },
      DIVERSITY: { enabled: true, weight: 1 }, USAGE: { enabled: false, weight: 1 },
    };
    const res = await put(config);
    assert.equal(res.status, 200, res.text);
    const expectW = { VALIDITY: 200 / 7, COMPLETENESS: 200 / 7, DISCOVERABILITY: 100 / 7, TIMELINESS: 100 / 7, DIVERSITY: 100 / 7, USAGE: 0 };
    for (const a of AXES) {
      assert.equal(res.body.axes[a].enabled, a !== 'USAGE', a);
      near(res.body.axes[a].weight, expectW[a], `${a} normalised weight`);
    }
    assert.deepEqual(await get(), res.body);
    const t = await trustOf(ds.id, undefined, true);
    const usage = t.axes.find((x) => x.id === 'USAGE');
    assert.equal(usage.enabled, false);
    assert.equal(usage.weight, 0);
    assert.equal('score' in usage, false, 'a disabled axis has no score');
    assert.equal(usage.metrics.length, 2, 'its metrics are still shown');
    const m = expectedMetrics({ ...KNOWN_META, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 0, activatedProducts: 0 });
    assertRecomputed(t, m, config);
    near(t.axes[0].weight, 200 / 7, 'VALIDITY effective weight');
    // another tenant keeps the defaults
    const o = await get(other.apiKey);
    for (const a of AXES) near(o.axes[a].weight, 100 / 6, `other tenant ${a}`);
  });

  test('a plain read reports the tenant\'s current enabled flags (trust-scores.d.ts AxisResponse.enabled)', async () => {
    const saved = await get();
    const off = await put({ DIVERSITY: { enabled: false } });
    assert.equal(off.status, 200, off.text);
    try {
      const t = await trustOf(ds.id);
      assert.equal(t.axes.find((x) => x.id === 'DIVERSITY').enabled, false, 'DIVERSITY was disabled by the tenant');
      assert.equal(t.axes.find((x) => x.id === 'DIVERSITY').weight, 0);
    } finally {
      assert.equal((await put(saved.axes)).status, 200);
    }
  });

  test('axes left out keep their setting: a GET -> PUT round trip of one axis changes nothing', async () => {
    const s1 = await get();
    const res = await put({ VALIDITY: s1.axes.VALIDITY });
    assert.equal(res.status, 200, res.text);
    for (const a of AXES) near(res.body.axes[a].weight, s1.axes[a].weight, `${a} after PUT of VALIDITY as read`, 1e-9);
    const full = await put(s1.axes);
    assert.equal(full.status, 200, full.text);
    for (const a of AXES) near(full.body.axes[a].weight, s1.axes[a].weight, `${a} after PUT of all axes as read`, 1e-9);
  });

  test('re-enabling with equal weights restores the default scores', async () => {
    const res = await put(Object.fromEntries(AXES.map((a) => [a, { enabled: true, weight: 1 }])));
    assert.equal(res.status, 200, res.text);
    for (const a of AXES) near(res.body.axes[a].weight, 100 / 6, a);
    const t = await trustOf(ds.id, undefined, true);
    assertRecomputed(t, expectedMetrics({ ...KNOWN_META, quality: KNOWN_QUALITY, age: 0, profile: KNOWN_PROFILE, products: 0, activatedProducts: 0 }));
  });
});
