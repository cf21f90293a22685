// @ts-check
// The sweep builder's form: what the sweep, the optimizer and walk-forward all read their
// spec from (dataset, range, strategy, one axis per parameter, costs).
import { $, $$, h, replace, isoDate } from './util.js';
import { define } from './definitions.js';

// An axis as typed: `5, 10, 20` (values), `5..50 step 5` (ints), `0.1..0.9 num 5` (floats),
// `10..400 log 8` (log-spaced), or one value.
export function parseAxis(text, kind) {
  const t = text.trim();
  if (kind === 'choice') return t.split(',').map((v) => v.trim()).filter(Boolean);
  let m;
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s+step\s+([\d.]+)$/.exec(t))) return { type: 'int', min: +m[1], max: +m[2], step: +m[3] };
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s+log\s+(\d+)$/.exec(t))) return { type: 'loguniform', min: +m[1], max: +m[2], num: +m[3] };
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s+num\s+(\d+)$/.exec(t))) return { type: 'float', min: +m[1], max: +m[2], num: +m[3] };
  if ((m = /^(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)$/.exec(t))) return kind === 'int' ? { type: 'int', min: +m[1], max: +m[2], step: 1 } : { type: 'float', min: +m[1], max: +m[2] };
  const values = t.split(',').map((v) => v.trim()).filter(Boolean).map(Number);
  if (!values.length || values.some(Number.isNaN)) throw new Error(`cannot read the axis "${text}"`);
  return values;
}

export function axisText(axis) {
  if (Array.isArray(axis)) return axis.join(', ');
  if (axis.type === 'int') return `${axis.min}..${axis.max} step ${axis.step ?? 1}`;
  if (axis.type === 'loguniform') return `${axis.min}..${axis.max} log ${axis.num ?? 5}`;
  if (axis.type === 'float') return `${axis.min}..${axis.max} num ${axis.num ?? 5}`;
  return (axis.values || []).join(', ');
}

/** @param {import('./context.js').Context} ctx */
export function renderAxes(ctx, preset = true) {
  const name = $('#sweep-strategy').value;
  const strategy = ctx.strategies.find((s) => s.name === name);
  const grid = ctx.grids[name] || {};
  replace($('#param-axes'), strategy.params.map((p) => h('label', { class: 'axis', title: p.description },
    p.name, h('input', { name: `axis-${p.name}`, 'data-kind': p.type, value: preset && grid[p.name] ? axisText(grid[p.name]) : String(p.default) }))));
  updateCount(ctx);
}

// What each order field means, as its input's tooltip (the fields are the core's).
const ORDER_HINTS = {
  pct: 'a fraction of the entry fill (0.02 = 2%)', atr: 'the ATR period the distance is measured in', mult: 'ATR multiples',
  rr: 'a multiple of the stop distance', max_bars: 'candles a position is held at most, the entry candle included',
  size: 'the fraction of equity an entry commits (0..1]', risk_pct: 'the fraction of equity the stop would lose (needs a stop)',
  leverage: 'notional over equity, 1..125 (liquidation at a 100% loss of the margin)',
};

/** @param {import('./context.js').Context} ctx */
export function renderOrderAxes(ctx) {
  replace($('#order-axes'), ctx.orderFields.map((f) => h('label', { class: 'axis', title: ORDER_HINTS[f.name.split('.').pop()] },
    f.name, h('input', { name: `order-${f.name}`, 'data-kind': f.whole ? 'int' : 'float', placeholder: 'off' }))));
}

/** @param {import('./context.js').Context} ctx */
export function readSpec(ctx) {
  const form = $('#sweep-form');
  const f = new FormData(form);
  const dataset = ctx.currentDataset();
  const strategy = String(f.get('strategy'));
  const axes = {};
  for (const input of form.querySelectorAll('#param-axes input')) axes[input.name.slice(5)] = parseAxis(input.value, input.dataset.kind);
  // An order field is an axis of the grid by its dotted name, as in a spec file.
  for (const input of form.querySelectorAll('#order-axes input')) {
    if (input.value.trim()) axes[input.name.slice(6)] = parseAxis(input.value, input.dataset.kind);
  }
  // A defined strategy's definition travels in the spec (and so in a shared link).
  const source = ctx.definitionSources.get(strategy);
  return {
    ...(source ? { definitions: [source] } : {}),
    symbol: dataset ? dataset.symbol : 'DEMO-BTC',
    timeframe: String(f.get('timeframe')),
    start: String(f.get('start')),
    end: String(f.get('end')),
    strategies: [strategy],
    param_grids: { [strategy]: axes },
    search: String(f.get('search')),
    n_samples: Number(f.get('n_samples')),
    seed: Number(f.get('seed')),
    initial_capital: Number(f.get('initial_capital')),
    fee_bps: Number(f.get('fee_bps')),
    slippage_bps: Number(f.get('slippage_bps')),
    allow_short: f.get('allow_short') === 'on',
  };
}

// The markets a sweep runs on: the chosen dataset at the chosen timeframe, then each one
// ticked under "Also sweep on" at its own timeframe, each with `spec` on it alone (the
// page's `Sweep` is one market's). A market twice is refused, as `btlab sweep` refuses it.
/** @param {import('./context.js').Context} ctx */
export function readMarkets(ctx, spec = readSpec(ctx)) {
  const chosen = ctx.currentDataset();
  const markets = [{ dataset: chosen, spec }];
  for (const input of $$('#sweep-markets input:checked')) {
    const dataset = ctx.datasetList.find((d) => d.id === /** @type {HTMLInputElement} */ (input).value);
    if (!dataset || dataset === chosen) continue;
    markets.push({ dataset, spec: { ...spec, symbol: dataset.symbol, timeframe: dataset.info.timeframe } });
  }
  const names = markets.map((m) => `${m.spec.symbol}@${m.spec.timeframe}`);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new Error(`market ${twice} is ticked twice (two datasets of one symbol and timeframe): untick one`);
  return markets;
}

/** @param {import('./context.js').Context} ctx */
export function updateCount(ctx) {
  try {
    const markets = readMarkets(ctx);
    const sweep = new ctx.wasm.Sweep(markets[0].spec);
    const across = markets.length > 1 ? ` × ${markets.length} markets = ${sweep.size * markets.length} backtests` : '';
    $('#sweep-count').textContent = `${sweep.size} configs (${sweep.sizeBeforeConstraints} combinations before constraints)${across}`;
    sweep.free();
    $('#sweep-error').textContent = '';
  } catch (e) {
    $('#sweep-count').textContent = '';
    $('#sweep-error').textContent = e.message;
  }
}

// The chosen dataset's timeframe and range, as the builder's defaults.
/** @param {import('./context.js').Context} ctx */
export function chooseDataset(ctx) {
  const d = ctx.currentDataset();
  if (!d) return;
  $('#sweep-timeframe').value = d.info.timeframe;
  const form = $('#sweep-form');
  form.start.value = isoDate(d.info.first);
  form.end.value = isoDate(d.info.last + 1);
  updateCount(ctx);
}

// A spec (a shared sweep link's) back in the form, on `dataset`.
/** @param {import('./context.js').Context} ctx */
export function fillFromSpec(ctx, spec, dataset) {
  for (const source of spec.definitions || []) define(ctx, source);
  const form = $('#sweep-form');
  $('#sweep-dataset').value = dataset.id;
  // A link's sweep is one market's.
  for (const input of form.querySelectorAll('#sweep-markets input')) input.checked = false;
  $('#sweep-timeframe').value = spec.timeframe;
  form.start.value = spec.start;
  form.end.value = spec.end;
  $('#sweep-strategy').value = spec.strategies[0];
  renderAxes(ctx, false);
  for (const input of form.querySelectorAll('#order-axes input')) input.value = '';
  // Fixed order fields (`orders: {stop_loss: {pct: 0.02}}`) show as one-value axes.
  const fixed = Object.entries(spec.orders || {}).flatMap(([group, v]) =>
    typeof v === 'object' ? Object.entries(v).map(([key, x]) => [`${group}.${key}`, [x]]) : [[group, [v]]]);
  for (const [name, axis] of [...fixed, ...Object.entries(spec.param_grids[spec.strategies[0]] || {})]) {
    const input = form.querySelector(`input[name="axis-${name}"]`) || form.querySelector(`input[name="order-${name}"]`);
    if (input) input.value = axisText(axis);
  }
  $('#order-fields').open = [...form.querySelectorAll('#order-axes input')].some((i) => i.value);
  for (const k of ['search', 'n_samples', 'seed', 'initial_capital', 'fee_bps', 'slippage_bps']) form[k].value = spec[k];
  form.allow_short.checked = spec.allow_short;
  updateCount(ctx);
}
