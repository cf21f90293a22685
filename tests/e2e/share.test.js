// What makes the page a research tool to pass around: a link that reproduces a result in a
// fresh browser (and flags a tampered one), offline use after one visit, the optimizer in
// the page, the hand-off to `btlab promote`, and the comparison view. Screenshots of the
// main views go to target/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { startServer, launch, openApp, runSweep, loadSample, sampleSmaSetup, screenshot, btlab, storedCount, tempDir, DATA_15M } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Two RSI configs on the real series, January to June 2025: the best (28/35/70) makes
// +24% with a Sharpe of 1.40.
const RSI = { strategy: 'rsi', axes: { period: '28', oversold: '35', overbought: '70, 75' }, start: '2025-01-01', end: '2025-06-01', datasetMatch: 'BTCUSDT 15m' };

async function openBest(page) {
  await page.click('#tabs button[data-view=top]');
  await page.click('#top-table tbody tr:first-child');
  await page.waitForFunction(() => /re-run matches/.test(document.querySelector('#detail-check').textContent), null, { timeout: 60_000 });
  return page.evaluate(() => window.btlab.store.top('sharpe_ratio', 1, null)[0]);
}

function tamper(link, change) {
  const [base, code] = link.split('#link=');
  const payload = JSON.parse(zlib.inflateRawSync(Buffer.from(code, 'base64url')).toString());
  change(payload);
  return `${base}#link=${zlib.deflateRawSync(Buffer.from(JSON.stringify(payload))).toString('base64url')}`;
}

test('a copied link reproduces the experiment in a fresh profile; a tampered one is flagged', { timeout: 300_000 }, async () => {
  const a = await launch();
  let link, stored, sweepLink;
  try {
    const { page, errors } = await openApp(a.context, server.url);
    await loadSample(page);
    await runSweep(page, RSI);
    stored = await openBest(page);
    await page.click('#copy-link');
    await page.waitForFunction(() => window.btlab.lastLink);
    link = await page.$eval('#link-out', (el) => el.value);
    assert.ok(link.length < 1200, `a compact link (${link.length} characters)`);
    await screenshot(page, 'detail');
    await page.click('#tabs button[data-view=sweep]');
    await page.evaluate(() => { window.btlab.lastLink = null; });
    await page.click('#sweep-link');
    await page.waitForFunction(() => window.btlab.lastLink);
    sweepLink = await page.evaluate(() => window.btlab.lastLink);
    assert.deepEqual(errors, []);
  } finally {
    await a.context.close();
  }
  const payload = JSON.parse(zlib.inflateRawSync(Buffer.from(link.split('#link=')[1], 'base64url')).toString());
  assert.deepEqual(Object.keys(payload).sort(), ['config', 'config_hash', 'dataset', 'kind', 'v']);

  const b = await launch(); // a fresh profile: no dataset, no experiment
  try {
    const { page, errors } = await openApp(b.context, link);
    await page.waitForFunction(() => window.btlab.linkResult, null, { timeout: 60_000 });
    const { result, ok } = await page.evaluate(() => window.btlab.linkResult);
    assert.equal(ok, true, await page.textContent('#detail-check'));
    assert.equal(result.config_hash, stored.config_hash);
    assert.deepEqual(result.metrics, stored.metrics);
    assert.match(await page.textContent('#detail-check'), /^reproduced/);

    await page.goto(tamper(link, (p) => { p.config.params.period = 21; }));
    await page.waitForFunction(() => /MISMATCH/.test(document.querySelector('#detail-check').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#detail-check'), /config_hash .* ≠ the link's/);

    // the whole sweep: its spec back in the form, on the same candles
    await page.goto(sweepLink);
    await page.waitForFunction(() => /sweep loaded from a link/.test(document.querySelector('#sweep-link-status').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#sweep-count'), /^2 configs/);
    assert.equal(await page.inputValue('input[name=axis-overbought]'), '70, 75');
    assert.equal(await page.inputValue('input[name=start]'), '2025-01-01');
    assert.deepEqual(errors, []);
  } finally {
    await b.context.close();
  }
});

test('offline after one visit: the page reloads and runs a 100-config sweep on a stored dataset', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await loadSample(page);
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => navigator.onLine), false);
    await page.click('#tabs button[data-view=sweep]');
    const sample = await page.$eval('#sweep-dataset', (s) => [...s.options].find((o) => o.textContent.includes('BTCUSDT 15m')).value);
    await page.selectOption('#sweep-dataset', sample);
    await page.selectOption('#sweep-strategy', 'sma');
    await page.fill('input[name=axis-fast_period]', '1..10 step 1');
    await page.fill('input[name=axis-slow_period]', '20..200 step 20');
    await page.click('#run');
    await screenshot(page, 'sweep-running');
    await page.waitForFunction(() => document.querySelector('#progress-bar').value === 1 && !document.querySelector('#run').disabled, null, { timeout: 120_000 });
    assert.match(await page.textContent('#progress-text'), /^100\/100 configs .* 100 new/);
    assert.equal(await storedCount(page), 100);
    await page.click('#tabs button[data-view=results]');
    assert.equal(await page.locator('#results-table tbody tr').count(), 50);
    await screenshot(page, 'results');
    await page.click('#tabs button[data-view=heatmap]');
    await page.selectOption('#heat-strategy', 'sma');
    await page.waitForTimeout(200);
    await screenshot(page, 'heatmap');
    assert.deepEqual(errors.filter((e) => !/Failed to fetch/.test(e)), []);
  } finally {
    await context.close();
  }
});

// The optimizer tab with `sampler`, in a fresh profile; its best Sharpe after 15 x 4.
async function optimizeInPage(sampler) {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await sampleSmaSetup(page);
    await page.click('#tabs button[data-view=optimize]');
    await page.selectOption('#opt-target', 'sharpe_ratio');
    await page.selectOption('#opt-form select[name=sampler]', sampler);
    await page.click('#opt-run');
    await page.waitForFunction(() => window.btlab.lastOptimization, null, { timeout: 240_000 });
    if (sampler === 'tpe') await screenshot(page, 'optimize');
    assert.deepEqual(errors, []);
    return await page.evaluate(() => window.btlab.lastOptimization);
  } finally {
    await context.close();
  }
}

test('the in-page optimizer beats random search on the same budget, as btlab optimize does', { timeout: 600_000 }, async () => {
  const tpe = await optimizeInPage('tpe');
  const random = await optimizeInPage('random');
  assert.equal(tpe.trajectory.length, 15);
  assert.ok(tpe.best > random.best, `TPE ${tpe.best} vs random ${random.best}`);
  // the same core function, seed for seed: the native loop finds the same best
  const native = (sampler) => JSON.parse(btlab('optimize', '--db', path.join(tempDir(), 'o.sqlite'), '--data', DATA_15M, '--symbol', 'BTCUSDT',
    '--start', '2025-01-01', '--end', '2025-11-01', '--iterations', '15', '--batch', '4', '--seed', '1', '--patience', '100', '--sampler', sampler, '--json'));
  assert.equal(native('tpe').best.metrics.sharpe_ratio, tpe.best);
  assert.equal(native('random').best.metrics.sharpe_ratio, random.best);
});

test('NSGA-II in the page is btlab optimize --targets, generation for generation, and ends on the same front', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  let inPage;
  try {
    const { page, errors } = await openApp(context, server.url);
    await sampleSmaSetup(page);
    await page.click('#tabs button[data-view=optimize]');
    await page.selectOption('#opt-form select[name=sampler]', 'nsga2');
    await page.selectOption('#opt-target', 'sharpe_ratio');
    await page.selectOption('#opt-target2', 'max_drawdown');
    await page.fill('#opt-form input[name=iterations]', '3');
    await page.fill('#opt-form input[name=batch]', '8');
    await page.click('#opt-run');
    await page.waitForFunction(() => window.btlab.lastOptimization, null, { timeout: 240_000 });
    inPage = await page.evaluate(() => window.btlab.lastOptimization);
    assert.equal(await page.locator('#opt-front tbody tr').count(), inPage.front.length);
    await screenshot(page, 'optimize-pareto');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
  const native = JSON.parse(btlab('optimize', '--db', path.join(tempDir(), 'o.sqlite'), '--data', DATA_15M, '--symbol', 'BTCUSDT',
    '--start', '2025-01-01', '--end', '2025-11-01', '--iterations', '3', '--population', '8', '--seed', '1',
    '--targets', 'sharpe_ratio,max_drawdown', '--json'));
  assert.deepEqual(inPage.trajectory, native.trajectory);
  assert.deepEqual(inPage.front, native.front.map((e) => e.id));
});

test('a bundle exported by "Promote…" is promoted by btlab promote --bundle; two experiments compared', { timeout: 300_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await loadSample(page);
    await runSweep(page, RSI);
    const best = await openBest(page);
    await page.fill('#promote-profile', 'swing');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#promote-bundle')]);
    const dir = tempDir();
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const command = await page.textContent('#promote-command');
    assert.match(command, /^btlab promote --bundle btlab-promotion-[0-9a-f]{12}\.json swing --data tests\/data\/BTCUSDT-15m-2025\.csv/);

    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    const out = btlab('promote', '--bundle', file, 'swing', '--profiles', path.join(dir, 'profiles.yaml'), '--data', DATA_15M,
      '--max-drawdown', '0.3', '--min-oos-sharpe', '-1');
    assert.match(out, /promoted experiment #\d+ \([0-9a-f]{12}\) to profile `swing`/);
    const yaml = fs.readFileSync(path.join(dir, 'profiles.yaml'), 'utf8');
    assert.match(yaml, new RegExp(`config_hash: ${best.config_hash}`));
    assert.match(yaml, /strategy: rsi/);
    for (const [k, v] of Object.entries(best.config.params)) assert.match(yaml, new RegExp(`${k}: ${v}\\n`));
    assert.match(yaml, new RegExp(`sharpe_ratio: ${best.metrics.sharpe_ratio}`));

    // the comparison view: both experiments side by side
    await page.click('#tabs button[data-view=results]');
    await page.click('#results-table tbody tr:nth-child(1) input.compare');
    await page.click('#results-table tbody tr:nth-child(2) input.compare');
    await page.click('#compare-button');
    assert.equal(await page.locator('#compare-table thead th').count(), 3);
    assert.match(await page.textContent('#compare-table'), /sharpe_ratio/);
    await page.waitForTimeout(300);
    const canvases = await page.locator('#compare-chart canvas').count();
    assert.ok(canvases > 0, 'the equity curves are drawn');
    await screenshot(page, 'comparison');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a database stored by an older btlab (schema 1) is migrated on the next visit, nothing lost', { timeout: 120_000 }, async () => {
  const { context } = await launch();
  try {
    const { page, errors } = await openApp(context, server.url);
    await runSweep(page, { axes: { fast_period: '5, 10', slow_period: '50, 100' } });
    // Rewrite the stored snapshot as schema 1 had it (no sweep tables, no definitions), as an
    // old page left it.
    await page.evaluate(async () => {
      const SQL = await window.sqlReady;
      await window.btlab.persist.fold();
      const old = new SQL.Database(window.btlab.store.exportBytes());
      const later = ['definition', 'orders', ...window.btlab.ctx.metrics.filter((m) => !['sharpe_ratio', 'total_return',
        'annualized_return', 'max_drawdown', 'win_rate', 'profit_factor', 'total_trades', 'final_equity', 'avg_win',
        'avg_loss'].includes(m.name)).map((m) => m.name)];
      old.run('DROP TABLE sweep_members; DROP TABLE period_returns; DROP TABLE sweeps; DROP TABLE definitions; '
        + later.map((c) => `ALTER TABLE experiments DROP COLUMN ${c};`).join(' ') + ' PRAGMA user_version = 1;');
      const bytes = old.export();
      const idb = await new Promise((resolve, reject) => { const r = indexedDB.open('btlab'); r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
      const tx = idb.transaction('snapshot', 'readwrite');
      const version = await new Promise((resolve) => { const r = tx.objectStore('snapshot').get('version'); r.onsuccess = () => resolve(r.result); });
      tx.objectStore('snapshot').put({ bytes, version: version + 1 }, 'db');
      tx.objectStore('snapshot').put(version + 1, 'version');
      await new Promise((resolve) => { tx.oncomplete = resolve; });
    });
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready');
    const after = await page.evaluate(async () => {
      const SQL = await window.sqlReady;
      const db = new SQL.Database(window.btlab.store.exportBytes());
      return { count: window.btlab.store.count(null), version: db.exec('PRAGMA user_version')[0].values[0][0], sweeps: window.btlab.store.sweeps().length };
    });
    assert.deepEqual(after, { count: 4, version: 4, sweeps: 0 });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
