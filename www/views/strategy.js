// @ts-check
// The Strategy tab: a definition in a code editor, checked as you type; the examples, the
// built-ins written as definitions, the user's saved ones and those the store ran; "Sweep
// this" hands the definition's params to the sweep builder.
import { $, h, replace } from '../util.js';
import { createEditor } from '../editor.js';
import { define, saved, save } from '../definitions.js';

let editor = null;
let checked = null;

/** @param {import('../context.js').Context} ctx */
export function mount(ctx) {
  const examples = ctx.wasm.exampleDefinitions();
  editor = createEditor($('#strategy-editor'), {
    doc: examples[0].source,
    check: (source) => ctx.wasm.checkDefinition(source),
    onChecked: (result) => {
      checked = result;
      const s = result.strategy;
      $('#strategy-status').textContent = result.ok
        ? `${s.name}: ${s.params.length} params, definition ${s.definition.slice(0, 12)}`
        : `${result.diagnostics.length} error${result.diagnostics.length === 1 ? '' : 's'}: line ${result.diagnostics[0].line}, column ${result.diagnostics[0].column}: ${result.diagnostics[0].message}`;
      $('#strategy-status').className = result.ok ? '' : 'error';
      $('#strategy-sweep').disabled = $('#strategy-save').disabled = !result.ok;
    },
  });
  $('#strategy-choice').addEventListener('change', () => {
    const option = $('#strategy-choice').selectedOptions[0];
    if (option?.dataset.source != null) editor.set(option.dataset.source);
  });
  $('#strategy-save').addEventListener('click', async () => {
    if (!checked?.ok) return;
    await save(ctx.persist.idb, checked.strategy.name, editor.text());
    $('#strategy-status').textContent = `saved ${checked.strategy.name}`;
    await renderChoices(ctx);
  });
  $('#strategy-sweep').addEventListener('click', () => {
    if (!checked?.ok) return;
    try {
      const strategy = define(ctx, editor.text());
      ctx.emit('sweep-strategy', strategy.name);
    } catch (e) {
      $('#strategy-status').textContent = e.message;
    }
  });
  renderChoices(ctx);
}

/** @param {import('../context.js').Context} ctx */
async function renderChoices(ctx) {
  const option = (label, source) => h('option', { dataset: { source } }, label);
  const stored = ctx.store.definitions();
  const mine = await saved(ctx.persist.idb);
  const examples = ctx.wasm.exampleDefinitions();
  replace($('#strategy-choice'),
    h('option', { disabled: true, selected: true }, 'open a definition…'),
    h('optgroup', { label: 'Examples' }, examples.filter((e) => !e.file.startsWith('builtins/')).map((e) => option(e.file, e.source))),
    h('optgroup', { label: 'The built-ins, as definitions' }, examples.filter((e) => e.file.startsWith('builtins/')).map((e) => option(e.file.slice(9), e.source))),
    mine.length ? h('optgroup', { label: 'Saved here' }, mine.map((d) => option(d.name, d.source))) : null,
    stored.length ? h('optgroup', { label: 'Run in this store' }, stored.map((d) => option(`${d.name} (${d.hash.slice(0, 8)})`, d.source))) : null);
}

export function render() {}
