// Stops, sizing and the report in the page: order fields as sweep axes give the rows
// `btlab run` gives with the same flags; the report's columns sort and filter; the detail
// view shows the exit reasons and the buy and hold line; a sweep link keeps the order axes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openApp, runSweep, loadSample, columnNumbers, btlab, DATA_15M } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

const RANGE = { start: '2025-01-01', end: '2025-06-01' };

test('order fields swept in the page match btlab run, and every view shows them', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await loadSample(page);
    await page.click('#tabs button[data-view=sweep]');
    await page.click('#order-fields summary');
    await page.fill('input[name="order-stop_loss.pct"]', '0.01, 0.02');
    await page.fill('input[name="order-take_profit.rr"]', '2');
    await page.fill('input[name="order-max_bars"]', '96');
    await runSweep(page, { axes: { fast_period: '20', slow_period: '50' }, ...RANGE, datasetMatch: 'BTCUSDT 15m' });
    assert.match(await page.textContent('#progress-text'), /^2\/2 configs .* 2 new/);

    const rows = await page.evaluate(() => window.btlab.store.top('sharpe_ratio', 10, null));
    assert.equal(rows.length, 2);
    for (const row of rows) {
      const stop = row.config.stop_loss.pct;
      assert.deepEqual(row.config.take_profit, { rr: 2 });
      assert.equal(row.config.max_bars, 96);
      const native = JSON.parse(btlab('run', '--json', '--data', DATA_15M, '--symbol', 'BTCUSDT', '--timeframe', '15m', '--strategy', 'sma',
        '--params', '{"fast_period":20,"slow_period":50}', '--start', RANGE.start, '--end', RANGE.end,
        '--stop-loss', String(stop), '--take-profit', 'rr2', '--max-bars', '96'));
      assert.equal(row.config_hash, native.config_hash, `stop ${stop}`);
      assert.deepEqual(row.metrics, native.metrics, `stop ${stop}`);
    }

    // The report's columns: shown, sortable, filterable.
    await page.click('#tabs button[data-view=results]');
    await page.click('#results-table th:text-is("sortino ratio")');
    assert.match(await page.textContent('#page-info'), /by sortino_ratio/);
    const sortinos = await columnNumbers(page, '#results-table', 'sortino ratio');
    assert.deepEqual(sortinos, [...sortinos].sort((a, b) => b - a));
    const exposures = rows.map((r) => r.metrics.exposure).sort((a, b) => a - b);
    await page.selectOption('#where-metric', 'exposure');
    await page.selectOption('select[name=where_op]', 'max');
    await page.fill('input[name=where_value]', String((exposures[0] + exposures[1]) / 2));
    await page.click('#filter-form button[type=submit]');
    assert.match(await page.textContent('#page-info'), /^1-1 of 1/);
    await page.fill('input[name=where_value]', '');
    await page.click('#filter-form button[type=submit]');

    // The detail: its order fields, the exit reasons in the trade list and on the candles,
    // the buy and hold line beside the equity.
    await page.click('#results-table tbody tr:first-child');
    await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#detail-config'), /stop_loss\.pct 0\.0[12], take_profit\.rr 2, max_bars 96/);
    const reasons = await page.$$eval('#detail-trades tbody tr', (trs) => trs.map((tr) => tr.textContent));
    assert.ok(reasons.some((r) => /stop_loss/.test(r)), 'some trade stops out');
    const detail = await page.evaluate(async (config) => {
      const result = await window.btlab.pool.detail(config);
      return { reasons: [...new Set(result.trades.map((t) => t.exit_reason))], buyHold: result.buy_hold_curve, candles: result.candles,
        ret: result.metrics.buy_hold_return };
    }, rows[0].config);
    assert.ok(detail.reasons.includes('stop_loss') && detail.reasons.includes('take_profit'), detail.reasons.join());
    assert.equal(detail.buyHold.length, detail.candles);
    assert.ok(Math.abs(detail.buyHold.at(-1).equity / 10_000 - 1 - detail.ret) < 1e-12);

    // The heatmap puts an order field on an axis.
    await page.click('#tabs button[data-view=heatmap]');
    await page.selectOption('#heat-strategy', 'sma');
    await page.selectOption('#heat-x', 'stop_loss.pct');
    await page.selectOption('#heat-y', 'fast_period');
    assert.ok(await page.$eval('#heatmap', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let green = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 1] > 100 && d[i] < 150 && d[i + 3] > 0) green++;
      return green;
    }) > 100, 'the heatmap has cells');

    // A sweep link keeps the order axes.
    await page.click('#tabs button[data-view=sweep]');
    await page.evaluate(() => { window.btlab.lastLink = null; });
    await page.click('#sweep-link');
    await page.waitForFunction(() => window.btlab.lastLink);
    const link = await page.evaluate(() => window.btlab.lastLink);
    await page.fill('input[name="order-stop_loss.pct"]', '');
    await page.goto(link);
    await page.waitForFunction(() => /sweep loaded from a link/.test(document.querySelector('#sweep-link-status').textContent), null, { timeout: 60_000 });
    assert.equal(await page.inputValue('input[name="order-stop_loss.pct"]'), '0.01, 0.02');
    assert.equal(await page.inputValue('input[name="order-take_profit.rr"]'), '2');
    assert.match(await page.textContent('#sweep-count'), /^2 configs/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a bad order field is refused in the builder, naming it', async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    await page.click('#tabs button[data-view=sweep]');
    await page.click('#order-fields summary');
    await page.fill('input[name="order-risk_pct"]', '0.01');
    await page.waitForFunction(() => /risk_pct/.test(document.querySelector('#sweep-error').textContent));
    assert.match(await page.textContent('#sweep-error'), /risk_pct.*stop_loss/);
  } finally {
    await context.close();
  }
});
