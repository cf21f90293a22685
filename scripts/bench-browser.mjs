// Browser benchmark (not a test): 1,000 SMA configs on the real 15m series (30,026
// candles) in headless Chromium, stored and persisted; wall time from the click to the
// sweep's end (results logged to IndexedDB and folded into the snapshot), and the longest
// main-thread task during it. Run: node scripts/bench-browser.mjs (after scripts/build-web.sh).
import { startServer, launch, openApp, DATA_15M } from '../tests/e2e/helpers.js';

const server = await startServer();
const { context } = await launch();
try {
  const { page } = await openApp(context, server.url);
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: false });
  });
  await page.click('#tabs button[data-view=datasets]');
  await page.fill('#import-symbol', 'BTCUSDT');
  await page.setInputFiles('#file', DATA_15M);
  await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent));
  await page.click('#tabs button[data-view=sweep]');
  await page.fill('input[name=start]', '2025-01-01');
  await page.fill('input[name=end]', '2026-01-01');
  // fast 1..100 x slow 110..200 step 10: 1,000 configs, as the native benchmark.
  await page.fill('input[name=axis-fast_period]', '1..100 step 1');
  await page.fill('input[name=axis-slow_period]', '110..200 step 10');
  const runs = [];
  for (let run = 0; run < 3; run++) {
    // Each run a new fee, so new configs: nothing is skipped as already stored.
    await page.fill('input[name=fee_bps]', String(10 + run));
    const started = Date.now();
    await page.click('#run');
    await page.waitForFunction(() => /^sweep (done|cancelled)/.test(document.querySelector('#status').textContent) && !document.querySelector('#run').disabled, null, { timeout: 120_000, polling: 5 });
    const ms = Date.now() - started;
    const text = await page.textContent('#progress-text');
    runs.push({ ms, text });
    await page.evaluate(() => { document.querySelector('#status').textContent = 'ready'; });
  }
  const longest = await page.evaluate(() => Math.max(0, ...window.longTasks));
  for (const r of runs) console.log(`1000 configs: ${r.ms} ms wall (${r.text})`);
  console.log(`longest main-thread task during the sweeps: ${longest.toFixed(0)} ms; workers: ${await page.evaluate(() => window.btlab.pool.size)}`);
} finally {
  await context.close();
  await server.close();
}
