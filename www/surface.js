// @ts-check
// A metric over two parameters as a 3-D surface (plotly.js's gl3d bundle, vendored and
// loaded on first use: 1.7 MB the other views never pay for).

let plotly = null;

// The vendored plotly.js, loaded once by a classic script (it is a UMD bundle).
function loadPlotly() {
  plotly ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = new URL('./vendor/plotly-gl3d.min.js', import.meta.url).href;
    script.onload = () => resolve(/** @type {any} */ (window).Plotly);
    script.onerror = () => { plotly = null; reject(new Error('plotly.js could not be loaded (vendor/plotly-gl3d.min.js)')); };
    document.head.append(script);
  });
  return plotly;
}

function webglAvailable() {
  const canvas = document.createElement('canvas');
  return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
}

/**
 * Draws `cells` ({x, y, value, n}: the heatmap's) as a surface in `el`: z is the metric,
 * a missing pair a hole; green is better whichever way the metric is.
 * @param {HTMLElement} el
 * @param {{x: number, y: number, value: number, n: number}[]} cells
 * @param {string} xName
 * @param {string} yName
 * @param {{name: string, higher_is_better: boolean}} metric
 */
export async function drawSurface(el, cells, xName, yName, metric) {
  if (!webglAvailable()) throw new Error('this browser has no WebGL, which the 3-D surface needs; the heatmap shows the same values');
  const Plotly = await loadPlotly();
  const xs = [...new Set(cells.map((c) => c.x))].sort((a, b) => a - b);
  const ys = [...new Set(cells.map((c) => c.y))].sort((a, b) => a - b);
  const z = ys.map(() => xs.map(() => null));
  for (const c of cells) z[ys.indexOf(c.y)][xs.indexOf(c.x)] = c.value;
  const colorscale = [[0, '#b91c1c'], [0.5, '#facc15'], [1, '#15803d']];
  await Plotly.react(el, [{
    type: 'surface', x: xs, y: ys, z, colorscale, reversescale: !metric.higher_is_better,
    colorbar: { title: { text: metric.name } },
    hovertemplate: `${xName} %{x}<br>${yName} %{y}<br>${metric.name} %{z:.4f}<extra></extra>`,
  }], {
    margin: { l: 0, r: 0, t: 10, b: 0 },
    scene: { xaxis: { title: { text: xName } }, yaxis: { title: { text: yName } }, zaxis: { title: { text: metric.name } } },
  }, { displaylogo: false, responsive: true });
}
