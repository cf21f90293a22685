// The page end to end in headless Chromium: sweeps, views, charts, durability, import,
// export, the native tool on the exported file, and escaping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, openApp, runSweep, storedCount, columnNumbers, tempDir, btlab, importCandles, DATA_15M } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Painted pixels (not background) across the canvases of a chart container.
async function paintedPixels(page, selector) {
  return page.$eval(selector, (el) => [...el.querySelectorAll('canvas')].reduce((sum, canvas) => {
    if (!canvas.width || !canvas.height) return sum;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) painted++;
    return sum + painted;
  }, 0));
}

test('a 100-config grid: progress, sorting, a detail with its charts drawn, and a reload', async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await runSweep(page, { axes: { fast_period: '1..10 step 1', slow_period: '20..200 step 20' } });
    assert.match(await page.textContent('#progress-text'), /^100\/100 configs .* 100 new, 0 already stored, 0 failed/);

    await page.click('#tabs button[data-view=results]');
    assert.equal(await page.locator('#results-table tbody tr').count(), 50);
    assert.match(await page.textContent('#page-info'), /^1-50 of 100, by sharpe_ratio/);
    await page.click('#results-table th:text-is("return")');
    assert.match(await page.textContent('#page-info'), /by total_return/);
    await page.click('#results-table th:text-is("sharpe")');
    const sharpes = await columnNumbers(page, '#results-table', 'sharpe');
    assert.deepEqual(sharpes, [...sharpes].sort((a, b) => b - a));

    await page.click('#results-table tbody tr:first-child');
    await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 30_000 });
    await page.waitForTimeout(300); // charts paint on the next frames
    for (const chart of ['#chart-equity', '#chart-drawdown', '#chart-candles']) {
      assert.ok(await paintedPixels(page, chart) > 500, `${chart} is drawn`);
    }
    assert.ok(await page.locator('#detail-trades tbody tr').count() > 0);

    await page.reload();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready');
    assert.equal(await storedCount(page), 100);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('real candles imported from a file give the same hash and metrics as btlab run', async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    await importCandles(page, DATA_15M, 'BTCUSDT');
    await page.waitForFunction(() => /BTCUSDT 15m ready \(30026 candles\)/.test(document.querySelector('#status').textContent));
    assert.match(await page.textContent('#datasets-table'), /BTCUSDT.*30026/);
    await runSweep(page, { axes: { fast_period: '20', slow_period: '50' }, start: '2025-01-01', end: '2025-11-01', datasetMatch: 'BTCUSDT 15m' });
    const [stored] = await page.evaluate(() => window.btlab.store.top('sharpe_ratio', 1, null));
    const native = JSON.parse(btlab('run', '--json', '--data', DATA_15M, '--symbol', 'BTCUSDT', '--timeframe', '15m', '--strategy', 'sma',
      '--params', '{"fast_period":20,"slow_period":50}', '--start', '2025-01-01', '--end', '2025-11-01'));
    assert.equal(stored.config_hash, native.config_hash);
    assert.deepEqual(stored.metrics, native.metrics);
  } finally {
    await context.close();
  }
});

test('a broken candle file is refused with the row at fault', async () => {
  const dir = tempDir();
  const broken = path.join(dir, 'BROKEN-15m.csv');
  const lines = fs.readFileSync(DATA_15M, 'utf8').split('\n').slice(0, 5);
  lines[2] = lines[2].replace(/^(\d+),([\d.]+),([\d.]+)/, '$1,$2,oops');
  fs.writeFileSync(broken, lines.join('\n'));
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    await importCandles(page, broken, '');
    await page.waitForFunction(() => document.querySelector('#dataset-error').textContent !== '');
    assert.match(await page.textContent('#dataset-error'), /^BROKEN-15m\.csv: .*line 3/);
  } finally {
    await context.close();
  }
});

test('a crash mid-sweep loses no experiment that was shown as done', async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    await page.selectOption('#sweep-strategy', 'sma');
    await page.fill('input[name=axis-fast_period]', '1..60 step 1');
    await page.fill('input[name=axis-slow_period]', '61..160 step 1');
    await page.click('#run');
    await page.waitForFunction(() => /(\d+) new/.exec(document.querySelector('#progress-text').textContent)?.[1] >= 300, null, { timeout: 60_000 });
    const shown = Number(/(\d+) new/.exec(await page.textContent('#progress-text'))[1]);
    const cdp = await context.newCDPSession(page);
    cdp.send('Page.crash').catch(() => {});
    await new Promise((resolve) => page.once('crash', resolve));
    const { page: fresh } = await openApp(context, server.url);
    const kept = await storedCount(fresh);
    assert.ok(kept >= shown && kept < 6000, `shown ${shown}, kept ${kept}`);
  } finally {
    await context.close();
  }
});

test('the exported .sqlite opens in btlab with the same counts', async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    await runSweep(page, { strategy: 'rsi', axes: { period: '7, 14', oversold: '25, 30', overbought: '70, 75' } });
    await page.click('#tabs button[data-view=summary]');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-sqlite')]);
    const file = path.join(tempDir(), 'export.sqlite');
    await download.saveAs(file);
    const summary = JSON.parse(btlab('experiments', 'summary', '--json', '--db', file));
    const ours = await page.evaluate(() => window.btlab.store.summary());
    assert.equal(summary.experiments, 8);
    assert.deepEqual(summary, ours);

    // Imported into a fresh profile, merged by config_hash: the same 8, and again 0 new.
    const { context: other } = await launch();
    try {
      const { page: fresh } = await openApp(other, server.url);
      await fresh.click('#tabs button[data-view=summary]');
      await fresh.setInputFiles('#import-db', file);
      await fresh.waitForFunction(() => /imported export\.sqlite: 8 new/.test(document.querySelector('#import-result').textContent));
      await fresh.setInputFiles('#import-db', file);
      await fresh.waitForFunction(() => /imported export\.sqlite: 0 new/.test(document.querySelector('#import-result').textContent));
      assert.deepEqual(await fresh.evaluate(() => window.btlab.store.summary()), ours);
    } finally {
      await other.close();
    }
  } finally {
    await context.close();
  }
});

test('two tabs on one database keep both tabs\' results', async () => {
  const dir = tempDir();
  let { context } = await launch(dir);
  try {
    const { page: a } = await openApp(context, server.url);
    const { page: b } = await openApp(context, server.url);
    await Promise.all([
      runSweep(a, { axes: { fast_period: '1..10 step 1', slow_period: '50..95 step 5' } }),
      runSweep(b, { strategy: 'rsi', axes: { period: '5..10 step 1', oversold: '20, 30', overbought: '70, 80' } }),
    ]);
    assert.equal(await storedCount(a), 124, 'tab A sees B\'s rows too');
    await context.close();
    ({ context } = await launch(dir));
    const { page } = await openApp(context, server.url);
    assert.equal(await storedCount(page), 124);
  } finally {
    await context.close();
  }
});

test('candles download from a Binance-compatible API with a progress bar', async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    await page.click('#tabs button[data-view=datasets]');
    await page.fill('#download-form input[name=base]', server.url);
    await page.fill('#download-form input[name=interval]', '15m');
    await page.fill('#download-form input[name=start]', '2025-03-01');
    await page.fill('#download-form input[name=end]', '2025-03-15');
    await page.click('#download-form button');
    await page.waitForFunction(() => /BTCUSDT 15m ready \(1344 candles\)/.test(document.querySelector('#status').textContent), null, { timeout: 30_000 });
    assert.equal(await page.$eval('#download-progress', (p) => p.value), 1);
  } finally {
    await context.close();
  }
});

test('user-supplied strings are shown as text, never as HTML', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const dir = tempDir();
  const file = path.join(dir, 'evil.csv');
  fs.writeFileSync(file, fs.readFileSync(DATA_15M, 'utf8').split('\n').slice(0, 400).join('\n'));
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    let dialogs = 0;
    page.on('dialog', (d) => { dialogs++; d.dismiss(); });
    await importCandles(page, file, evil);
    await page.waitForFunction(() => /ready \(399 candles\)/.test(document.querySelector('#status').textContent));
    await runSweep(page, { axes: { fast_period: '5', slow_period: '20' }, start: '2025-01-01', end: '2025-01-05', datasetMatch: '<img' });
    await page.click('#tabs button[data-view=results]');
    assert.ok((await page.textContent('#results-table')).includes(evil));
    await page.click('#tabs button[data-view=datasets]');
    assert.ok((await page.textContent('#datasets-table')).includes(evil));
    assert.equal(await page.locator('main img').count(), 0);
    assert.equal(dialogs, 0);
  } finally {
    await context.close();
  }
});
