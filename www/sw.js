// The service worker: the app shell, the wasm, sql.js and the sample series cached, so the
// page loads and runs sweeps offline after one visit. Network first: online, every load
// fetches the current files (an update is picked up on the next visit) and refreshes the
// cache; offline, the cache answers. Stored datasets and experiments live in IndexedDB.
const CACHE = 'btlab-shell';
const SHELL = [
  './', 'index.html', 'style.css', 'main.js', 'context.js', 'sharing.js', 'sweep_form.js', 'experiments.js',
  'persist.js', 'sql_batch.js', 'pool.js', 'datasets.js', 'charts.js', 'util.js', 'links.js', 'worker.js', 'editor.js', 'definitions.js',
  ...['sweep', 'strategy', 'results', 'top', 'summary', 'errors', 'heatmap', 'markets', 'pareto', 'optimize', 'walkforward', 'overfit', 'datasets', 'compare', 'detail', 'trades', 'montecarlo']
    .map((view) => `views/${view}.js`),
  'wasm_build.js', 'pkg/btlab_web.js', 'pkg/btlab_web_bg.wasm', 'pkg/btlab_web_simd_bg.wasm', 'vendor/sql-wasm.js', 'vendor/sql-wasm.wasm', 'vendor/lightweight-charts.mjs',
  'vendor/codemirror.mjs', 'surface.js', 'vendor/plotly-gl3d.min.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Only this origin's files: the Binance API and edge workers are never cached.
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.ok) await cache.put(request, response.clone());
      return response;
    } catch (offline) {
      const cached = await cache.match(request, { ignoreSearch: true });
      if (cached) return cached;
      throw offline;
    }
  })());
});
