// readme-screenshot.mjs: regenerates docs/images/marketplace.png, the
// README's picture of the web app: a server with a few realistic products,
// signed in through the form, the marketplace at 1280x800.
//   cd tests && node tools/readme-screenshot.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../api/lib/server.mjs';
import { openBrowser, signIn } from '../web/lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../../docs/images/marketplace.png');
const DP = '/api/data-governance/data-products';

const srv = await startServer();
const b = await openBrowser();
try {
  const me = (await srv.api('GET', '/api/v1/users/me')).body;
  const space = async (name) => (await srv.api('POST', '/api/v1/spaces', { body: { name, type: 'managed' } })).body;
  const sales = await space('Sales');
  const finance = await space('Finance');
  const ops = await space('Operations');
  const items = [
    [sales, 'Customer orders', 'Every order placed in the web shop and the stores since 2019, one row per order line, refreshed nightly.', ['sales', 'orders', 'daily']],
    [sales, 'Customer 360', 'One row per customer with lifetime value, segments, consent flags and the latest contact channel.', ['sales', 'customers']],
    [finance, 'General ledger', 'Posted journal entries from the ERP with account hierarchy and cost centres, closed monthly.', ['finance', 'monthly']],
    [finance, 'Invoices and payments', 'Issued invoices, their payments and days sales outstanding per customer and region.', ['finance', 'customers']],
    [ops, 'Warehouse shipments', 'Every parcel that left a warehouse: carrier, weight, promised and actual delivery dates.', ['logistics', 'daily']],
    [ops, 'Supplier lead times', 'Order-to-delivery times per supplier and product group, with on-time rates.', ['logistics', 'suppliers']],
  ];
  for (const [sp, name, description, tags] of items) {
    const ds = (await srv.api('POST', '/api/v1/data-sets', { body: { name: `${name} table`, technicalName: `${name.toLowerCase().replace(/\W+/g, '_')}.csv`, spaceId: sp.id } })).body;
    const p = (await srv.api('POST', DP, { body: { name, description, tags, spaceId: sp.id, datasetIds: [ds.id], keyContacts: [{ userId: me.id, role: 'owner' }] } })).body;
    await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name, description, tags } });
  }
  const page = await b.page({ viewport: { width: 1280, height: 800 } });
  await signIn(page, srv, srv.key, '/');
  await page.getByRole('heading', { name: 'Results' }).waitFor().catch(() => {});
  await page.waitForTimeout(300);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await b.close();
  await srv.stop();
}
