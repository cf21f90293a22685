import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openApp, runSweep, storedCount } from './helpers.js';

test('a 100-config grid on the embedded data fills the table and survives a reload', async () => {
  const server = await startServer();
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await runSweep(page, { axes: { fast_period: '1..10 step 1', slow_period: '20..200 step 20' } });
    assert.match(await page.textContent('#progress-text'), /^100\/100 configs/);
    assert.equal(await storedCount(page), 100);
    await page.click('#tabs button[data-view=results]');
    assert.equal(await page.locator('#results-table tbody tr').count(), 50);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready');
    assert.equal(await storedCount(page), 100);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
