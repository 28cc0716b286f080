/* profile: one streaming pass over a CSV computing per-field quality counts
 * and FieldProfile statistics (SPEC §5; formulas and bounds in
 * docs/quality.md). Every per-field structure has a constant size, so memory
 * depends on the number of columns, never on the number of rows. */
#include "quality/profile.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quality/csv.h"
#include "quality/typecheck.h"
#include "util/utf8.h"

#define STR_CAP 256      /* bytes kept of a stored string value */
#define SS_K 16          /* Space-Saving counters per field (a power of 2) */
#define TOP_N 10         /* mostFrequentValues reported */
#define SAMPLES 5        /* sampleValues reported */
#define EXACT_MAX 1024   /* distinct values counted exactly */
#define SET_MIN 64       /* first capacity of the exact hash set */
#define HLL_P 12         /* HyperLogLog precision: 2^12 one-byte registers */
#define HLL_M (1u << HLL_P)
#define HLL_Q (64 - HLL_P)

struct ss_value {
	uint16_t len;
	char val[STR_CAP];
};

/* Hot members first (touched for every cell), the stored strings last. */
struct field {
	enum field_type type;
	bool declared, counted, numeric;
	long col;     /* header column, -1 when missing from the file */
	uint64_t valid, invalid, empty, empty_present;

	/* strings: every non-empty (trimmed) cell */
	uint64_t nstr, sumlen, minlen, maxlen;
	uint64_t first_key, last_key; /* sort_key() of first and last */
	uint16_t first_len, last_len;

	/* distinct: exact set of hashes, then HyperLogLog */
	uint32_t set_cap, set_n;
	uint64_t *set;
	uint8_t *hll;

	/* Space-Saving */
	uint32_t ss_n, ss_next;
	uint64_t ss_min;
	uint64_t ss_hash[SS_K];
	uint64_t ss_count[SS_K];

	/* first distinct values */
	uint32_t nsamples;
	uint64_t sample_hash[SAMPLES];

	/* numeric: valid cells of INTEGER, DOUBLE, DECIMAL with a finite value */
	uint64_t nnum, zero, pos, neg;
	double min, max, sum, sumsq;
	double shift, ssum, ssumsq; /* sums of (x - shift) for a stable variance */

	struct type_params tp;
	char *name;   /* output name (UTF-8) */
	uint64_t ss_err[SS_K];
	char first[STR_CAP], last[STR_CAP];
	struct ss_value ss_val[SS_K];
	struct ss_value sample[SAMPLES];
};

/* ---- hashing: wyhash-style multiply-fold (not cryptographic) ------------- */

static const uint64_t H0 = 0xa0761d6478bd642full, H1 = 0xe7037ed1a0b428dbull,
		      H2 = 0x8ebc6af09c88c6e3ull, H3 = 0x589965cc75374cc3ull;

static inline uint64_t mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t rd32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t hash_bytes(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t seed = H0, a, b;
	if (n <= 16) {
		if (n >= 4) {
			size_t d = (n >> 3) << 2;
			a = (rd32(p) << 32) | rd32(p + d);
			b = (rd32(p + n - 4) << 32) | rd32(p + n - 4 - d);
		} else if (n > 0) {
			a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t i = n;
		if (i > 48) {
			uint64_t s1 = seed, s2 = seed;
			do {
				seed = mum(rd64(p) ^ H1, rd64(p + 8) ^ seed);
				s1 = mum(rd64(p + 16) ^ H2, rd64(p + 24) ^ s1);
				s2 = mum(rd64(p + 32) ^ H3, rd64(p + 40) ^ s2);
				p += 48;
				i -= 48;
			} while (i > 48);
			seed ^= s1 ^ s2;
		}
		while (i > 16) {
			seed = mum(rd64(p) ^ H1, rd64(p + 8) ^ seed);
			p += 16;
			i -= 16;
		}
		a = rd64(p + i - 16);
		b = rd64(p + i - 8);
	}
	return mum(H1 ^ (uint64_t)n, mum(a ^ H1, b ^ seed));
}

/* ---- distinct count ------------------------------------------------------- */

static inline void hll_add(uint8_t *hll, uint64_t h)
{
	uint32_t idx = (uint32_t)(h >> HLL_Q);
	uint64_t w = h << HLL_P;
	uint8_t rank = (uint8_t)(w ? (__builtin_clzll(w) < HLL_Q ? __builtin_clzll(w) : HLL_Q) + 1
				   : HLL_Q + 1);
	if (hll[idx] < rank)
		hll[idx] = rank;
}

/* Ertl's improved raw estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017): accurate over the whole range without the
 * empirical bias tables of HLL++. */
static double hll_sigma(double x)
{
	if (x == 1.0)
		return INFINITY;
	double y = 1.0, z = x, zp;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double hll_tau(double x)
{
	if (x == 0.0 || x == 1.0)
		return 0.0;
	double y = 1.0, z = 1.0 - x, zp;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (z != zp);
	return z / 3.0;
}

static double hll_estimate(const uint8_t *hll)
{
	uint32_t c[HLL_Q + 2] = {0};
	for (uint32_t i = 0; i < HLL_M; i++)
		c[hll[i]]++;
	double m = HLL_M;
	double z = m * hll_tau(1.0 - c[HLL_Q + 1] / m);
	for (int k = HLL_Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * hll_sigma(c[0] / m);
	return (m * m / (2.0 * log(2.0))) / z;
}

static inline uint64_t set_key(uint64_t h)
{
	return h ? h : 1; /* 0 marks a free slot */
}

/* Adds h to the exact set; returns -1 on allocation failure. */
static int distinct_add(struct field *f, uint64_t h)
{
	if (f->hll) {
		hll_add(f->hll, h);
		return 0;
	}
	uint64_t k = set_key(h);
	uint32_t mask = f->set_cap - 1;
	uint32_t i = (uint32_t)(k >> 32) & mask;
	while (f->set[i]) {
		if (f->set[i] == k)
			return 0;
		i = (i + 1) & mask;
	}
	if (f->set_n == EXACT_MAX) { /* the 1025th value: switch to HyperLogLog */
		f->hll = calloc(HLL_M, 1);
		if (!f->hll)
			return -1;
		for (uint32_t j = 0; j < f->set_cap; j++)
			if (f->set[j])
				hll_add(f->hll, f->set[j]);
		hll_add(f->hll, h);
		free(f->set);
		f->set = NULL;
		f->set_cap = 0;
		return 0;
	}
	f->set[i] = k;
	f->set_n++;
	if (f->set_n * 2 > f->set_cap) { /* keep the load at most 1/2 */
		uint32_t cap = f->set_cap * 2;
		uint64_t *ns = calloc(cap, sizeof *ns);
		if (!ns)
			return -1;
		for (uint32_t j = 0; j < f->set_cap; j++) {
			uint64_t v = f->set[j];
			if (!v)
				continue;
			uint32_t p = (uint32_t)(v >> 32) & (cap - 1);
			while (ns[p])
				p = (p + 1) & (cap - 1);
			ns[p] = v;
		}
		free(f->set);
		f->set = ns;
		f->set_cap = cap;
	}
	return 0;
}

static uint64_t distinct_count(const struct field *f)
{
	if (!f->hll)
		return f->set_n;
	double e = round(hll_estimate(f->hll));
	/* It is known to be above EXACT_MAX and at most the number of values. */
	if (e < EXACT_MAX + 1)
		e = EXACT_MAX + 1;
	if (e > (double)f->nstr)
		e = (double)f->nstr;
	return (uint64_t)e;
}

/* ---- per-cell accumulation ----------------------------------------------- */

/* memcpy for the n <= STR_CAP bytes of a stored value, with fixed-size
 * (overlapping) moves: the copy runs once per replaced Space-Saving counter,
 * i.e. for most cells of a high-cardinality column, where the inlined
 * `rep movs` of a plain memcpy costs more than the rest of the cell. */
static inline void copy_value(char *d, const char *s, size_t n)
{
	if (n >= 16) {
		size_t i = 0;
		for (; i + 16 < n; i += 16)
			memcpy(d + i, s + i, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n) {
		d[0] = s[0];
		d[n >> 1] = s[n >> 1];
		d[n - 1] = s[n - 1];
	}
}

static inline void keep(struct ss_value *v, const char *s, size_t n)
{
	v->len = (uint16_t)(n < STR_CAP ? n : STR_CAP);
	copy_value(v->val, s, v->len);
}

/* The first 8 bytes as a big-endian number, zero-padded: when the keys of
 * two strings differ, they are in the strings' memcmp order (a zero pad only
 * ties with a real zero byte, and a tie falls back to memcmp). */
static inline uint64_t sort_key(const char *s, size_t n)
{
	if (n >= 8)
		return __builtin_bswap64(rd64((const unsigned char *)s));
	uint64_t w = 0;
	for (size_t i = 0; i < n; i++)
		w = w << 8 | (unsigned char)s[i];
	return n ? w << (8 * (8 - n)) : 0;
}

/* memcmp order of s (n bytes, already capped) against a stored value. */
static inline int cmp_capped(const char *s, size_t n, const char *v, size_t vn)
{
	int c = memcmp(s, v, n < vn ? n : vn);
	if (c)
		return c;
	return (n > vn) - (n < vn);
}

static inline void ss_add(struct field *f, uint64_t h, const char *s, size_t n)
{
	uint32_t k = f->ss_n;
	for (uint32_t i = 0; i < k; i++)
		if (f->ss_hash[i] == h) {
			f->ss_count[i]++;
			return;
		}
	uint32_t j;
	if (k < SS_K) {
		j = f->ss_n++;
		f->ss_count[j] = 1;
		f->ss_err[j] = 0;
		f->ss_min = 1;
	} else {
		/* Evict a counter with the minimum count. ss_min never exceeds
		 * it (counts only grow), so a counter equal to ss_min is one;
		 * searching from after the last victim usually finds one at
		 * once. When none is left, ss_min is recomputed. */
		for (;;) {
			uint32_t i = 0;
			j = f->ss_next;
			while (i < SS_K && f->ss_count[j] != f->ss_min) {
				j = (j + 1) & (SS_K - 1);
				i++;
			}
			if (i < SS_K)
				break;
			uint64_t m = f->ss_count[0];
			for (i = 1; i < SS_K; i++)
				if (f->ss_count[i] < m)
					m = f->ss_count[i];
			f->ss_min = m;
		}
		f->ss_next = (j + 1) & (SS_K - 1);
		f->ss_err[j] = f->ss_count[j];
		f->ss_count[j]++;
	}
	f->ss_hash[j] = h;
	keep(&f->ss_val[j], s, n);
}

/* Code points in n bytes: the bytes that are not continuation bytes
 * (10xxxxxx), counted eight at a time. */
static inline size_t utf8_chars(const char *s, size_t n)
{
	const uint64_t hi = 0x8080808080808080ull;
	size_t cont = 0, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = rd64((const unsigned char *)s + i);
		cont += (((w & ~(w << 1) & hi) >> 7) * 0x0101010101010101ull) >> 56;
	}
	if (i < n) {
		if (n >= 8) { /* the last 8 bytes, minus those already counted */
			uint64_t w = rd64((const unsigned char *)s + n - 8) >> (8 * (8 - (n - i)));
			cont += (((w & ~(w << 1) & hi) >> 7) * 0x0101010101010101ull) >> 56;
		} else {
			for (; i < n; i++)
				cont += ((unsigned char)s[i] & 0xc0) == 0x80;
		}
	}
	return n - cont;
}

/* ASCII blanks: space, \t, \n, \v, \f, \r. */
static inline bool blank(char c)
{
	return c == ' ' || (unsigned char)(c - '\t') < 5;
}

/* Clinger's fast path for a cell typecheck_valid() accepted as a number:
 * [+-]? digits [. digits] with at most 15 digits in all, so the digits are
 * an exact double m and the value m / 10^k (k <= 15) is one correctly
 * rounded division: the same double strtod() returns. Anything else
 * (exponents, more digits) is left to typecheck_number(). */
static inline bool fast_number(double *out, const char *s, size_t n)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
				     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
	size_t i = 0;
	bool neg = false;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
	}
	uint64_t m = 0;
	int digits = 0, frac = -1;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d < 10) {
			if (++digits > 15)
				return false;
			m = m * 10 + d;
			frac += frac >= 0;
		} else if (s[i] == '.' && frac < 0) {
			frac = 0;
		} else {
			return false;
		}
	}
	if (!digits)
		return false;
	double v = (double)m;
	if (frac > 0)
		v /= p10[frac];
	*out = neg ? -v : v;
	return true;
}

/* Accounts one non-empty cell (trimmed). Returns -1 on allocation failure. */
static int add_value(struct field *f, const char *s, size_t n)
{
	if (typecheck_valid(f->type, &f->tp, s, n)) {
		f->valid++;
		double x;
		if (f->numeric && (fast_number(&x, s, n) || typecheck_number(&x, f->type, s, n)) &&
		    isfinite(x)) {
			if (f->nnum == 0) {
				f->min = f->max = x;
				f->shift = x;
			} else {
				if (x < f->min)
					f->min = x;
				if (x > f->max)
					f->max = x;
			}
			f->nnum++;
			f->sum += x;
			f->sumsq += x * x;
			double d = x - f->shift;
			f->ssum += d;
			f->ssumsq += d * d;
			f->zero += x == 0;
			f->pos += x > 0;
			f->neg += x < 0;
		}
	} else {
		f->invalid++;
	}

	size_t len = utf8_chars(s, n);
	size_t cn = n < STR_CAP ? n : STR_CAP;
	uint64_t key = sort_key(s, n);
	if (f->nstr == 0) {
		f->minlen = f->maxlen = len;
		copy_value(f->first, s, cn);
		copy_value(f->last, s, cn);
		f->first_len = f->last_len = (uint16_t)cn;
		f->first_key = f->last_key = key;
	} else {
		if (len < f->minlen)
			f->minlen = len;
		if (len > f->maxlen)
			f->maxlen = len;
		if (key < f->first_key ||
		    (key == f->first_key && cmp_capped(s, cn, f->first, f->first_len) < 0)) {
			copy_value(f->first, s, cn);
			f->first_len = (uint16_t)cn;
			f->first_key = key;
		} else if (key > f->last_key ||
			   (key == f->last_key && cmp_capped(s, cn, f->last, f->last_len) > 0)) {
			copy_value(f->last, s, cn);
			f->last_len = (uint16_t)cn;
			f->last_key = key;
		}
	}
	f->nstr++;
	f->sumlen += len;

	uint64_t h = hash_bytes(s, n);
	if (distinct_add(f, h) < 0)
		return -1;
	ss_add(f, h, s, n);
	if (f->nsamples < SAMPLES) {
		uint32_t i = 0;
		while (i < f->nsamples && f->sample_hash[i] != h)
			i++;
		if (i == f->nsamples) {
			f->sample_hash[i] = h;
			keep(&f->sample[i], s, n);
			f->nsamples++;
		}
	}
	return 0;
}

/* ---- output ----------------------------------------------------------------- */

/* A JSON string from up to STR_CAP stored bytes: NUL bytes become '?', bytes
 * outside well-formed UTF-8 become '?', and a character cut by the cap (a
 * lead byte near the end of a full STR_CAP copy missing its continuation
 * bytes) is dropped. */
static json_t *jstr(const char *s, size_t n)
{
	char raw[STR_CAP + 1], clean[STR_CAP + 1];
	if (n >= STR_CAP) {
		n = STR_CAP;
		size_t i = n - 1;
		while (i > 0 && n - i < 4 && ((unsigned char)s[i] & 0xc0) == 0x80)
			i--;
		unsigned char lead = (unsigned char)s[i];
		size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
		if (n - i < need)
			n = i;
	}
	for (size_t i = 0; i < n; i++)
		raw[i] = s[i] ? s[i] : '?';
	raw[n] = '\0';
	utf8_sanitize(clean, sizeof clean, raw);
	return json_string(clean);
}

static int put(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(o, k, v);
}

static int put_num(json_t *o, const char *k, double v)
{
	if (!isfinite(v))
		return 0; /* JSON has no infinities: leave the statistic out */
	return put(o, k, json_real(v));
}

static int put_int(json_t *o, const char *k, uint64_t v)
{
	return put(o, k, json_integer((json_int_t)v));
}

static double fraction(uint64_t num, uint64_t den)
{
	return den ? (double)num / (double)den : 0.0;
}

struct mfv {
	uint64_t lower, count;
	const struct ss_value *v;
};

static int mfv_cmp(const void *pa, const void *pb)
{
	const struct mfv *a = pa, *b = pb;
	if (a->lower != b->lower)
		return a->lower > b->lower ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return cmp_capped(a->v->val, a->v->len, b->v->val, b->v->len);
}

static json_t *field_profile(const struct field *f)
{
	json_t *p = json_object();
	if (!p)
		return NULL;
	int rc = 0;
	rc |= put(p, "name", json_string(f->name));
	rc |= put(p, "dataType", json_string(typecheck_name(f->type)));
	if (f->col >= 0)
		rc |= put_int(p, "index", (uint64_t)f->col);
	rc |= put_int(p, "nullValueCount", f->empty);
	rc |= put_int(p, "emptyStringCount", f->empty_present);
	rc |= put_int(p, "distinctValueCount", distinct_count(f));
	if (f->numeric) {
		rc |= put_int(p, "numericValueCount", f->nnum);
		rc |= put_int(p, "zeroValueCount", f->zero);
		rc |= put_int(p, "positiveValueCount", f->pos);
		rc |= put_int(p, "negativeValueCount", f->neg);
		rc |= put_num(p, "sumNumericValues", f->sum);
		rc |= put_num(p, "sumSquaredNumericValues", f->sumsq);
		if (f->nnum) {
			double n = (double)f->nnum;
			double mean = f->ssum / n;
			double var = f->ssumsq / n - mean * mean;
			rc |= put_num(p, "minNumericValue", f->min);
			rc |= put_num(p, "maxNumericValue", f->max);
			rc |= put_num(p, "average", f->sum / n);
			rc |= put_num(p, "standardDeviation", sqrt(var > 0 ? var : 0));
		}
	}
	if (f->nstr) {
		rc |= put_int(p, "minStringLength", f->minlen);
		rc |= put_int(p, "maxStringLength", f->maxlen);
		rc |= put_num(p, "averageStringLength", (double)f->sumlen / (double)f->nstr);
		rc |= put_int(p, "sumStringLength", f->sumlen);
		rc |= put(p, "firstSortedStringValue", jstr(f->first, f->first_len));
		rc |= put(p, "lastSortedStringValue", jstr(f->last, f->last_len));
	}

	struct mfv top[SS_K];
	for (uint32_t i = 0; i < f->ss_n; i++)
		top[i] = (struct mfv){f->ss_count[i] - f->ss_err[i], f->ss_count[i], &f->ss_val[i]};
	qsort(top, f->ss_n, sizeof top[0], mfv_cmp);
	json_t *arr = json_array();
	rc |= put(p, "mostFrequentValues", arr);
	for (uint32_t i = 0; arr && i < f->ss_n && i < TOP_N; i++) {
		json_t *e = json_object();
		if (!e)
			rc = -1;
		else {
			rc |= put(e, "value", jstr(top[i].v->val, top[i].v->len));
			rc |= put_int(e, "frequency", top[i].lower);
			rc |= json_array_append_new(arr, e);
		}
	}
	arr = json_array();
	rc |= put(p, "sampleValues", arr);
	for (uint32_t i = 0; arr && i < f->nsamples; i++)
		rc |= json_array_append_new(arr, jstr(f->sample[i].val, f->sample[i].len));
	if (rc) {
		json_decref(p);
		return NULL;
	}
	return p;
}

static json_t *result(const struct field *fs, size_t nf, uint64_t rows, uint64_t ragged)
{
	uint64_t valid = 0, invalid = 0, empty = 0;
	for (size_t i = 0; i < nf; i++)
		if (fs[i].counted) {
			valid += fs[i].valid;
			invalid += fs[i].invalid;
			empty += fs[i].empty;
		}
	uint64_t total = valid + invalid + empty;
	json_t *o = json_object(), *arr = json_array();
	int rc = (o && arr) ? 0 : -1;
	if (o) {
		rc |= put_int(o, "rows", rows);
		rc |= put_int(o, "raggedRows", ragged);
		rc |= put_int(o, "valid", valid);
		rc |= put_int(o, "invalid", invalid);
		rc |= put_int(o, "empty", empty);
		rc |= put_int(o, "total", total);
		rc |= put(o, "validity", json_real(fraction(valid, total)));
		rc |= put(o, "completeness", json_real(fraction(total - empty, total)));
		rc |= put(o, "fields", arr);
		arr = NULL;
	}
	json_t *fields = json_object_get(o, "fields");
	for (size_t i = 0; rc == 0 && i < nf; i++) {
		const struct field *f = &fs[i];
		json_t *e = json_object();
		if (!e) {
			rc = -1;
			break;
		}
		rc |= json_array_append_new(fields, e);
		rc |= put(e, "name", json_string(f->name));
		rc |= put(e, "dataType", json_string(typecheck_name(f->type)));
		rc |= put(e, "declared", json_boolean(f->declared));
		rc |= put_int(e, "valid", f->valid);
		rc |= put_int(e, "invalid", f->invalid);
		rc |= put_int(e, "empty", f->empty);
		rc |= put_int(e, "total", f->valid + f->invalid + f->empty);
		rc |= put(e, "profile", field_profile(f));
	}
	json_decref(arr);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- schema and header ---------------------------------------------------------- */

static void fail(char *code, char *reason, size_t reason_len, const char *c, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fail(char *code, char *reason, size_t reason_len, const char *c, const char *fmt, ...)
{
	if (code)
		snprintf(code, 8, "%s", c);
	if (reason && reason_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(reason, reason_len, fmt, ap);
		va_end(ap);
	}
}

/* A non-negative integer property (JSON integer, integral real or digit
 * string); -1 when absent or not one. */
static int int_prop(const json_t *props, const char *key)
{
	const json_t *v = json_object_get(props, key);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		return i >= 0 && i <= 1000 ? (int)i : -1;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		return d >= 0 && d <= 1000 && d == floor(d) ? (int)d : -1;
	}
	const char *s = json_string_value(v);
	if (s && *s && strlen(s) <= 4 && strspn(s, "0123456789") == strlen(s))
		return atoi(s);
	return -1;
}

static void field_init(struct field *f, enum field_type t)
{
	f->type = t;
	f->col = -1;
	f->numeric = t == FT_INTEGER || t == FT_DOUBLE || t == FT_DECIMAL;
}

static void fields_free(struct field *fs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(fs[i].name);
		free(fs[i].set);
		free(fs[i].hll);
	}
	free(fs);
}

/* Allocates the exact set of every field that reads a column. */
static int fields_alloc_sets(struct field *fs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fs[i].col < 0)
			continue;
		fs[i].set = calloc(SET_MIN, sizeof(uint64_t));
		if (!fs[i].set)
			return -1;
		fs[i].set_cap = SET_MIN;
	}
	return 0;
}

static char *name_dup(const char *s, size_t n)
{
	char *raw = malloc(n + 1), *clean = malloc(n + 1);
	if (!raw || !clean) {
		free(raw);
		free(clean);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		raw[i] = s[i] ? s[i] : '?';
	raw[n] = '\0';
	utf8_sanitize(clean, n + 1, raw);
	free(raw);
	return clean;
}

/* Builds the field list from the schema and the header record: declared
 * fields in schema order, each bound to the first unbound header column of
 * the same name (exact bytes), then every unbound column as an undeclared
 * STRING field. */
static int build_fields(struct field **out, size_t *nout, const json_t *schema,
			const struct csv_record *hdr, char *code, char *reason, size_t reason_len)
{
	size_t nd = json_is_array(schema) ? json_array_size(schema) : 0;
	size_t cap = nd + hdr->nfields;
	struct field *fs = calloc(cap ? cap : 1, sizeof *fs);
	bool *bound = calloc(hdr->nfields ? hdr->nfields : 1, sizeof *bound);
	size_t n = 0;
	if (!fs || !bound)
		goto nomem;
	for (size_t i = 0; i < nd; i++) {
		const json_t *df = json_array_get(schema, i);
		const char *name = json_string_value(json_object_get(df, "name"));
		const json_t *dt = json_object_get(df, "dataType");
		const char *tname = json_string_value(json_object_get(dt, "type"));
		enum field_type t;
		if (!name) {
			fail(code, reason, reason_len, DQ_INTERNAL, "schema field %zu has no name", i);
			goto err;
		}
		if (!tname || typecheck_from_name(&t, tname) < 0) {
			fail(code, reason, reason_len, DQ_INTERNAL,
			     "schema field '%.64s' has an unknown dataType.type", name);
			goto err;
		}
		struct field *f = &fs[n++];
		field_init(f, t);
		f->declared = f->counted = true;
		if (!(f->name = strdup(name)))
			goto nomem;
		if (t == FT_DECIMAL) {
			const json_t *props = json_object_get(dt, "properties");
			int p = int_prop(props, "precision"), s = int_prop(props, "scale");
			f->tp.precision = p > 0 ? p : 0;
			f->tp.scale = s >= 0 ? s : 0;
		}
		size_t nl = strlen(name);
		for (size_t c = 0; c < hdr->nfields; c++)
			if (!bound[c] && hdr->lens[c] == nl && !memcmp(hdr->fields[c], name, nl)) {
				bound[c] = true;
				f->col = (long)c;
				break;
			}
	}
	for (size_t c = 0; c < hdr->nfields; c++) {
		if (bound[c])
			continue;
		struct field *f = &fs[n++];
		field_init(f, FT_STRING);
		f->counted = nd == 0; /* no schema: every column counts */
		f->col = (long)c;
		if (!(f->name = name_dup(hdr->fields[c], hdr->lens[c])))
			goto nomem;
	}
	if (fields_alloc_sets(fs, n) < 0)
		goto nomem;
	free(bound);
	*out = fs;
	*nout = n;
	return 0;
nomem:
	fail(code, reason, reason_len, DQ_INTERNAL, "out of memory");
err:
	free(bound);
	if (fs)
		fields_free(fs, n);
	return -1;
}

/* ---- the pass ---------------------------------------------------------------------- */

static int csv_fail(struct csv_reader *r, int st, char *code, char *reason, size_t reason_len)
{
	const char *why = csv_error(r);
	if (st == CSV_MALFORMED)
		fail(code, reason, reason_len, DQ_MALFORMED, "malformed CSV: %s", why ? why : "?");
	else if (st == CSV_IO)
		fail(code, reason, reason_len, DQ_FILE_UNREADABLE, "read failed: %s", why ? why : "?");
	else if (st == CSV_TOO_BIG)
		fail(code, reason, reason_len, DQ_TOO_BIG, "%s", why ? why : "over the byte budget");
	else if (st == CSV_TOO_SLOW)
		fail(code, reason, reason_len, DQ_TOO_SLOW, "%s", why ? why : "over the time budget");
	else
		fail(code, reason, reason_len, DQ_INTERNAL, "out of memory while reading the CSV");
	return -1;
}

static int by_column(const void *a, const void *b)
{
	long ca = (*(struct field *const *)a)->col, cb = (*(struct field *const *)b)->col;
	return (ca > cb) - (ca < cb);
}

int profile_csv(json_t **out, struct profile_stats *stats, int fd, const json_t *schema_fields,
		char *code, char *reason, size_t reason_len)
{
	return profile_csv_budget(out, stats, fd, schema_fields, NULL, code, reason, reason_len);
}

int profile_csv_budget(json_t **out, struct profile_stats *stats, int fd,
		       const json_t *schema_fields, const struct profile_budget *budget, char *code,
		       char *reason, size_t reason_len)
{
	*out = NULL;
	if (code)
		code[0] = '\0';
	if (reason && reason_len)
		reason[0] = '\0';
	if (stats)
		*stats = (struct profile_stats){0};

	struct csv_reader *r = NULL;
	if (csv_open(&r, fd, ',') != 0 || !r) {
		fail(code, reason, reason_len, DQ_INTERNAL, "out of memory opening the CSV reader");
		return -1;
	}
	if (budget)
		csv_set_budget(r, budget->max_bytes, budget->deadline_ns);
	struct csv_record rec;
	int st = csv_next(r, &rec);
	if (st == CSV_EOF) {
		fail(code, reason, reason_len, DQ_NO_HEADER, "the file is empty: no header row");
		csv_close(r);
		return -1;
	}
	if (st != CSV_RECORD) {
		csv_fail(r, st, code, reason, reason_len);
		csv_close(r);
		return -1;
	}

	struct field *fs = NULL;
	size_t nf = 0;
	if (build_fields(&fs, &nf, schema_fields, &rec, code, reason, reason_len) < 0) {
		csv_close(r);
		return -1;
	}
	size_t ncols = rec.nfields;

	/* Fields reading a column, in column order, for the hot loop. */
	struct field **live = calloc(nf ? nf : 1, sizeof *live);
	size_t nlive = 0;
	uint64_t missing_fields = 0;
	if (!live) {
		fail(code, reason, reason_len, DQ_INTERNAL, "out of memory");
		goto err;
	}
	for (size_t i = 0; i < nf; i++) {
		if (fs[i].col >= 0)
			live[nlive++] = &fs[i];
		else
			missing_fields++;
	}
	qsort(live, nlive, sizeof *live, by_column);

	uint64_t rows = 0, ragged = 0;
	while ((st = csv_next(r, &rec)) == CSV_RECORD) {
		rows++;
		ragged += rec.nfields != ncols;
		for (size_t i = 0; i < nlive; i++) {
			struct field *f = live[i];
			size_t c = (size_t)f->col;
			if (c >= rec.nfields) {
				f->empty++;
				continue;
			}
			const char *s = rec.fields[c];
			size_t n = rec.lens[c];
			while (n && blank(*s)) {
				s++;
				n--;
			}
			while (n && blank(s[n - 1]))
				n--;
			if (!n) {
				f->empty++;
				f->empty_present++;
				continue;
			}
			if (add_value(f, s, n) < 0) {
				fail(code, reason, reason_len, DQ_INTERNAL, "out of memory");
				goto err;
			}
		}
	}
	if (st != CSV_EOF) {
		csv_fail(r, st, code, reason, reason_len);
		goto err;
	}
	if (missing_fields)
		for (size_t i = 0; i < nf; i++)
			if (fs[i].col < 0)
				fs[i].empty = rows;

	json_t *o = result(fs, nf, rows, ragged);
	if (!o) {
		fail(code, reason, reason_len, DQ_INTERNAL, "out of memory building the result");
		goto err;
	}
	if (stats) {
		stats->bytes = csv_bytes(r);
		stats->rows = rows;
	}
	free(live);
	fields_free(fs, nf);
	csv_close(r);
	*out = o;
	return 0;
err:
	free(live);
	fields_free(fs, nf);
	csv_close(r);
	return -1;
}
