// @ts-check
// The results table: every experiment, filtered and sorted by the store, a page at a time;
// ticking rows picks them for the comparison view.
import { $, h, replace, table } from '../util.js';
import { experimentColumns } from '../experiments.js';

const PAGE = 50;
// The report columns shown until the user picks others.
const SHOWN = ['sortino_ratio', 'calmar_ratio', 'exposure', 'buy_hold_return', 'excess_return', 'sqn'];
const state = { filter: {}, sort: 'sharpe_ratio', offset: 0, columns: new Set(SHOWN) };

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#where-metric'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  replace($('#results-column-choice'), ctx.metrics.filter((m) => m.report).map((m) => h('label', {},
    h('input', { type: 'checkbox', name: m.name, checked: state.columns.has(m.name), onchange: (event) => {
      if (event.target.checked) state.columns.add(m.name); else state.columns.delete(m.name);
      render(ctx);
    } }), m.name)));
  $('#filter-form').strategy.append(...ctx.strategies.map((s) => h('option', { value: s.name }, s.name)));
  $('#filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const f = new FormData(event.target);
    const thresholds = [];
    if (f.get('min_sharpe') !== '') thresholds.push({ metric: 'sharpe_ratio', min: Number(f.get('min_sharpe')) });
    if (f.get('max_drawdown') !== '') thresholds.push({ metric: 'max_drawdown', max: Number(f.get('max_drawdown')) });
    if (f.get('where_value') !== '') thresholds.push({ metric: f.get('where_metric'), [String(f.get('where_op'))]: Number(f.get('where_value')) });
    state.filter = { symbol: f.get('symbol') || null, strategy: f.get('strategy') || null, thresholds };
    state.offset = 0;
    render(ctx);
  });
  $('#prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE); render(ctx); });
  $('#next').addEventListener('click', () => { if (state.offset + PAGE < ctx.store.count(state.filter)) state.offset += PAGE; render(ctx); });
  $('#compare-button').addEventListener('click', () => {
    $('#tabs button[data-view=compare]').hidden = false;
    ctx.show('compare');
  });
}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const { filter, sort, offset } = state;
  const rows = ctx.store.list(filter, sort, PAGE, offset);
  const total = ctx.store.count(filter);
  const extra = ctx.metrics.filter((m) => state.columns.has(m.name));
  table($('#results-table'), [compareColumn(ctx), ...experimentColumns(extra)], rows, {
    onRow: (e) => ctx.emit('open-experiment', e.id),
    onSort: (metric) => { state.sort = metric; state.offset = 0; render(ctx); },
  });
  $('#results-table').dataset.sort = sort;
  $('#page-info').textContent = total ? `${offset + 1}-${offset + rows.length} of ${total}, by ${sort}` : 'no experiments';
}

/** @param {import('../context.js').Context} ctx */
function compareColumn(ctx) {
  return {
    title: '⊕',
    value: (e) => h('input', {
      type: 'checkbox', class: 'compare', title: 'compare', checked: ctx.compare.has(e.id),
      onclick: (event) => {
        event.stopPropagation();
        if (event.target.checked && ctx.compare.size >= 4) { event.target.checked = false; return; }
        if (event.target.checked) ctx.compare.add(e.id); else ctx.compare.delete(e.id);
        updateCompareButton(ctx);
      },
    }),
  };
}

/** @param {import('../context.js').Context} ctx */
function updateCompareButton(ctx) {
  const n = ctx.compare.size;
  $('#compare-button').disabled = n < 2;
  $('#compare-button').textContent = `Compare the ticked (${n}/4)`;
}
