// @ts-check
// Walk-forward: the windows run in the workers in parallel; the stitch is the core's, as
// natively.
import { $, h, replace, table, pct, num, isoDate } from '../util.js';
import { drawLine } from '../charts.js';
import { readSpec } from '../sweep_form.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#wf-target'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  $('#wf-form').addEventListener('submit', (event) => runWalkForward(ctx, event));
}

export function render() {}

/** @param {import('../context.js').Context} ctx */
async function runWalkForward(ctx, event) {
  event.preventDefault();
  const { wasm, pool } = ctx;
  $('#wf-error').textContent = '';
  const f = new FormData(event.target);
  const dataset = ctx.currentDataset();
  let spec, windows;
  try {
    spec = JSON.stringify({
      sweep: readSpec(ctx),
      walk_forward: {
        train_days: Number(f.get('train_days')), test_days: Number(f.get('test_days')),
        step_days: f.get('step_days') === '' ? null : Number(f.get('step_days')),
        anchored: f.get('anchored') === 'on', target: f.get('target'), method: f.get('method'), evaluations: Number(f.get('evaluations')),
      },
    });
    windows = wasm.walkForwardWindows(spec);
  } catch (e) {
    $('#wf-error').textContent = e.message;
    return;
  }
  $('#wf-run').disabled = true;
  let finished = 0;
  const status = () => { $('#wf-status').textContent = `${finished}/${windows.length} windows`; };
  status();
  try {
    await pool.load(dataset);
    const results = await Promise.all(windows.map((w) => pool.walk(spec, w.index).then((r) => { finished++; status(); return r; })));
    const report = wasm.walkForwardStitch(spec, results);
    window.btlab.lastWalk = report;
    renderWalk(report, f.get('target'));
    $('#wf-status').textContent = `${windows.length} windows done`;
  } catch (e) {
    $('#wf-error').textContent = e.message;
  } finally {
    $('#wf-run').disabled = false;
  }
}

function renderWalk(report, target) {
  const m = report.out_of_sample;
  table($('#wf-summary'), [{ title: 'stitched out of sample', value: (r) => r[0], text: true }, { title: 'value', value: (r) => r[1] }], m ? [
    ['total_return', pct(m.total_return)], ['annualized_return', pct(m.annualized_return)], ['sharpe_ratio', num(m.sharpe_ratio)],
    ['max_drawdown', pct(m.max_drawdown)], ['total_trades', m.total_trades], ['win_rate', pct(m.win_rate)], ['final_equity', num(m.final_equity, 2)],
    ['walk-forward efficiency', report.efficiency == null ? 'n/a' : num(report.efficiency)],
  ] : [['in sample only (test days 0)', '']]);
  if (report.equity_curve.length) drawLine($('#wf-chart'), report.equity_curve.map((p) => ({ time: p.time, value: p.equity })));
  table($('#wf-windows'), [
    { title: '#', value: (w) => w.window.index },
    { title: 'train', value: (w) => `${isoDate(w.window.train_start)} .. ${isoDate(w.window.train_end)}`, text: true },
    { title: 'test', value: (w) => `${isoDate(w.window.test_start)} .. ${isoDate(w.window.test_end)}`, text: true },
    { title: `chosen by ${target}`, value: (w) => `${w.strategy} ${JSON.stringify(w.params)}`, text: true },
    { title: 'IS sharpe', value: (w) => num(w.in_sample.sharpe_ratio) },
    { title: 'IS return', value: (w) => pct(w.in_sample.total_return) },
    { title: 'OOS sharpe', value: (w) => num(w.out_of_sample?.sharpe_ratio) },
    { title: 'OOS return', value: (w) => pct(w.out_of_sample?.total_return) },
  ], report.windows);
}
