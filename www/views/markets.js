// @ts-check
// Configs across the markets they ran on (the core's ranking, as `btlab experiments
// markets` prints it): the table, and a config x market heatmap of its first rows.
import { $, h, replace, table, formatMetric } from '../util.js';
import { drawMarketHeatmap } from '../charts.js';

const SHOWN = 50;
const HEATMAP_ROWS = 30;

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#markets-strategy'), ctx.strategies.map((s) => h('option', { value: s.name }, s.name)));
  replace($('#markets-metric'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  ctx.on('strategies-changed', () => {
    const chosen = $('#markets-strategy').value;
    replace($('#markets-strategy'), ctx.strategies.map((s) => h('option', { value: s.name }, s.name)));
    $('#markets-strategy').value = chosen;
  });
  $('#markets-form').addEventListener('change', () => render(ctx));
  $('#markets-form').addEventListener('submit', (event) => { event.preventDefault(); render(ctx); });
}

// "BTCUSDT 1h": a market's name in the table and the heatmap.
const marketName = (m) => `${m.symbol} ${m.timeframe}`;

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  const form = new FormData($('#markets-form'));
  const metric = ctx.metrics.find((m) => m.name === form.get('by'));
  const least = String(form.get('min_markets')).trim();
  let ranked;
  try {
    ranked = ctx.store.acrossMarkets({ strategy: String(form.get('strategy')) }, metric.name, least ? Number(least) : undefined);
  } catch (e) {
    $('#markets-info').textContent = e.message;
    return;
  }
  // Every market, in the order first stored: a column each.
  const markets = [...new Set(ranked.flatMap((c) => c.markets.map(marketName)))];
  const show = (v) => formatMetric(metric.format, v);
  const open = (figure) => ctx.emit('open-experiment', ctx.store.get(figure.config_hash).id);
  table($('#markets-table'), [
    { title: '#', value: (c) => ranked.indexOf(c) + 1 },
    { title: 'params', value: (c) => configName(c), text: true },
    { title: 'worst', value: (c) => show(c.worst) },
    { title: 'median', value: (c) => show(c.median) },
    { title: 'beat B&H', value: (c) => `${c.beat_buy_hold}/${c.markets.length}` },
    ...markets.map((name) => ({
      title: name,
      value: (c) => {
        const figure = c.markets.find((m) => marketName(m) === name);
        return figure ? h('a', { href: '#', title: `open ${figure.config_hash.slice(0, 10)}`, onclick: (e) => { e.preventDefault(); open(figure); } }, show(figure.value)) : '';
      },
    })),
  ], ranked.slice(0, SHOWN));
  $('#markets-info').textContent = ranked.length
    ? `${Math.min(SHOWN, ranked.length)} of ${ranked.length} configs on ${markets.length} markets, by their worst ${metric.name}`
    : 'no config of this strategy ran on several markets yet: tick "Also sweep on" datasets in the sweep builder';
  drawMarketHeatmap($('#markets-heatmap'), ranked.slice(0, HEATMAP_ROWS).map((c, i) => ({
    label: `#${i + 1} ${Object.entries({ ...c.params, ...c.orders }).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')}`,
    values: markets.map((name) => c.markets.find((m) => marketName(m) === name)?.value ?? null),
  })), markets, metric);
}

// A config's params (and its order fields, when set) in one line.
function configName(c) {
  const orders = Object.keys(c.orders).length ? ` ${JSON.stringify(c.orders)}` : '';
  return `${JSON.stringify(c.params)}${orders}`;
}
