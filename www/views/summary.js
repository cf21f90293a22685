// @ts-check
// Counts and best figures per symbol, timeframe and strategy (the store's summaries
// table), and the whole store out (.sqlite, JSON) and back in, merged by config_hash.
import { $, table, pct, num, download } from '../util.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  $('#export-sqlite').addEventListener('click', () => download('btlab-experiments.sqlite', new Blob([/** @type {BlobPart} */ (ctx.store.exportBytes())], { type: 'application/vnd.sqlite3' })));
  $('#export-json').addEventListener('click', () => exportJson(ctx));
  // Cleared after each file so that choosing the same file again imports it again.
  $('#import-db').addEventListener('change', async (e) => { if (e.target.files[0]) await importDatabase(ctx, e.target.files[0]); e.target.value = ''; });
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const s = ctx.store.summary();
  table($('#summary-table'), [
    { title: 'symbol', value: (g) => g.symbol, text: true },
    { title: 'tf', value: (g) => g.timeframe, text: true },
    { title: 'strategy', value: (g) => g.strategy, text: true },
    { title: 'experiments', value: (g) => g.experiments },
    { title: 'profitable', value: (g) => g.profitable },
    { title: 'mean sharpe', value: (g) => num(g.mean_sharpe) },
    { title: 'best sharpe', value: (g) => num(g.best_sharpe) },
    { title: 'mean return', value: (g) => pct(g.mean_return) },
    { title: 'best return', value: (g) => pct(g.best_return) },
  ], s.groups);
  $('#summary-totals').textContent = `${s.experiments} experiments, ${s.errors} errors`;
}

/** @param {import('../context.js').Context} ctx */
function exportJson(ctx) {
  const parts = ['['];
  for (let offset = 0; ; offset += 5000) {
    const rows = ctx.store.list(null, 'sharpe_ratio', 5000, offset);
    rows.forEach((r, i) => parts.push((offset + i ? ',\n' : '\n') + JSON.stringify(r)));
    if (rows.length < 5000) break;
  }
  parts.push('\n]\n');
  download('btlab-experiments.json', new Blob(parts, { type: 'application/json' }));
}

/** @param {import('../context.js').Context} ctx */
async function importDatabase(ctx, file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const out = $('#import-result');
  try {
    let merged;
    let skipped = [];
    if (file.name.endsWith('.json')) {
      merged = ctx.store.importExperiments(JSON.parse(new TextDecoder().decode(bytes)), Date.now());
    } else {
      const SQL = await window.sqlReady;
      const other = new SQL.Database(bytes);
      const report = ctx.store.mergeDatabase(other, Date.now());
      other.close();
      merged = report.experiments;
      skipped = report.unreadable;
    }
    await ctx.persist.fold();
    out.textContent = `imported ${file.name}: ${merged} new experiments` +
      (skipped.length ? `; ${skipped.length} unreadable rows left out (${skipped.slice(0, 3).join('; ')})` : '');
    ctx.emit('stored');
  } catch (e) {
    out.textContent = `${file.name}: ${e.message}`;
  }
}
