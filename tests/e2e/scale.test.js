// A 100,000-config sweep in the page: the JS heap stays small (configs stream from the
// generator, results go to SQLite), and the results table still pages and sorts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openApp, columnNumbers } from './helpers.js';

test('a 100,000-config sweep keeps the JS heap under 200 MB', { timeout: 600_000 }, async () => {
  const server = await startServer();
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    const cdp = await context.newCDPSession(page);
    await page.selectOption('#sweep-timeframe', '1h');
    await page.fill('input[name=start]', '2024-01-01');
    await page.fill('input[name=end]', '2025-01-01');
    await page.fill('input[name=axis-fast_period]', '1..100 step 1');
    await page.fill('input[name=axis-slow_period]', '101..1100 step 1');
    assert.match(await page.textContent('#sweep-count'), /^100000 configs/);
    await page.click('#run');
    let peak = 0;
    while (!(await page.evaluate(() => /^sweep (done|cancelled)/.test(document.querySelector('#status').textContent)))) {
      peak = Math.max(peak, (await cdp.send('Runtime.getHeapUsage')).usedSize);
      await new Promise((r) => setTimeout(r, 250));
    }
    peak = Math.max(peak, (await cdp.send('Runtime.getHeapUsage')).usedSize);
    console.log(`peak JS heap during the sweep: ${(peak / 2 ** 20).toFixed(1)} MiB`);
    assert.match(await page.textContent('#progress-text'), /^100000\/100000 configs .* 100000 new/);
    assert.ok(peak < 200 * 2 ** 20, `peak JS heap ${peak} bytes`);

    await page.click('#tabs button[data-view=results]');
    assert.match(await page.textContent('#page-info'), /^1-50 of 100000, by sharpe_ratio/);
    await page.click('#next');
    assert.match(await page.textContent('#page-info'), /^51-100 of 100000/);
    await page.click('#results-table th:text-is("max dd")');
    assert.match(await page.textContent('#page-info'), /^1-50 of 100000, by max_drawdown/);
    const drawdowns = await columnNumbers(page, '#results-table', 'max dd');
    assert.deepEqual(drawdowns, [...drawdowns].sort((a, b) => a - b));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});
