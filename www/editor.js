// @ts-check
// The strategy editor: CodeMirror 6 (vendored) with YAML highlighting, and its errors
// marked at their line and column as you type, found by the same wasm compiler that runs
// the definition.
import { EditorView, basicSetup, EditorState, yaml, linter, lintGutter } from './vendor/codemirror.mjs';

/**
 * @param {HTMLElement} parent
 * @param {{ doc: string, check: (source: string) => { ok: boolean, diagnostics: { line: number, column: number, message: string }[], strategy: any }, onChecked: (checked: any) => void }} options
 */
export function createEditor(parent, { doc, check, onChecked }) {
  const lint = linter((view) => {
    const checked = check(view.state.doc.toString());
    onChecked(checked);
    return checked.diagnostics.map((d) => {
      const line = view.state.doc.line(Math.min(Math.max(d.line, 1), view.state.doc.lines));
      const from = Math.min(line.from + Math.max(d.column - 1, 0), line.to);
      // The marked word: to the end of the name or number found there.
      const rest = view.state.doc.sliceString(from, line.to);
      const word = /^[\w.]+/.exec(rest);
      return { from, to: Math.min(from + (word ? word[0].length : 1), line.to), severity: 'error', message: d.message };
    });
  }, { delay: 150 });
  const view = new EditorView({
    parent,
    state: EditorState.create({ doc, extensions: [basicSetup, yaml(), lintGutter(), lint] }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    set(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
  };
}
