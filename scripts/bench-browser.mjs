// Browser benchmark (not a test): 1,000 SMA configs on the real 15m series (30,026
// candles) in headless Chromium, stored and persisted; wall time from the click to the
// sweep's end (results logged to IndexedDB and folded into the snapshot), and the longest
// main-thread task during it; then 1,000 configs of a strategy definition
// (strategies/ema_rsi.yaml, defined through the Strategy tab's "Sweep this").
// Run: node scripts/bench-browser.mjs (after scripts/build-web.sh).
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, openApp, importCandles, DATA_15M, ROOT } from '../tests/e2e/helpers.js';

const server = await startServer();
const { context } = await launch();
try {
  const { page } = await openApp(context, server.url);
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: false });
  });
  await importCandles(page, DATA_15M, 'BTCUSDT');
  await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent));
  await page.click('#tabs button[data-view=sweep]');
  await page.fill('input[name=start]', '2025-01-01');
  await page.fill('input[name=end]', '2026-01-01');
  // fast 1..100 x slow 110..200 step 10: 1,000 configs, as the native benchmark.
  await page.fill('input[name=axis-fast_period]', '1..100 step 1');
  await page.fill('input[name=axis-slow_period]', '110..200 step 10');
  const runs = [];
  const sweep = async (label, run) => {
    // Each run a new fee, so new configs: nothing is skipped as already stored.
    await page.fill('input[name=fee_bps]', String(10 + run));
    const started = Date.now();
    await page.click('#run');
    await page.waitForFunction(() => /^sweep (done|cancelled)/.test(document.querySelector('#status').textContent) && !document.querySelector('#run').disabled, null, { timeout: 120_000, polling: 5 });
    const ms = Date.now() - started;
    const text = await page.textContent('#progress-text');
    runs.push({ label, ms, text });
    await page.evaluate(() => { document.querySelector('#status').textContent = 'ready'; });
  };
  for (let run = 0; run < 3; run++) await sweep('sma built-in', run);
  // The definition: 10 fast x 10 slow x 10 RSI limits, the native benchmark's grid.
  const source = fs.readFileSync(path.join(ROOT, 'strategies/ema_rsi.yaml'), 'utf8');
  await page.evaluate(async (s) => {
    const { define } = await import('./definitions.js');
    define(window.btlab.ctx, s);
    window.btlab.ctx.emit('sweep-strategy', 'ema_rsi');
  }, source);
  for (const [name, text] of Object.entries({ fast: '5..14 step 1', slow: '30..120 step 10', rsi_len: '14', rsi_max: '50..95 step 5', ma: 'ema' })) {
    await page.fill(`input[name=axis-${name}]`, text);
  }
  for (let run = 3; run < 6; run++) await sweep('ema_rsi definition', run);
  const longest = await page.evaluate(() => Math.max(0, ...window.longTasks));
  for (const r of runs) console.log(`${r.label}, 1000 configs: ${r.ms} ms wall (${r.text})`);
  console.log(`longest main-thread task during the sweeps: ${longest.toFixed(0)} ms; workers: ${await page.evaluate(() => window.btlab.pool.size)}`);
} finally {
  await context.close();
  await server.close();
}
