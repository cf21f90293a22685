// The code editor's parts, bundled by scripts/build-web.sh into www/vendor/codemirror.mjs
// (one ES module, no bare imports, like the page's other vendored libraries).
export { EditorView, basicSetup } from 'codemirror';
export { EditorState } from '@codemirror/state';
export { yaml } from '@codemirror/lang-yaml';
export { linter, lintGutter, forceLinting } from '@codemirror/lint';
