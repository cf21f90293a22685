// @ts-check
// Shareable links: a config (or a sweep spec) and the identity of its candles, as compact
// JSON deflated and base64url-encoded into the URL fragment (never sent to a server).
// A link carries nothing else: no key, no other experiment, no edge URL.

function toBase64Url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const raw = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function pipe(bytes, transform) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(transform)).arrayBuffer());
}

export async function encodeLink(payload) {
  const packed = await pipe(new TextEncoder().encode(JSON.stringify(payload)), new CompressionStream('deflate-raw'));
  return `${location.origin}${location.pathname}#link=${toBase64Url(packed)}`;
}

// A link inflates to a few KB: anything over this is refused as it inflates (a deflated
// link of 259 KB grew to 589 MB before this cap).
export const MAX_LINK_BYTES = 1 << 20;

async function inflateBounded(bytes, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`it inflates to over ${limit} bytes, more than any btlab link holds`);
    }
    parts.push(value);
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

export async function decodeLink(hash) {
  const m = /^#link=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) return null;
  const json = new TextDecoder().decode(await inflateBounded(fromBase64Url(m[1]), MAX_LINK_BYTES));
  const payload = JSON.parse(json);
  if (payload.v !== 1 || !['experiment', 'sweep'].includes(payload.kind) || !payload.dataset) {
    throw new Error('not a btlab link (or one from a newer btlab)');
  }
  return payload;
}

// What identifies a dataset's candles over a range: where they come from and their
// fingerprint (the hash of the candles of that range at that timeframe).
export function datasetIdentity(wasm, dataset, timeframe, start, end) {
  return {
    source: dataset.source,
    name: dataset.name,
    symbol: dataset.symbol,
    timeframe,
    start,
    end,
    fingerprint: wasm.marketFingerprint(dataset.columns, timeframe, Date.parse(start), Date.parse(end)),
    origin: dataset.origin || null,
  };
}
