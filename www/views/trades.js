// The detail view's trade list: paged (a year of 15m trades is hundreds of rows), sortable
// by any column, filterable by exit reason.
import { $, h, replace, table, num, isoTime } from '../util.js';

const PAGE = 50;

const COLUMNS = [
  { title: 'side', key: 'side', value: (t) => t.side, text: true },
  { title: 'entry', key: 'entry_time', value: (t) => isoTime(t.entry_time), text: true },
  { title: 'entry price', key: 'entry_price', value: (t) => num(t.entry_price, 2) },
  { title: 'exit', key: 'exit_time', value: (t) => isoTime(t.exit_time), text: true },
  { title: 'exit price', key: 'exit_price', value: (t) => num(t.exit_price, 2) },
  { title: 'exit reason', key: 'exit_reason', value: (t) => t.exit_reason, text: true },
  { title: 'pnl', key: 'pnl', value: (t) => num(t.pnl, 2) },
  { title: 'return', key: 'return_pct', value: (t) => `${num(t.return_pct, 2)}%` },
];

/** Shows `trades` in `#detail-trades`, with its controls in `#detail-trade-controls`. */
export function showTrades(trades) {
  const state = { page: 0, sort: 'entry_time', descending: false, reason: '' };
  const render = () => {
    const shown = trades.filter((t) => !state.reason || t.exit_reason === state.reason);
    const sign = state.descending ? -1 : 1;
    shown.sort((a, b) => (a[state.sort] < b[state.sort] ? -sign : a[state.sort] > b[state.sort] ? sign : 0));
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const reasons = [...new Set(trades.map((t) => t.exit_reason))].sort();
    const select = h('select', { id: 'trade-reason', onchange: (e) => { state.reason = e.target.value; state.page = 0; render(); } },
      h('option', { value: '' }, `every exit (${trades.length})`),
      ...reasons.map((r) => h('option', { value: r, selected: r === state.reason ? '' : null },
        `${r} (${trades.filter((t) => t.exit_reason === r).length})`)));
    const step = (by) => () => { state.page = Math.min(pages - 1, Math.max(0, state.page + by)); render(); };
    replace($('#detail-trade-controls'), select,
      h('button', { type: 'button', id: 'trade-prev', onclick: step(-1), disabled: state.page === 0 ? '' : null }, '‹ prev'),
      h('span', { id: 'trade-page' }, ` page ${state.page + 1} of ${pages} (${shown.length} trades) `),
      h('button', { type: 'button', id: 'trade-next', onclick: step(1), disabled: state.page >= pages - 1 ? '' : null }, 'next ›'));
    table($('#detail-trades'), COLUMNS.map((c) => ({ ...c, sort: c.key })), shown.slice(state.page * PAGE, (state.page + 1) * PAGE), {
      onSort: (key) => {
        state.descending = state.sort === key ? !state.descending : false;
        state.sort = key;
        render();
      },
    });
  };
  render();
}
