// The two wasm builds (with SIMD and without, www/wasm_build.js) agree: the same sweeps in
// a page on each store the same rows, bit for bit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openApp, runSweep, importCandles, DATA_15M } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Every stored experiment of a page that swept SMA (long and short), RSI and MACD on the
// real 15m series, in hash order, without the time it was stored.
async function sweptRows(query) {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, `${server.url}${query}`);
    await importCandles(page, DATA_15M, 'BTCUSDT');
    await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent));
    const build = await page.evaluate(() => window.btlab.build);
    const range = { start: '2025-02-01', end: '2025-09-01' };
    await runSweep(page, { ...range, axes: { fast_period: '2..30 step 4', slow_period: '40..200 step 40' } });
    await page.check('input[name=allow_short]');
    await runSweep(page, { ...range, axes: { fast_period: '3..30 step 9', slow_period: '50..150 step 50' } });
    await page.uncheck('input[name=allow_short]');
    await runSweep(page, { ...range, strategy: 'rsi', axes: { period: '7..21 step 7', oversold: '20..35 step 5', overbought: '65..80 step 5' } });
    await runSweep(page, { ...range, strategy: 'macd', axes: { fast_period: '8..12 step 2', slow_period: '20..30 step 5', signal_period: '9' } });
    const rows = await page.evaluate(() => window.btlab.store.list(null, 'sharpe_ratio', 10_000, 0)
      .map(({ id, created_at, ...row }) => row)
      .sort((a, b) => a.config_hash.localeCompare(b.config_hash)));
    assert.deepEqual(errors, []);
    return { build, rows };
  } finally {
    await context.close();
  }
}

test('a sweep with wasm SIMD and one without store the same rows', { timeout: 300_000 }, async () => {
  const simd = await sweptRows('');
  const plain = await sweptRows('?simd=off');
  assert.equal(simd.build, 'simd', 'headless Chromium has wasm SIMD');
  assert.equal(plain.build, 'plain');
  assert.ok(simd.rows.length > 100, `${simd.rows.length} rows`);
  assert.equal(plain.rows.length, simd.rows.length);
  // Metrics and curves as numbers, exactly (deepEqual compares with Object.is).
  assert.deepEqual(plain.rows, simd.rows);
  assert.ok(simd.rows.some((r) => r.metrics.total_trades > 0 && r.config.allow_short));
});
