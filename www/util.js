// @ts-check
// DOM building that is safe by construction: strings always become text nodes (never
// HTML), so a symbol named `<img src=x onerror=...>` shows as text.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** @param {string} selector @returns {any} the element (the page's own ids and classes) */
export const $ = (selector) => document.querySelector(selector);
/** @param {string} selector @returns {HTMLElement[]} */
export const $$ = (selector) => [...document.querySelectorAll(selector)].map((el) => /** @type {HTMLElement} */ (el));

export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null));
}

export const pct = (x) => (x == null ? 'n/a' : `${(x * 100).toFixed(2)}%`);
export const num = (x, digits = 3) => (x == null ? 'n/a' : Number(x).toFixed(digits));
// A metric's value as its format (one of the core's `Format`s) reads; null is n/a.
export function formatMetric(format, x) {
  if (x == null) return 'n/a';
  if (format === 'percent') return pct(x);
  if (format === 'money') return Number(x).toFixed(2);
  if (format === 'hours') return `${Number(x).toFixed(1)} h`;
  if (format === 'count') return String(x);
  return num(x);
}
export const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
export const isoTime = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// A table from column specs: [{title, value(row), text?}], rows clickable when onRow is given.
/** @param {{ onRow?: (row: any) => void, onSort?: (metric: string) => void }} [options] */
export function table(el, columns, rows, options = {}) {
  const { onRow, onSort } = options;
  const head = h('tr', {}, columns.map((c) =>
    h('th', { class: c.text ? 'text' : null, onclick: onSort && c.sort ? () => onSort(c.sort) : null }, c.title)));
  const body = rows.map((row) => h('tr', { class: onRow ? 'clickable' : null, onclick: onRow ? () => onRow(row) : null },
    columns.map((c) => h('td', { class: c.text ? 'text' : null }, c.value(row)))));
  replace(el, h('thead', {}, head), h('tbody', {}, body));
}

// Resolves in a later task of the event loop (not a microtask): what follows does not
// lengthen the task running now. scheduler.yield where the browser has it (Chromium 129+).
export function nextTask() {
  return globalThis.scheduler?.yield ? globalThis.scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));
}
