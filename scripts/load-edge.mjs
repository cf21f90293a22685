// Load test of the edge worker, bounded and on loopback only: workerd on 127.0.0.1 with a
// local klines source, N /backtest requests at C concurrent connections; prints p50/p99
// latency and throughput. Run: node scripts/load-edge.mjs [N=2000] [C=32]
import { startServer } from '../tests/e2e/helpers.js';
import { startEdge } from '../tests/edge/helpers.js';
import fs from 'node:fs';

const total = Number(process.argv[2] || 2000);
const concurrency = Number(process.argv[3] || 32);
const klines = await startServer();
const edge = await startEdge(klines.url);
try {
  // One month of real 15m candles (2,976), a different SMA pair per request.
  const body = (i) => JSON.stringify({ symbol: 'BTCUSDT', timeframe: '15m', strategy: 'sma', start: '2025-03-01', end: '2025-04-01',
    params: { fast_period: 5 + (i % 40), slow_period: 50 + (i % 7) * 10 } });
  const latencies = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      const response = await fetch(`${edge.url}/backtest`, { method: 'POST', body: body(i), headers: { 'content-type': 'application/json' } });
      const json = await response.json();
      if (response.status !== 200 || !json.config_hash) errors++;
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  console.log(`${total} /backtest requests at ${concurrency} concurrent: ${errors} errors, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, ` +
    `${(total / seconds).toFixed(0)} requests/s (${seconds.toFixed(2)} s)`);
} finally {
  edge.child.kill();
  fs.rmSync(edge.file, { force: true });
  await klines.close();
}
