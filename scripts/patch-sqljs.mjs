// Copies sql.js's browser build with one change: how its in-memory file system (Emscripten's
// MEMFS) grows a file. sql.js keeps the database as a MEMFS file, one Uint8Array, which
// MEMFS grows past 1 MiB by an eighth at a time, copying the whole file each time: a
// 10,000-config sweep's inserts spent more time in those copies than in SQLite, and at
// 100,000 configs (a 190 MB file) each copy is a main-thread task of hundreds of ms.
// Patched, a file past 1 MiB lives in a resizable ArrayBuffer grown in place (virtual
// memory reserved, pages committed as they are written); where the browser has no
// resizable ArrayBuffer it is copied, doubling. Fails, naming the line, if sql.js changed.
// Run by scripts/build-web.sh: node scripts/patch-sqljs.mjs FROM TO
import fs from 'node:fs';

const [from, to] = process.argv.slice(2);
const source = fs.readFileSync(from, 'utf8');

// MEMFS's `write`: `m` the capacity, `g` the size needed, `a` the file's node, `a.Ua` its
// bytes, `a.Wa` how many are used.
const growth = /m>=g\|\|\(g=Math\.max\(g,m\*\(m<1048576\?2:1\.125\)>>>0\),m&&\(g=\s*Math\.max\(g,256\)\),m=a\.Ua\.subarray\(0,a\.Wa\),a\.Ua=new Uint8Array\(g\),a\.Ua\.set\(m\)\);/;
if (!growth.test(source)) {
  console.error(`${from}: MEMFS's file growth is not where scripts/patch-sqljs.mjs expects it (sql.js changed?)`);
  process.exit(1);
}

const grow = `
// btlab (scripts/patch-sqljs.mjs): a MEMFS file's bytes grown to hold \`needed\`.
function btlabGrowFile(bytes, used, needed) {
  const buffer = bytes.buffer;
  if (buffer.resizable && buffer.maxByteLength >= needed) {
    buffer.resize(Math.min(buffer.maxByteLength, Math.max(needed, 2 * buffer.byteLength)));
    return new Uint8Array(buffer);
  }
  const capacity = Math.max(needed, 256, 2 * bytes.length);
  let grown;
  try {
    // 4 GiB of address space reserved, not used: more than a wasm32 SQLite writes. A
    // browser that cannot reserve it (a 32-bit one) copies instead.
    grown = new Uint8Array(capacity > 1048576 ? new ArrayBuffer(capacity, { maxByteLength: 2 ** 32 }) : capacity);
  } catch {
    grown = new Uint8Array(capacity);
  }
  grown.set(bytes.subarray(0, used));
  return grown;
}
`;
fs.writeFileSync(to, grow + source.replace(growth, 'm>=g||(a.Ua=btlabGrowFile(a.Ua,a.Wa,g));'));
