// The Strategy tab: a definition typed into the code editor is checked as you type (errors
// marked at their line and column), swept from the page with the same hashes and metrics
// as `btlab run --strategy-file`, kept with the store, and its experiments re-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launch, openApp, loadSample, btlab, DATA_15M, ROOT } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

const FILE = path.join(ROOT, 'strategies', 'ema_rsi.yaml');

async function typeDefinition(page, text) {
  await page.click('#strategy-editor .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

test('a definition typed in the editor is checked, swept like btlab run, kept and re-run', async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await loadSample(page);
    await page.click('#tabs button[data-view=strategy]');
    await page.waitForSelector('#strategy-editor .cm-editor');

    await typeDefinition(page, 'name: mine\nlong_entry: emma(close, 3) > close\n');
    await page.waitForFunction(() => /line 2, column 13: unknown function `emma`/.test(document.querySelector('#strategy-status').textContent));
    await page.waitForSelector('#strategy-editor .cm-lintRange-error');
    assert.equal(await page.isDisabled('#strategy-sweep'), true);

    const source = (await import('node:fs')).readFileSync(FILE, 'utf8');
    await typeDefinition(page, source);
    await page.waitForFunction(() => /^ema_rsi: 5 params/.test(document.querySelector('#strategy-status').textContent));
    await page.click('#strategy-sweep');
    await page.waitForFunction(() => document.querySelector('#sweep-strategy').value === 'ema_rsi' && !document.querySelector('#view-sweep').hidden);
    for (const [name, text] of Object.entries({ fast: '10, 20', slow: '60, 120', rsi_len: '14', rsi_max: '70', ma: 'ema, sma' })) {
      await page.fill(`input[name=axis-${name}]`, text);
    }
    await page.fill('input[name=start]', '2025-04-01');
    await page.fill('input[name=end]', '2025-07-01');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#progress-bar').value === 1 && !document.querySelector('#run').disabled, null, { timeout: 120_000 });
    assert.match(await page.textContent('#progress-text'), /^8\/8 configs .* 8 new, 0 already stored, 0 failed/);

    const params = { fast: 20, slow: 120, rsi_len: 14, rsi_max: 70, ma: 'ema' };
    const native = JSON.parse(btlab('run', '--json', '--data', DATA_15M, '--symbol', 'BTCUSDT', '--strategy-file', FILE,
      '--params', JSON.stringify(params), '--start', '2025-04-01', '--end', '2025-07-01'));
    const stored = await page.evaluate((hash) => window.btlab.store.get(hash), native.config_hash);
    assert.equal(stored.config.definition, native.config.definition);
    assert.equal(stored.metrics.sharpe_ratio, native.metrics.sharpe_ratio);
    assert.equal(stored.metrics.total_trades, native.metrics.total_trades);

    // After a reload the store still has the definition: offered again, its experiment re-runs.
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', null, { timeout: 60_000 });
    assert.ok(await page.$eval('#sweep-strategy', (s) => [...s.options].some((o) => o.value === 'ema_rsi')));
    const source2 = await page.evaluate(() => window.btlab.store.definitions().map((d) => d.name));
    assert.deepEqual(source2, ['ema_rsi']);
    await loadSample(page);
    await page.evaluate((hash) => window.btlab.ctx.emit('open-experiment', window.btlab.store.get(hash).id), native.config_hash);
    await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 30_000 });

    // Links carry the definition: an experiment's and the sweep's open in a fresh profile.
    await page.click('#copy-link');
    await page.waitForFunction(() => window.btlab.lastLink);
    const experimentLink = await page.$eval('#link-out', (el) => el.value);
    await page.click('#tabs button[data-view=sweep]');
    await page.selectOption('#sweep-strategy', 'ema_rsi');
    for (const [name, text] of Object.entries({ fast: '10, 20', slow: '60, 120', rsi_len: '14', rsi_max: '70', ma: 'ema, sma' })) {
      await page.fill(`input[name=axis-${name}]`, text);
    }
    await page.evaluate(() => { window.btlab.lastLink = null; });
    await page.click('#sweep-link');
    await page.waitForFunction(() => window.btlab.lastLink);
    const sweepLink = await page.evaluate(() => window.btlab.lastLink);
    assert.deepEqual(errors, []);

    const fresh = await launch();
    try {
      const { page: other, errors: otherErrors } = await openApp(fresh.context, experimentLink);
      await other.waitForFunction(() => window.btlab.linkResult, null, { timeout: 60_000 });
      const { result, ok } = await other.evaluate(() => window.btlab.linkResult);
      assert.equal(ok, true, await other.textContent('#detail-check'));
      assert.equal(result.config_hash, native.config_hash);
      await other.goto(sweepLink);
      await other.waitForFunction(() => /sweep loaded from a link/.test(document.querySelector('#sweep-link-status').textContent), null, { timeout: 60_000 });
      assert.equal(await other.inputValue('#sweep-strategy'), 'ema_rsi');
      assert.match(await other.textContent('#sweep-count'), /^8 configs/);
      assert.deepEqual(otherErrors, []);
    } finally {
      await fresh.context.close();
    }
  } finally {
    await context.close();
  }
});
