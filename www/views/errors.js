// @ts-check
// The configs that failed, latest first, with their messages.
import { $, table, isoTime } from '../util.js';

export function mount() {}

/** @param {import('../context.js').Context} ctx */
export function render(ctx) {
  table($('#errors-table'), [
    { title: 'id', value: (r) => r.id },
    { title: 'config', value: (r) => JSON.stringify(r.config), text: true },
    { title: 'error', value: (r) => r.message, text: true },
    { title: 'when', value: (r) => isoTime(r.created_at), text: true },
  ], ctx.store.errors(200));
}
