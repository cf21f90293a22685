// @ts-check
// Shareable links, both ways: copying one (an experiment's or a sweep's), and opening one:
// its candles found here or fetched again (only Binance's public API without asking), then
// handed to the detail or the sweep view by an event.
import { $ } from './util.js';
import { encodeLink, decodeLink } from './links.js';
import { downloadPlan } from './datasets.js';
import { define } from './definitions.js';

/** @param {import('./context.js').Context} ctx */
export async function copyLink(ctx, payload) {
  const link = await encodeLink(payload);
  const out = $('#link-out');
  out.hidden = false;
  out.value = link;
  try { await navigator.clipboard.writeText(link); } catch { /* the field shows it */ }
  window.btlab.lastLink = link;
  return link;
}

// The dataset a link names: one already here with the same candles, or the same source
// loaded again (the demo, the shipped sample, a download).
/** @param {import('./context.js').Context} ctx */
async function linkedDataset(ctx, id) {
  const { wasm, datasets } = ctx;
  const match = () => ctx.datasetList.find((d) => {
    try { return wasm.marketFingerprint(d.columns, id.timeframe, Date.parse(id.start), Date.parse(id.end)) === id.fingerprint; } catch { return false; }
  });
  await ctx.refreshDatasets();
  let found = match();
  if (found) return found;
  if (id.source === 'sample') await datasets.loadSample();
  else if (id.origin) {
    // A link names where its candles come from; only Binance's public API is fetched
    // without asking, and never more than the download cap.
    const plan = downloadPlan(wasm, id.origin);
    const ask = `This link's candles (${id.symbol} ${id.timeframe}, up to ${plan.rows} candles in ${plan.requests} requests) ` +
      `come from ${plan.host}, which is not Binance's public API.\n\nDownload them from ${plan.host}?`;
    if (!plan.binance && !window.confirm(ask)) throw new Error(`not downloaded: this link's candles come from ${plan.host}, and you declined`);
    await datasets.download(id.origin, () => {});
  } else if (id.source === 'embedded') await datasets.ensureDemo();
  await ctx.refreshDatasets();
  found = match();
  if (found) return found;
  const same = ctx.datasetList.find((d) => d.symbol === id.symbol);
  throw new Error(`this link's candles (${id.symbol} ${id.timeframe}, ${id.start} .. ${id.end}, from ${id.source} "${id.name}", fingerprint ` +
    `${id.fingerprint.slice(0, 16)}) are not here${same ? ': the local ' + id.symbol + ' candles differ (fingerprint mismatch)' : ''}; import that file in Datasets and open the link again`);
}

/** @param {import('./context.js').Context} ctx */
export async function openLink(ctx, hash) {
  let payload;
  try {
    payload = await decodeLink(hash);
  } catch (e) {
    ctx.setStatus(`this link cannot be read: ${e.message}`);
    return;
  }
  if (!payload) return;
  // An experiment of a defined strategy carries its definition (a sweep's, in its spec).
  if (payload.definition) {
    try {
      define(ctx, payload.definition);
    } catch (e) {
      ctx.setStatus(`this link's strategy definition does not compile: ${e.message}`);
      return;
    }
  }
  let dataset;
  try {
    dataset = await linkedDataset(ctx, payload.dataset);
  } catch (e) {
    ctx.emit('shared-experiment', { payload, error: e.message });
    return;
  }
  ctx.emit(payload.kind === 'sweep' ? 'shared-sweep' : 'shared-experiment', { payload, dataset });
}
