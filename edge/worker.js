// The edge worker: a thin shim over the wasm. Rust routes, validates and runs; this file
// reads the body (refusing one over the limit), fetches the candles a request needs from
// a Binance-compatible klines endpoint (cached with the Cache API), and writes the reply.
import { initSync, edgePrepare, edgeFinish, parseCandles } from './pkg/btlab_web.js';
import wasmModule from './pkg/btlab_web_bg.wasm';

initSync({ module: wasmModule });

const MAX_BODY_BYTES = 8 << 20; // the Rust side checks it too
const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'content-type' };

function respond(status, body) {
  return new Response(body, { status, headers: { 'content-type': 'application/json', ...CORS } });
}

async function readBody(request) {
  const declared = Number(request.headers.get('content-length') || 0);
  if (declared > MAX_BODY_BYTES) return null;
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return body;
}

// All klines of [start, end), 1000 a request, cached per (symbol, interval, range).
async function klines(base, need, ctx) {
  const cacheKey = new Request(`https://btlab-cache.invalid/klines/${need.symbol}/${need.interval}/${need.start}/${need.end}`);
  const cache = globalThis.caches?.default;
  const hit = cache && (await cache.match(cacheKey).catch(() => undefined));
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const rows = [];
  for (let from = need.start; from < need.end;) {
    const url = new URL('/api/v3/klines', base);
    url.search = new URLSearchParams({ symbol: need.symbol, interval: need.interval, startTime: from, endTime: need.end - 1, limit: 1000 });
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url.host} answered ${response.status} for ${need.symbol} ${need.interval}`);
    const page = await response.json();
    if (!Array.isArray(page) || !page.length) break;
    rows.push(...page);
    from = Number(page[page.length - 1][0]) + 1;
  }
  if (!rows.length) throw new Error(`no ${need.symbol} ${need.interval} candles in [${need.start}, ${need.end})`);
  const bytes = new TextEncoder().encode(JSON.stringify(rows));
  if (cache) ctx.waitUntil(cache.put(cacheKey, new Response(bytes, { headers: { 'cache-control': 'max-age=86400' } })).catch(() => {}));
  return bytes;
}

// Parsed candles of recent requests, per isolate (an isolate serves many requests): a
// sweep's chunks over one range fetch and parse its candles once. Bounded, oldest out.
const recent = new Map();
const RECENT_MAX = 16;

async function candles(base, need, ctx) {
  const hit = recent.get(need.key);
  if (hit) return hit;
  const pending = klines(base, need, ctx).then(parseCandles);
  recent.set(need.key, pending);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value);
  pending.catch(() => recent.delete(need.key));
  return pending;
}

export default {
  async fetch(request, env, ctx) {
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: CORS });
    const body = request.method === 'POST' ? await readBody(request) : new Uint8Array();
    if (body === null) return respond(413, JSON.stringify({ error: `the body is over the limit of ${MAX_BODY_BYTES} bytes` }));
    const path = new URL(request.url).pathname;
    const plan = edgePrepare(request.method, path, body);
    if (plan.status) return respond(plan.status, plan.body);
    const base = env.BINANCE_BASE_URL || 'https://api.binance.com';
    const fetched = {};
    await Promise.all(plan.fetch.map(async (need) => {
      try {
        fetched[need.key] = await candles(base, need, ctx);
      } catch (e) {
        fetched[need.key] = { error: String(e && e.message ? e.message : e) };
      }
    }));
    const reply = edgeFinish(plan.job, fetched);
    return respond(reply.status, reply.body);
  },
};
