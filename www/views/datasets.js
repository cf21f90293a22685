// @ts-check
// The datasets: the demo, the shipped sample, files (picker or drop) and downloads from a
// Binance-compatible API, each with its range, timeframe, gaps and fingerprint.
import { $, table, isoTime } from '../util.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  ctx.on('datasets-changed', () => render(ctx));
  $('#file').addEventListener('change', async (e) => { if (e.target.files[0]) await importFile(ctx, e.target.files[0]); e.target.value = ''; });
  const drop = $('#drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); if (e.dataTransfer.files[0]) importFile(ctx, e.dataTransfer.files[0]); });
  $('#load-sample').addEventListener('click', async () => {
    try {
      await added(ctx, await ctx.datasets.loadSample());
    } catch (e) {
      $('#dataset-error').textContent = e.message;
    }
  });
  $('#download-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const bar = $('#download-progress');
    bar.hidden = false;
    bar.value = 0;
    try {
      await added(ctx, await ctx.datasets.download({
        base: String(f.get('base')), symbol: String(f.get('symbol')).trim().toUpperCase(), interval: String(f.get('interval')).trim(),
        start: Date.parse(String(f.get('start'))), end: Date.parse(String(f.get('end'))),
      }, (p) => { bar.value = p; }));
    } catch (err) {
      $('#dataset-error').textContent = `download: ${err.message}`;
    }
  });
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  table($('#datasets-table'), [
    { title: 'symbol', value: (d) => d.symbol, text: true },
    { title: 'name', value: (d) => d.name, text: true },
    { title: 'source', value: (d) => d.source, text: true },
    { title: 'tf', value: (d) => d.info.timeframe, text: true },
    { title: 'candles', value: (d) => d.info.candles },
    { title: 'from', value: (d) => isoTime(d.info.first), text: true },
    { title: 'to', value: (d) => isoTime(d.info.last), text: true },
    { title: 'gaps', value: (d) => (d.info.gaps ? `${d.info.gaps} (${d.info.missing} candles)` : 'none'), text: true },
    { title: 'fingerprint', value: (d) => d.info.fingerprint.slice(0, 16), text: true },
  ], ctx.datasetList);
}

/** @param {import('../context.js').Context} ctx */
async function added(ctx, dataset) {
  $('#dataset-error').textContent = '';
  await ctx.refreshDatasets();
  ctx.emit('dataset-added', dataset);
  ctx.setStatus(`dataset ${dataset.symbol} ${dataset.info.timeframe} ready (${dataset.info.candles} candles)`);
}

/** @param {import('../context.js').Context} ctx */
async function importFile(ctx, file) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await added(ctx, await ctx.datasets.importBytes(bytes, file.name, $('#import-symbol').value.trim()));
  } catch (e) {
    $('#dataset-error').textContent = `${file.name}: ${e.message}`;
  }
}
