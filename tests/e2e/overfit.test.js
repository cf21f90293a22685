// The overfitting lab in the page: a walk-forward in the workers equal to `btlab
// walkforward`, PBO of a sweep that kept its returns equal to `btlab experiments pbo` on
// the exported file, and the same deflated Sharpe as `btlab experiments show`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launch, openApp, runSweep, loadSample, sampleSmaSetup, screenshot, btlab, tempDir, DATA_15M, ROOT } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('a walk-forward of the SMA grid in the workers equals the native one', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await sampleSmaSetup(page);
    await page.click('#tabs button[data-view=walkforward]');
    await page.fill('#wf-form input[name=train_days]', '60');
    await page.fill('#wf-form input[name=test_days]', '15');
    await page.selectOption('#wf-target', 'sharpe_ratio');
    await page.click('#wf-run');
    await page.waitForFunction(() => /windows done/.test(document.querySelector('#wf-status').textContent), null, { timeout: 240_000 });
    const ours = await page.evaluate(() => window.btlab.lastWalk);
    const native = JSON.parse(btlab('walkforward', path.join(ROOT, 'config/walkforward-sma.yaml'), '--data', DATA_15M, '--json'));
    assert.equal(ours.windows.length, 17);
    assert.deepEqual(ours.out_of_sample, native.out_of_sample);
    assert.equal(ours.efficiency, native.efficiency);
    assert.deepEqual(ours.windows.map((w) => w.config_hash), native.windows.map((w) => w.config_hash));
    assert.equal(await page.locator('#wf-windows tbody tr').count(), 17);
    await page.waitForTimeout(300);
    await screenshot(page, 'walkforward');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('PBO of a sweep with kept returns, and the deflated Sharpe, equal the native figures', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await loadSample(page);
    await page.click('#tabs button[data-view=sweep]');
    await page.check('input[name=keep_returns]');
    await runSweep(page, { strategy: 'sma', start: '2025-01-01', end: '2025-11-01' });
    assert.match(await page.textContent('#progress-text'), /47 new/);

    await page.click('#tabs button[data-view=overfit]');
    assert.match(await page.textContent('#pbo-sweep'), /BTCUSDT 15m sma \(47\/47 with returns\)/);
    await page.click('#pbo-form button');
    await page.waitForFunction(() => window.btlab.lastPbo);
    const ours = await page.evaluate(() => window.btlab.lastPbo);
    await screenshot(page, 'overfitting');

    const dir = tempDir();
    const db = path.join(dir, 'page.sqlite');
    fs.writeFileSync(db, Buffer.from(await page.evaluate(() => Array.from(window.btlab.store.exportBytes()))));
    const native = JSON.parse(btlab('experiments', 'pbo', '--sweep', String(ours.sweep), '--db', db, '--json'));
    assert.equal(ours.pbo.pbo, native.pbo.pbo);
    assert.equal(ours.pbo.probability_of_loss, native.pbo.probability_of_loss);
    assert.deepEqual(ours.histogram, native.histogram);
    assert.equal(ours.pbo.combinations, 12870);
    const painted = await page.$eval('#pbo-histogram', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 1000, `the histogram is drawn (${painted} pixels)`);

    // the deflated Sharpe of the best, in the detail view, as `btlab experiments show` gives it
    await page.click('#tabs button[data-view=top]');
    await page.click('#top-table tbody tr:first-child');
    await page.waitForFunction(() => document.querySelector('#detail-dsr').dataset.probability, null, { timeout: 30_000 });
    const shown = await page.textContent('#detail-dsr');
    const id = /experiment (\d+)/.exec(shown)[1];
    const text = btlab('experiments', 'show', `#${id}`, '--db', db, '--data', DATA_15M);
    const figure = (t) => /deflated Sharpe (\d\.\d{4})/.exec(t)[1];
    assert.equal(figure(shown), figure(text));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
