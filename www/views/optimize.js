// @ts-check
// The loop of `btlab optimize`: the core's OptimizerLoop (in wasm) reads this market's and
// strategy's history from the store and picks each batch; the workers run it, the log
// stores it, and the loop says when it has converged. With NSGA-II on two targets (the
// core's ParetoLoop, `btlab optimize --targets`), each iteration is a generation and the
// end is the Pareto front.
import { $, h, replace, table, formatMetric } from '../util.js';
import { drawProgress } from '../charts.js';
import { readSpec } from '../sweep_form.js';

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  replace($('#opt-target'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  replace($('#opt-target2'), ctx.metrics.map((m) => h('option', { value: m.name }, m.name)));
  $('#opt-target2').value = 'max_drawdown';
  // NSGA-II has a second target and runs every iteration: no convergence test.
  $('#opt-sampler').addEventListener('change', () => {
    const pareto = $('#opt-sampler').value === 'nsga2';
    $('#opt-target2').disabled = !pareto;
    for (const name of ['patience', 'convergence']) /** @type {HTMLInputElement} */ ($(`#opt-form input[name=${name}]`)).disabled = pareto;
  });
  $('#opt-form').addEventListener('submit', (event) => runOptimizer(ctx, event));
}

export function render() {}

/** @param {import('../context.js').Context} ctx */
async function runOptimizer(ctx, event) {
  event.preventDefault();
  const { wasm, store, persist } = ctx;
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
  if (sampler === 'nsga2') {
    await runPareto(ctx, { template, fingerprint, grid, targets: [target, String(f.get('target2'))], seed, population: batch, iterations, spec, dataset });
    return;
  }
  $('#opt-front-title').hidden = true;
  $('#opt-chart-title').textContent = 'Best so far per iteration';
  replace($('#opt-front'), []);
  const trajectory = [];
  await exclusively(ctx, dataset, () => new wasm.Optimizer(store, template, fingerprint, grid, target, sampler, seed, batch, convergence, patience), async (optimizer) => {
    for (let iteration = 1; iteration <= iterations; iteration++) {
      const step = await iterate(ctx, optimizer, fingerprint, spec.definitions || []);
      if (!step) break;
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
  });
}

// NSGA-II: a generation per iteration, stored as any chunk; then the front, each row
// opening its experiment.
/** @param {import('../context.js').Context} ctx */
async function runPareto(ctx, { template, fingerprint, grid, targets, seed, population, iterations, spec, dataset }) {
  const { wasm, store, persist } = ctx;
  const trajectory = [];
  $('#opt-chart-title').textContent = 'Hypervolume of the front per generation';
  await exclusively(ctx, dataset, () => new wasm.ParetoOptimizer(template, fingerprint, grid, targets.join(','), seed, population), async (optimizer) => {
    for (let generation = 1; generation <= iterations; generation++) {
      const step = await iterate(ctx, optimizer, fingerprint, spec.definitions || []);
      if (!step) break;
      trajectory.push(step);
      drawProgress($('#opt-chart'), trajectory.map((t) => t.hypervolume));
      $('#opt-status').textContent = `generation ${generation}/${iterations}: ${step.evaluated} evaluated, ${step.front} on the front, hypervolume ${step.hypervolume.toFixed(4)}`;
    }
    await persist.fold();
    table($('#opt-trajectory'), [
      { title: 'generation', value: (t) => t.generation }, { title: 'evaluated', value: (t) => t.evaluated },
      { title: 'on the front', value: (t) => t.front }, { title: 'hypervolume', value: (t) => t.hypervolume.toFixed(4) },
    ], trajectory);
    const front = optimizer.front(store);
    $('#opt-front-title').hidden = false;
    table($('#opt-front'), [
      { title: 'id', value: (e) => e.id }, { title: 'params', value: (e) => JSON.stringify(e.config.params), text: true },
      ...targets.map((name) => ({ title: name, value: (e) => formatMetric(ctx.metrics.find((m) => m.name === name).format, e.metrics[name]) })),
    ], front, { onRow: (e) => ctx.emit('open-experiment', e.id) });
    window.btlab.lastOptimization = { trajectory, front: front.map((e) => e.id) };
  });
}

// One run of a loop made by `makeOptimizer`: the button off, the dataset in the workers,
// `run` given the loop; any error shown and the wasm loop freed, whatever happens.
/** @param {import('../context.js').Context} ctx */
async function exclusively(ctx, dataset, makeOptimizer, run) {
  $('#opt-run').disabled = true;
  window.btlab.lastOptimization = null;
  let optimizer;
  try {
    await ctx.pool.load(dataset);
    optimizer = makeOptimizer();
    await run(optimizer);
    $('#opt-status').textContent += ' · done';
  } catch (e) {
    $('#opt-error').textContent = e.message;
  } finally {
    optimizer?.free();
    $('#opt-run').disabled = false;
  }
}

// One iteration as one chunk of the sweep loop (planned, run, logged, recorded), then the
// loop's step; null when the space has nothing left to try.
/** @param {import('../context.js').Context} ctx */
async function iterate(ctx, optimizer, fingerprint, definitions) {
  const chunk = optimizer.next(ctx.store);
  if (chunk === '[]') return null;
  const plan = ctx.store.planChunk(chunk, fingerprint, false);
  const ran = plan.hashes.length ? { packed: await ctx.pool.run(plan.to_run) } : null;
  await ctx.persist.append(plan, ran, null, definitions);
  return optimizer.observe(ctx.store);
}
