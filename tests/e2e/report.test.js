// The self-contained report: the page's "Download report" writes the bytes `btlab report`
// writes from the exported store, and the file draws its charts with the network off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer, launch, openApp, runSweep, loadSample, tempDir, btlab, paintedPixels, screenshot, DATA_15M } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('Download report is btlab report\'s file, and it opens offline with its charts drawn', { timeout: 300_000 }, async () => {
  const dir = tempDir();
  const { context } = await launch();
  let downloaded;
  try {
    const { page, errors } = await openApp(context, server.url);
    await loadSample(page);
    await page.click('#tabs button[data-view=sweep]');
    await page.check('input[name=keep_returns]');
    await runSweep(page, { axes: { fast_period: '10, 20', slow_period: '50, 100' }, start: '2025-01-01', end: '2025-11-01', datasetMatch: 'BTCUSDT 15m' });
    await page.click('#tabs button[data-view=results]');
    await page.click('#results-table tbody tr:first-child');
    await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 60_000 });
    const id = Number((await page.textContent('#detail-title')).match(/Experiment (\d+)/)[1]);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
    downloaded = path.join(dir, download.suggestedFilename());
    await download.saveAs(downloaded);
    const exported = path.join(dir, 'export.sqlite');
    fs.writeFileSync(exported, Buffer.from(await page.evaluate(() => Array.from(window.btlab.store.exportBytes()))));
    const native = path.join(dir, 'native.html');
    btlab('report', `#${id}`, '-o', native, '--db', exported, '--data', DATA_15M);
    const html = fs.readFileSync(downloaded, 'utf8');
    assert.ok(html === fs.readFileSync(native, 'utf8'), 'the page\'s report is byte for byte btlab\'s');
    assert.match(html, /PBO<\/th><td>0\.\d{4} \(sweep \d+, 4 configs/, 'the sweep\'s PBO is in it');
    assert.match(html, /4 configs tried/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }

  // Opened from disk with the network off: nothing is fetched, every chart is drawn.
  const offline = await launch(tempDir(), { offline: true });
  try {
    const page = offline.context.pages()[0] || (await offline.context.newPage());
    const requests = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(pathToFileURL(downloaded).href);
    for (const chart of ['#equity-chart', '#drawdown-chart', '#monte-carlo-chart']) {
      assert.ok(await paintedPixels(page, chart) > 5000, `${chart} is drawn`);
    }
    const trades = (await page.$$eval('h2', (hs) => hs.map((h) => h.textContent))).map((t) => t.match(/^Trades \((\d+)\)$/)).find(Boolean);
    assert.equal(await page.locator('table.trades tr').count() - 1, Number(trades[1]), 'a row per trade');
    await screenshot(page, 'report');
    assert.deepEqual(requests, []);
    assert.deepEqual(errors, []);
  } finally {
    await offline.context.close();
  }
});
