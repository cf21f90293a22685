// One sweep across five datasets in the page (the builder's "Also sweep on") stores the rows
// `btlab sweep` stores for the same markets, and the Markets view ranks them as
// `btlab experiments markets` does, with its config x market heatmap drawn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launch, openApp, tempDir, btlab, screenshot, ROOT } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

const DATA = path.join(ROOT, 'tests/data');
// In the order the CLI's spec lists them; the first is the builder's chosen dataset.
const FILES = ['BTCUSDT-1h-2020-2025.csv', 'ETHUSDT-1h-2020-2025.csv', 'SOLUSDT-1h-2020-2025.csv', 'BTCUSDT-15m-2025.csv', 'DOGEUSDT-15m-2025.csv'];

// What the page and the CLI must agree on, by config hash.
const rowsByHash = (rows) => Object.fromEntries(rows.map((e) => [e.config_hash, { config: e.config, metrics: e.metrics, data_fingerprint: e.data_fingerprint }]));

test('a sweep over five datasets gives the rows and the ranking of btlab sweep over five markets', { timeout: 300_000 }, async () => {
  const dir = tempDir();
  const db = path.join(dir, 'cli.sqlite');
  btlab('sweep', path.join(ROOT, 'tests/specs/five-markets.yaml'), '--data-dir', DATA, '--db', db);
  const nativeRows = JSON.parse(btlab('experiments', 'list', '--json', '--db', db, '--limit', '100'));
  const nativeRanking = JSON.parse(btlab('experiments', 'markets', '--json', '--db', db, '--strategy', 'sma', '--limit', '100'));
  assert.equal(nativeRows.length, 30);

  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await page.click('#tabs button[data-view=datasets]');
    for (const file of FILES) {
      const [symbol, timeframe] = file.split('-');
      await page.setInputFiles('#file', path.join(DATA, file));
      await page.waitForFunction((s) => document.querySelector('#status').textContent.startsWith(s), `dataset ${symbol} ${timeframe} ready`, { timeout: 60_000 });
    }
    await page.click('#tabs button[data-view=sweep]');
    const chosen = await page.$eval('#sweep-dataset', (s) => [...s.options].find((o) => o.textContent.startsWith('BTCUSDT 1h'))?.value);
    await page.selectOption('#sweep-dataset', chosen);
    await page.click('#sweep-more summary');
    for (const name of ['ETHUSDT 1h', 'SOLUSDT 1h', 'BTCUSDT 15m', 'DOGEUSDT 15m']) {
      await page.locator('#sweep-markets label', { hasText: name }).locator('input').check();
    }
    assert.ok(!(await page.locator('#sweep-markets label', { hasText: 'BTCUSDT 1h' }).count()), 'the chosen dataset is not offered again');
    await page.selectOption('#sweep-strategy', 'sma');
    await page.fill('input[name=axis-fast_period]', '5, 10, 20');
    await page.fill('input[name=axis-slow_period]', '50, 100');
    await page.fill('input[name=start]', '2025-01-01');
    await page.fill('input[name=end]', '2025-11-01');
    assert.match(await page.textContent('#sweep-count'), /^6 configs .* × 5 markets = 30 backtests/);
    await page.click('#run');
    await page.waitForFunction(() => /^sweep done/.test(document.querySelector('#status').textContent), null, { timeout: 240_000 });
    assert.match(await page.textContent('#progress-text'), /^30\/30 configs .* 30 new, 0 already stored, 0 failed/);

    const pageRows = await page.evaluate(() => window.btlab.store.list(null, 'sharpe_ratio', 100, 0));
    assert.deepEqual(rowsByHash(pageRows), rowsByHash(nativeRows));
    const pageRanking = await page.evaluate(() => window.btlab.store.acrossMarkets({ strategy: 'sma' }, 'sharpe_ratio'));
    assert.deepEqual(pageRanking, nativeRanking);

    // The view: one row per config, a column per market, and the heatmap painted.
    await page.click('#tabs button[data-view=markets]');
    await page.selectOption('#markets-strategy', 'sma');
    assert.equal(await page.locator('#markets-table tbody tr').count(), 6);
    const headers = await page.$$eval('#markets-table thead th', (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(headers.slice(-5), ['BTCUSDT 1h', 'ETHUSDT 1h', 'SOLUSDT 1h', 'BTCUSDT 15m', 'DOGEUSDT 15m']);
    const worst = await page.$$eval('#markets-table tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent));
    assert.deepEqual(worst, nativeRanking.map((c) => c.worst.toFixed(3)));
    const painted = await page.$eval('#markets-heatmap', (canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i + 1] > data[i] + 40) n++;
      return n;
    });
    assert.ok(painted > 1000, `green cells painted (${painted} pixels)`);
    await screenshot(page, 'markets');
    // A cell opens that config's experiment on that market.
    await page.locator('#markets-table tbody tr:first-child td:last-child a').click();
    await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#detail-title'), /DOGEUSDT/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
