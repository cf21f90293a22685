// The detail view's Monte Carlo panel: the same seed gives the same bands in the page as
// `btlab experiments montecarlo` natively, and the fans are drawn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, openApp, runSweep, loadSample, tempDir, btlab, screenshot, paintedPixels, DATA_15M } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

const painted = (page, selector) => page.$eval(selector, (canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) n++;
  return n;
});

test('Monte Carlo of an experiment\'s trades: the page\'s bands are btlab\'s, seed for seed', { timeout: 300_000 }, async () => {
  const range = ['--start', '2025-01-01', '--end', '2025-11-01'];
  const db = path.join(tempDir(), 'cli.sqlite');
  const grid = path.join(tempDir(), 'grid.yaml');
  fs.writeFileSync(grid, 'sma: {fast_period: [20], slow_period: [100]}');
  btlab('sweep', '--strategy', 'sma', '--grids', grid, '--data', DATA_15M, '--symbol', 'BTCUSDT', '--timeframe', '15m', ...range, '--db', db);
  const native = (seed, runs) => JSON.parse(btlab('experiments', 'montecarlo', '#1', '--json', '--seed', seed, '--runs', runs, '--data', DATA_15M, '--db', db));

  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await loadSample(page);
    await runSweep(page, { axes: { fast_period: '20', slow_period: '100' }, start: '2025-01-01', end: '2025-11-01', datasetMatch: 'BTCUSDT 15m' });
    await page.click('#tabs button[data-view=results]');
    await page.click('#results-table tbody tr:first-child');
    await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 60_000 });
    await page.waitForFunction(() => /shuffles and 1000 bootstraps \(seed 1\)/.test(document.querySelector('#mc-status').textContent), null, { timeout: 60_000 });
    const first = native('1', '1000');
    const [stored] = await page.evaluate(() => window.btlab.store.top('sharpe_ratio', 1, null));
    assert.equal(stored.config_hash, first.config_hash);
    assert.deepEqual(await page.evaluate(() => window.btlab.lastMonteCarlo), first.monte_carlo);
    assert.equal(await page.locator('#mc-table tbody tr').count(), 3);
    for (const fan of ['#mc-fan-shuffle', '#mc-fan-bootstrap']) assert.ok(await painted(page, fan) > 2000, `${fan} is drawn`);

    // Another seed and count: the form re-runs it, and it is still btlab's.
    await page.fill('#mc-form input[name=seed]', '7');
    await page.fill('#mc-form input[name=runs]', '500');
    await page.click('#mc-form button[type=submit]');
    await page.waitForFunction(() => /500 bootstraps \(seed 7\)/.test(document.querySelector('#mc-status').textContent), null, { timeout: 60_000 });
    assert.deepEqual(await page.evaluate(() => window.btlab.lastMonteCarlo), native('7', '500').monte_carlo);
    await screenshot(page, 'montecarlo');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the Pareto tab, Top by stability and the heatmap\'s plateau show what btlab finds in the exported store', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await runSweep(page, { axes: { fast_period: '1..10 step 1', slow_period: '20..200 step 20' } });
    await page.click('#tabs button[data-view=pareto]');
    const ids = await page.$$eval('#pareto-table tbody tr td:first-child', (tds) => tds.map((td) => Number(td.textContent)));
    assert.ok(ids.length >= 1);
    assert.match(await page.textContent('#pareto-info'), new RegExp(`^${ids.length} of 100 experiments on the front of max_drawdown and sharpe_ratio`));
    const file = path.join(tempDir(), 'export.sqlite');
    fs.writeFileSync(file, Buffer.from(await page.evaluate(() => Array.from(window.btlab.store.exportBytes()))));
    const native = JSON.parse(btlab('experiments', 'pareto', '--objectives', 'max_drawdown,sharpe_ratio', '--json', '--db', file));
    assert.deepEqual(ids, native.map((e) => e.id));
    const orange = await page.$eval('#pareto-chart', (canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] > 60 && data[i + 1] < 140 && data[i + 2] < 60) n++;
      return n;
    });
    assert.ok(orange > 30 * ids.length, `the front is drawn (${orange} pixels)`);
    await screenshot(page, 'pareto');

    // Top by stability: btlab's `top --robust` order.
    await page.click('#tabs button[data-view=top]');
    await page.check('#top-robust');
    const robust = await page.$$eval('#top-table tbody tr td:first-child', (tds) => tds.map((td) => Number(td.textContent)));
    const nativeRobust = JSON.parse(btlab('experiments', 'top', '--robust', '--n', '10', '--json', '--db', file));
    assert.deepEqual(robust, nativeRobust.map((e) => e.id));
    assert.match(await page.textContent('#top-table thead'), /sharpe_ratio stability/);

    // The heatmap: a plateau outlined, and the cell under the cursor named.
    await page.click('#tabs button[data-view=heatmap]');
    await page.selectOption('#heat-strategy', 'sma');
    assert.ok(Number(await page.getAttribute('#heatmap', 'data-plateau')) >= 1);
    const box = await page.locator('#heatmap').boundingBox();
    await page.mouse.move(box.x + 80, box.y + 20);
    assert.match(await page.getAttribute('#heatmap', 'title'), /^fast_period 1, slow_period 200: sharpe_ratio /);
    await screenshot(page, 'heatmap-plateau');

    // The same cells as a 3-D surface (plotly.js, vendored): drawn, every cell in it.
    await page.check('#heat-surface');
    await page.waitForFunction(() => document.querySelector('#surface').dataset.cells || document.querySelector('#surface-status').textContent, null, { timeout: 60_000 });
    assert.equal(await page.textContent('#surface-status'), '');
    assert.equal(await page.getAttribute('#surface', 'data-cells'), '100');
    assert.ok(await paintedPixels(page, '#surface') > 20_000, 'the surface is drawn');
    await screenshot(page, 'surface');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
