// @ts-check
// The loop of `btlab optimize`: the core's OptimizerLoop (in wasm) reads this market's and
// strategy's history from the store and picks each batch; the workers run it, the log
// stores it, and the loop says when it has converged.
import { $, h, replace, table } from '../util.js';
import { drawProgress } from '../charts.js';
import { readSpec } from '../sweep_form.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#opt-target'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  $('#opt-form').addEventListener('submit', (event) => runOptimizer(ctx, event));
}

export function render() {}

/** @param {import('../context.js').Context} ctx */
async function runOptimizer(ctx, event) {
  event.preventDefault();
  const { wasm, store, pool, persist } = ctx;
  $('#opt-error').textContent = '';
  const f = new FormData(event.target);
  const target = String(f.get('target'));
  const iterations = Number(f.get('iterations'));
  const batch = Number(f.get('batch'));
  const seed = BigInt(String(f.get('seed')));
  const sampler = String(f.get('sampler'));
  const patience = Number(f.get('patience'));
  const convergence = Number(f.get('convergence'));
  const dataset = ctx.currentDataset();
  let spec, template, fingerprint;
  try {
    spec = readSpec(ctx);
    const strategy = ctx.strategies.find((x) => x.name === spec.strategies[0]);
    template = {
      symbol: spec.symbol, timeframe: spec.timeframe, start: spec.start, end: spec.end, strategy: strategy.name,
      ...(strategy.definition ? { definition: strategy.definition } : {}),
      params: Object.fromEntries(strategy.params.map((p) => [p.name, p.default])),
      initial_capital: spec.initial_capital, fee_bps: spec.fee_bps, slippage_bps: spec.slippage_bps, allow_short: spec.allow_short,
    };
    fingerprint = wasm.marketFingerprint(dataset.columns, spec.timeframe, Date.parse(spec.start), Date.parse(spec.end));
  } catch (e) {
    $('#opt-error').textContent = e.message;
    return;
  }
  const grid = JSON.stringify(spec.param_grids[template.strategy]);
  const trajectory = [];
  $('#opt-run').disabled = true;
  window.btlab.lastOptimization = null;
  let optimizer;
  try {
    await pool.load(dataset);
    optimizer = new wasm.Optimizer(store, template, fingerprint, grid, target, sampler, seed, batch, convergence, patience);
    for (let iteration = 1; iteration <= iterations; iteration++) {
      // Each iteration is one chunk of the sweep loop: planned, run, logged, recorded.
      const chunk = optimizer.next(store);
      if (chunk === '[]') break;
      const plan = store.planChunk(chunk, fingerprint, false);
      const outcomes = plan.hashes.length ? await pool.run(plan.to_run) : null;
      await persist.append(outcomes, plan.hashes, plan.refused, null, spec.definitions || []);
      const step = optimizer.observe(store);
      trajectory.push({ iteration, evaluated: step.evaluated, best: step.best });
      drawProgress($('#opt-chart'), trajectory.map((t) => t.best));
      $('#opt-status').textContent = `iteration ${iteration}/${iterations}: ${step.evaluated} evaluated, best ${target} ${step.best.toFixed(4)}`;
      if (step.converged) break;
    }
    await persist.fold();
    table($('#opt-trajectory'), [
      { title: 'iteration', value: (t) => t.iteration }, { title: 'evaluated', value: (t) => t.evaluated },
      { title: `best ${target}`, value: (t) => t.best.toFixed(4) },
    ], trajectory);
    window.btlab.lastOptimization = { trajectory, best: trajectory.length ? trajectory[trajectory.length - 1].best : null };
    $('#opt-status').textContent += ' · done';
  } catch (e) {
    $('#opt-error').textContent = e.message;
  } finally {
    optimizer?.free();
    $('#opt-run').disabled = false;
  }
}
