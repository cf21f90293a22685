// Starts the edge worker on workerd at a free port on 127.0.0.1, its klines source `klinesUrl`.
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { ROOT } from '../e2e/helpers.js';

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startEdge(klinesUrl) {
  const port = await freePort();
  const file = path.join(ROOT, 'edge', `config.test-${port}.capnp`);
  fs.writeFileSync(file, fs.readFileSync(path.join(ROOT, 'edge/config.capnp.in'), 'utf8')
    .replaceAll('@PORT@', String(port)).replaceAll('@BINANCE_BASE_URL@', klinesUrl));
  const child = spawn(path.join(ROOT, 'node_modules/.bin/workerd'), ['serve', file, '--experimental'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    if (i > 100) throw new Error(`workerd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, child, file };
}

