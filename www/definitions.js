// @ts-check
// Strategy definitions on the page: each is compiled by the core (here, in every worker,
// and before a logged chunk is replayed), added to the strategies the builders offer, and
// the user's own are kept in IndexedDB.
import { request, done } from './persist.js';

/**
 * A definition's params as sweep axes: about ten points of each int's declared range, five
 * of each float's, every choice.
 * @param {any} strategy
 */
export function gridOf(strategy) {
  const grid = {};
  for (const p of strategy.params) {
    if (p.type === 'choice') grid[p.name] = [...p.choices];
    else if (p.type === 'int') grid[p.name] = { type: 'int', min: p.min, max: p.max, step: Math.max(1, Math.round((p.max - p.min) / 9)) };
    else grid[p.name] = { type: 'float', min: p.min, max: p.max, num: 5 };
  }
  return grid;
}

/** @param {import('./context.js').Context} ctx @param {string} source */
export function define(ctx, source) {
  const strategy = ctx.wasm.defineStrategy(source);
  const at = ctx.strategies.findIndex((s) => s.name === strategy.name);
  if (at >= 0) ctx.strategies[at] = strategy; else ctx.strategies.push(strategy);
  ctx.grids[strategy.name] = gridOf(strategy);
  ctx.definitionSources.set(strategy.name, source);
  ctx.pool.addDefinition(source);
  ctx.emit('strategies-changed', strategy);
  return strategy;
}

/** The user's definitions, by name. @param {IDBDatabase} idb */
export async function saved(idb) {
  return request(idb.transaction('definitions', 'readonly').objectStore('definitions').getAll());
}

/** @param {IDBDatabase} idb @param {string} name @param {string} source */
export async function save(idb, name, source) {
  const tx = idb.transaction('definitions', 'readwrite', { durability: 'strict' });
  tx.objectStore('definitions').put({ name, source, saved_at: Date.now() });
  await done(tx);
}
