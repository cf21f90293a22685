// What a link may make a visitor's browser do: never fetch from a host it names without
// the visitor's yes (only Binance's public API is fetched unasked), never more than the
// download cap, and never inflate past the link cap. Rules in docs/reliability.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startServer, launch, openApp } from './helpers.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

function linkTo(payload) {
  return `${server.url}#link=${zlib.deflateRawSync(Buffer.from(JSON.stringify(payload))).toString('base64url')}`;
}

// A shared experiment whose candles are to be downloaded from `origin`.
function downloadLink(origin) {
  const start = new Date(origin.start).toISOString();
  const end = new Date(origin.end).toISOString();
  return linkTo({
    v: 1,
    kind: 'experiment',
    config: { symbol: 'BTCUSDT', timeframe: origin.interval, start, end, strategy: 'sma', params: { fast_period: 20, slow_period: 50 } },
    config_hash: '0'.repeat(64),
    dataset: { source: 'download', name: 'BTCUSDT', symbol: 'BTCUSDT', timeframe: origin.interval, start, end, fingerprint: '0'.repeat(64), origin },
  });
}

const MARCH = { symbol: 'BTCUSDT', interval: '15m', start: Date.parse('2025-03-01'), end: Date.parse('2025-03-15') };

async function detailCheck(page, pattern) {
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('#detail-check').textContent), pattern.source, { timeout: 60_000 });
  return page.textContent('#detail-check');
}

test('a link fetches from a host it names only after the visitor says yes, naming the host', { timeout: 120_000 }, async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    const asked = [];
    page.on('dialog', (dialog) => { asked.push(dialog.message()); dialog.dismiss(); });
    const before = server.seen.klines;
    await page.goto(downloadLink({ ...MARCH, base: server.url }));
    assert.match(await detailCheck(page, /not downloaded/), /come from 127\.0\.0\.1:\d+, and you declined/);
    assert.equal(asked.length, 1);
    assert.match(asked[0], /from 127\.0\.0\.1:\d+, which is not Binance's public API/);
    assert.match(asked[0], /up to 1344 candles in 3 requests/);
    assert.equal(server.seen.klines, before, 'declined: not one request reached the host');

    page.removeAllListeners('dialog');
    page.on('dialog', (dialog) => dialog.accept());
    await page.goto(server.url);
    await page.goto(downloadLink({ ...MARCH, base: server.url, end: MARCH.end + 1 }));
    await detailCheck(page, /are not here|MISMATCH|reproduced/);
    assert.ok(server.seen.klines > before, 'accepted: the candles were downloaded');
  } finally {
    await context.close();
  }
});

test('a link over the download cap is refused before any request; a deflate bomb before it inflates', { timeout: 120_000 }, async () => {
  const { context } = await launch();
  try {
    const { page } = await openApp(context, server.url);
    let dialogs = 0;
    page.on('dialog', (dialog) => { dialogs++; dialog.accept(); });
    const before = server.seen.klines;
    const decade = { symbol: 'BTCUSDT', interval: '1m', start: Date.parse('2015-01-01'), end: Date.parse('2025-01-01'), base: server.url };
    await page.goto(downloadLink(decade));
    assert.match(await detailCheck(page, /a download brings at most/), /5260320 1m candles asked for; a download brings at most 1000000/);
    assert.equal(server.seen.klines, before);
    assert.equal(dialogs, 0, 'nothing to ask: refused outright');

    const bomb = zlib.deflateRawSync(Buffer.alloc(64 << 20, 32)).toString('base64url');
    await page.goto(`${server.url}#link=${bomb}`);
    await page.waitForFunction(() => /cannot be read/.test(document.querySelector('#status').textContent), null, { timeout: 60_000 });
    assert.match(await page.textContent('#status'), /inflates to over 1048576 bytes/);
    const heap = await page.evaluate(() => performance.memory.usedJSHeapSize);
    assert.ok(heap < 200 << 20, `the heap stayed small (${heap} bytes)`);
  } finally {
    await context.close();
  }
});
