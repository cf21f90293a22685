// The edge worker on workerd (127.0.0.1, no network): every endpoint, bad bodies, and a
// sweep fanned out to it by `btlab sweep --remote`, against `btlab run` and a local sweep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer, tempDir, btlabBinary, DATA_15M, ROOT } from '../e2e/helpers.js';
import { startEdge } from './helpers.js';

let klines, workerd, base, configFile;

// Asynchronous: the klines server lives in this process and must keep answering the edge.
async function btlab(...args) {
  const { stdout } = await promisify(execFile)(btlabBinary(), args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  return stdout;
}

before(async () => {
  klines = await startServer();
  const edge = await startEdge(klines.url);
  ({ child: workerd, file: configFile } = edge);
  base = edge.url;
});
after(async () => {
  workerd.kill();
  fs.rmSync(configFile, { force: true });
  await klines.close();
});

const post = (route, body) => fetch(`${base}${route}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const SMA = { symbol: 'BTCUSDT', timeframe: '15m', strategy: 'sma', params: { fast_period: 20, slow_period: 50 }, start: '2025-01-01', end: '2025-11-01', initial_capital: 10000 };

test('every endpoint answers, and /backtest equals btlab run', async () => {
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  assert.equal((await health.json()).status, 'ok');
  const strategies = await (await fetch(`${base}/strategies`)).json();
  assert.deepEqual(strategies.map((s) => s.name), ['sma', 'rsi', 'macd', 'convergence']);
  assert.ok(strategies[0].params.some((p) => p.name === 'fast_period' && p.default === 20));
  const openapi = await (await fetch(`${base}/openapi.json`)).json();
  assert.deepEqual(Object.keys(openapi.paths).sort(), ['/backtest', '/batch-backtest', '/health', '/strategies']);

  const response = await post('/backtest', SMA);
  assert.equal(response.status, 200);
  const edge = await response.json();
  const native = JSON.parse(await btlab('run', '--json', '--data', DATA_15M, '--symbol', 'BTCUSDT', '--timeframe', '15m', '--strategy', 'sma',
    '--params', '{"fast_period":20,"slow_period":50}', '--start', '2025-01-01', '--end', '2025-11-01'));
  assert.equal(edge.config_hash, native.config_hash);
  assert.deepEqual(edge.metrics, native.metrics);
  assert.deepEqual(edge.trades, native.trades);
  // its Monte Carlo is btlab's, seed for seed (without the sample paths)
  const dir = tempDir();
  const db = path.join(dir, 'e.sqlite');
  fs.writeFileSync(path.join(dir, 'grid.yaml'), 'sma: {fast_period: [20], slow_period: [50]}');
  await btlab('sweep', '--strategy', 'sma', '--grids', path.join(dir, 'grid.yaml'), '--data', DATA_15M, '--symbol', 'BTCUSDT',
    '--timeframe', '15m', '--start', '2025-01-01', '--end', '2025-11-01', '--db', db);
  const mc = JSON.parse(await btlab('experiments', 'montecarlo', '#1', '--json', '--data', DATA_15M, '--db', db)).monte_carlo;
  const withoutPaths = ({ paths, ...bands }) => bands;
  for (const resampling of ['shuffle', 'bootstrap']) {
    assert.deepEqual(edge.monte_carlo[resampling], { ...withoutPaths(mc[resampling]), paths: [] }, resampling);
  }
  assert.deepEqual(edge.monte_carlo.actual, mc.actual);

  const batch = await (await post('/batch-backtest', { configs: [SMA, { ...SMA, params: { fast_period: 50, slow_period: 20 } }, { ...SMA, strategy: 'rsi', params: { period: 14, oversold: 30, overbought: 70 } }] })).json();
  assert.equal(batch.results.length, 3);
  assert.equal(batch.results[0].ok, true);
  assert.equal(batch.results[0].result.config_hash, native.config_hash);
  assert.equal(batch.results[1].ok, false);
  assert.match(batch.results[1].error, /fast_period/);
  assert.equal(batch.results[2].ok, true);

  const demo = await post('/backtest', { ...SMA, symbol: 'DEMO-BTC', start: '2024-01-01', end: '2024-03-01' });
  assert.equal(demo.status, 200, 'DEMO-BTC comes from the embedded generator');
  const inline = fs.readFileSync(DATA_15M, 'utf8').trim().split('\n').slice(1, 501).map((l) => l.split(',').slice(0, 6));
  const sent = await post('/backtest', { ...SMA, start: '2025-01-01', end: '2025-01-06', candles: inline });
  assert.equal(sent.status, 200, 'candles sent inline');
  assert.equal((await sent.json()).candles, 480);
});

test('bad bodies get the right 4xx and the worker keeps serving', async () => {
  const cases = [
    ['/backtest', '{"symbol": ', 400, /malformed JSON/],
    ['/backtest', JSON.stringify({ ...SMA, strategy: undefined }), 400, /missing field `strategy`/],
    ['/backtest', JSON.stringify({ ...SMA, initial_capital: 'lots' }), 400, /^initial_capital: invalid type/],
    ['/backtest', JSON.stringify({ ...SMA, fee_bps: 10, params: { fast_period: 'x', slow_period: 50 } }), 400, /fast_period/],
    ['/backtest', JSON.stringify({ ...SMA, strategy: 'smma' }), 400, /unknown strategy `smma`/],
    ['/backtest', JSON.stringify({ ...SMA, color: 'red' }), 400, /unknown field `color`/],
    ['/backtest', '[]', 400, /JSON object/],
    ['/batch-backtest', JSON.stringify({ configs: 'all' }), 400, /configs: expected an array/],
    ['/backtest', JSON.stringify({ ...SMA, start: '2025-01-01', end: '2025-01-02', candles: [[1735689600000, '1', '2', '0', '1.5', '1'], [1735690500000, '1', '2', '0.5', '1.5', '1']] }), 400, /kline 1: low is 0: prices must be positive/],
    ['/batch-backtest', JSON.stringify({ configs: Array(100_000).fill({ symbol: 'X' }) }), 413, /at most 2000 configs, got 100000/],
  ];
  for (const [route, body, status, message] of cases) {
    const response = await post(route, body);
    assert.equal(response.status, status, `${route} ${body.slice(0, 60)}`);
    assert.match((await response.json()).error, message);
  }
  // An oversized body is refused on its declared length, before it is read: the client
  // gets the 413, or (when the refusal lands while it is still sending) a reset socket.
  try {
    const response = await post('/backtest', 'x'.repeat(50 << 20));
    assert.equal(response.status, 413);
    assert.match((await response.json()).error, /limit/);
  } catch (e) {
    assert.match(String(e.cause?.code), /ECONNRESET|EPIPE|UND_ERR_SOCKET/, `not a refusal: ${e.cause ?? e}`);
  }
  assert.equal((await fetch(`${base}/backtest`)).status, 405);
  assert.equal((await fetch(`${base}/nowhere`)).status, 404);
  const source = await post('/backtest', { ...SMA, symbol: 'NOSUCH' });
  assert.equal(source.status, 502, 'the candle source has nothing: a gateway error, not a 500');
  assert.equal((await fetch(`${base}/health`)).status, 200);
});

test('a range or a batch over the candle limits is refused before it runs, naming the limit', async () => {
  const decade = { ...SMA, symbol: 'DEMO-BTC', timeframe: '1m', start: '2015-01-01', end: '2025-01-01' };
  const one = await post('/backtest', decade);
  assert.equal(one.status, 422);
  assert.match((await one.json()).error, /is 5260320 candles; the limit is 1000000 per config/);
  const batch = await post('/batch-backtest', { configs: [decade, SMA] });
  assert.equal(batch.status, 200, 'a config over the limit fails in its place');
  const results = (await batch.json()).results;
  assert.match(results[0].error, /the limit is 1000000 per config/);
  assert.equal(results[1].ok, true);
  const year = { ...SMA, symbol: 'DEMO-BTC', timeframe: '1m', start: '2024-01-01', end: '2025-01-01' };
  const heavy = await post('/batch-backtest', { configs: Array(40).fill(year) });
  assert.equal(heavy.status, 413);
  assert.match((await heavy.json()).error, /span 21081600 candles in all; the limit is 20000000 per batch/);
  const openapi = await (await fetch(`${base}/openapi.json`)).json();
  assert.match(JSON.stringify(openapi), /1,000,000 candles/);
  assert.equal((await fetch(`${base}/health`)).status, 200);
});

test('a 1,000-config sweep fanned out to the edge is stored once, as a local run stores it', async () => {
  const dir = tempDir();
  const spec = path.join(dir, 'spec.yaml');
  fs.writeFileSync(spec, `{symbol: BTCUSDT, timeframe: 15m, start: 2025-01-01, end: 2026-01-01, strategies: [sma],
    param_grids: {sma: {fast_period: {type: int, min: 1, max: 100}, slow_period: {type: int, min: 110, max: 200, step: 10}}}}`);
  const remoteDb = path.join(dir, 'remote.sqlite');
  const localDb = path.join(dir, 'local.sqlite');
  assert.match(await btlab('sweep', spec, '--data', DATA_15M, '--db', remoteDb, '--remote', base), /1000 stored, 0 already stored, 0 failed/);
  assert.match(await btlab('sweep', spec, '--data', DATA_15M, '--db', remoteDb, '--remote', base), /0 stored, 1000 already stored/);
  await btlab('sweep', spec, '--data', DATA_15M, '--db', localDb);
  const rows = async (db) => {
    const file = path.join(dir, `${path.basename(db)}.json`);
    await btlab('experiments', 'export', file, '--db', db);
    return JSON.parse(fs.readFileSync(file, 'utf8'))
      .map(({ config_hash, metrics, equity_curve, candles }) => ({ config_hash, metrics, equity_curve, candles }))
      .sort((a, b) => a.config_hash.localeCompare(b.config_hash));
  };
  const remote = await rows(remoteDb);
  assert.equal(remote.length, 1000);
  assert.deepEqual(remote, await rows(localDb));
});

test('the page runs a sweep on the edge worker and stores what it would store locally', async () => {
  const { launch, openApp, runSweep } = await import('../e2e/helpers.js');
  const { context } = await launch();
  try {
    const { page } = await openApp(context, klines.url);
    await page.click('#tabs button[data-view=datasets]');
    await page.fill('#import-symbol', 'BTCUSDT');
    await page.setInputFiles('#file', DATA_15M);
    await page.waitForFunction(() => /BTCUSDT 15m ready/.test(document.querySelector('#status').textContent));
    await page.click('#tabs button[data-view=sweep]');
    await page.check('input[name=on_edge]');
    await page.fill('input[name=edge_url]', base);
    const axes = { fast_period: '5..30 step 5', slow_period: '40, 80' };
    await runSweep(page, { axes, start: '2025-02-01', end: '2025-05-01', datasetMatch: 'BTCUSDT 15m' });
    assert.match(await page.textContent('#progress-text'), /12 new, 0 already stored, 0 failed/);
    const onEdge = await page.evaluate(() => window.btlab.store.list(null, 'sharpe_ratio', 100, 0));
    // The same sweep in the page's own workers: every config already stored, same rows.
    await page.uncheck('input[name=on_edge]');
    await runSweep(page, { axes, start: '2025-02-01', end: '2025-05-01', datasetMatch: 'BTCUSDT 15m' });
    assert.match(await page.textContent('#progress-text'), /0 new, 12 already stored/);
    const workers = await page.evaluate(async () => {
      const { pool, store } = window.btlab;
      const rows = store.list(null, 'sharpe_ratio', 100, 0);
      const results = await Promise.all(rows.map((r) => pool.detail(r.config)));
      return results.map((result) => [result.config_hash, result.metrics]);
    });
    assert.deepEqual(workers, onEdge.map((e) => [e.config_hash, e.metrics]));
  } finally {
    await context.close();
  }
});

test('a strategy definition in the body runs as `btlab run --strategy-file` runs it', async () => {
  const file = path.join(ROOT, 'strategies', 'ema_rsi.yaml');
  const source = fs.readFileSync(file, 'utf8');
  const params = { fast: 20, slow: 120, rsi_len: 14, rsi_max: 70, ma: 'ema' };
  const body = { symbol: 'BTCUSDT', timeframe: '15m', strategy_def: source, params, start: '2025-04-01', end: '2025-07-01' };
  const response = await post('/backtest', body);
  assert.equal(response.status, 200);
  const edge = await response.json();
  const native = JSON.parse(await btlab('run', '--json', '--data', DATA_15M, '--symbol', 'BTCUSDT', '--strategy-file', file,
    '--params', JSON.stringify(params), '--start', '2025-04-01', '--end', '2025-07-01'));
  assert.equal(edge.config_hash, native.config_hash);
  assert.equal(edge.config.definition, native.config.definition);
  assert.deepEqual(edge.metrics, native.metrics);

  const batch = await (await post('/batch-backtest', { strategy_def: source, configs: [
    { ...body, strategy_def: undefined, strategy: 'ema_rsi' }, { ...body, strategy_def: undefined, strategy: 'sma', params: { fast_period: 20, slow_period: 50 } },
  ] })).json();
  assert.equal(batch.results[0].result.config_hash, native.config_hash);
  assert.equal(batch.results[1].ok, true, 'a built-in beside a shared definition');

  const bad = await post('/backtest', { ...body, strategy_def: 'name: x\nlong_entry: emma(close, 3) > close\n' });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /line 2, column 13: unknown function `emma`/);
  const mismatch = await post('/backtest', { ...body, strategy: 'other' });
  assert.equal(mismatch.status, 400);
  assert.match((await mismatch.json()).error, /does not match strategy_def/);
});
