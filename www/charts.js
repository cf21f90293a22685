// @ts-check
// Charts of the detail view (lightweight-charts) and the parameter heatmap (a canvas).
import { formatMetric } from './util.js';
import { createChart, LineSeries, AreaSeries, CandlestickSeries, createSeriesMarkers } from './vendor/lightweight-charts.mjs';

const charts = [];
const seconds = (ms) => Math.floor(ms / 1000);

function chart(el) {
  const c = createChart(el, { autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true, minBarSpacing: 0.001 } });
  charts.push(c);
  return c;
}

// One line chart in `el` (replacing what it showed): points [{time (ms), value}].
const lines = new Map();
export function drawLine(el, points, color = '#2962ff') {
  lines.get(el)?.remove();
  const c = createChart(el, { autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true, minBarSpacing: 0.001 } });
  lines.set(el, c);
  c.addSeries(LineSeries, { color, lineWidth: 2 }).setData(points.map((p) => ({ time: seconds(p.time), value: p.value })));
  c.timeScale().fitContent();
}

// Several lines on one chart (the comparison view): [{name, points: [{time, value}], style?}],
// each style a lightweight-charts line option set ({color, lineWidth, lineStyle}).
export function drawLines(el, series) {
  lines.get(el)?.remove();
  const c = createChart(el, { autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true, minBarSpacing: 0.001 } });
  lines.set(el, c);
  for (const s of series) {
    c.addSeries(LineSeries, { lineWidth: 2, ...s.style, title: s.name })
      .setData(s.points.map((p) => ({ time: seconds(p.time), value: p.value })));
  }
  c.timeScale().fitContent();
}

// A line over iterations 1..n on a canvas (the optimizer's best so far).
export function drawProgress(canvas, values) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return;
  const pad = 30;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || 1;
  const x = (i) => pad + (canvas.width - 2 * pad) * (values.length > 1 ? i / (values.length - 1) : 0.5);
  const y = (v) => canvas.height - pad - (canvas.height - 2 * pad) * (v - lo) / span;
  ctx.strokeStyle = '#2962ff';
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
  ctx.stroke();
  ctx.fillStyle = '#2962ff';
  values.forEach((v, i) => ctx.fillRect(x(i) - 3, y(v) - 3, 6, 6));
  ctx.fillStyle = '#333';
  ctx.font = '11px sans-serif';
  ctx.fillText(hi.toFixed(4), 2, pad - 8);
  ctx.fillText(lo.toFixed(4), 2, canvas.height - 8);
}

// Bars of a histogram [[from, to, count]], the bins at or below 0 in red.
export function drawHistogram(canvas, bins) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!bins.length) return;
  const most = Math.max(...bins.map((b) => b[2]), 1);
  const pad = 24;
  const width = (canvas.width - 2 * pad) / bins.length;
  ctx.font = '11px sans-serif';
  bins.forEach(([from, to, count], i) => {
    const height = (canvas.height - 2 * pad) * count / most;
    ctx.fillStyle = to <= 0 ? '#b3261e' : from >= 0 ? '#2962ff' : '#888';
    ctx.fillRect(pad + i * width + 1, canvas.height - pad - height, width - 2, height);
  });
  ctx.fillStyle = '#333';
  ctx.fillText(bins[0][0].toFixed(2), pad, canvas.height - 6);
  ctx.fillText(bins[bins.length - 1][1].toFixed(2), canvas.width - pad - 30, canvas.height - 6);
}

// Buy and hold's line beside a strategy's: grey and dashed.
export const BUY_HOLD_STYLE = { color: '#888', lineWidth: 1, lineStyle: 2 };

/** @param {{ equity: any[], buyHold?: any[], trades: any[], candles: any, range?: [number, number] }} detail */
export function drawDetailCharts({ equity, buyHold = [], trades, candles, range }) {
  while (charts.length) charts.pop().remove();
  const points = equity.map((p) => ({ time: seconds(p.time), value: p.equity }));
  const equityChart = chart(document.getElementById('chart-equity'));
  equityChart.addSeries(LineSeries, { color: '#2962ff', lineWidth: 2, title: 'strategy' }).setData(points);
  if (buyHold.length) {
    equityChart.addSeries(LineSeries, { ...BUY_HOLD_STYLE, title: 'buy and hold' })
      .setData(buyHold.map((p) => ({ time: seconds(p.time), value: p.equity })));
  }
  let peak = -Infinity;
  const drawdown = equity.map((p) => {
    peak = Math.max(peak, p.equity);
    return { time: seconds(p.time), value: -(peak - p.equity) / peak * 100 };
  });
  chart(document.getElementById('chart-drawdown'))
    .addSeries(AreaSeries, { lineColor: '#b3261e', topColor: 'rgba(179,38,30,0.05)', bottomColor: 'rgba(179,38,30,0.4)', invertFilledArea: true })
    .setData(drawdown);
  const el = document.getElementById('chart-candles');
  if (!candles) {
    el.replaceChildren();
    fitAll();
    return;
  }
  const bars = [];
  for (let i = 0; i < candles.open_time.length; i++) {
    const t = candles.open_time[i];
    if (t < range[0] || t >= range[1]) continue;
    bars.push({ time: seconds(t), open: candles.open[i], high: candles.high[i], low: candles.low[i], close: candles.close[i] });
  }
  const series = chart(el).addSeries(CandlestickSeries);
  series.setData(bars);
  const markers = trades.flatMap((t) => [
    { time: seconds(t.entry_time), position: t.side === 'long' ? 'belowBar' : 'aboveBar', color: t.side === 'long' ? '#1d7a3a' : '#b3261e', shape: t.side === 'long' ? 'arrowUp' : 'arrowDown', text: t.side },
    { time: seconds(t.exit_time), position: 'aboveBar', color: t.exit_reason === 'signal' ? '#555' : '#e65100', shape: 'circle', text: t.exit_reason.replaceAll('_', ' ') },
  ]).sort((a, b) => a.time - b.time);
  createSeriesMarkers(series, markers);
  fitAll();
}

// The whole range in view (a chart otherwise opens on its last bars).
function fitAll() {
  for (const c of charts) c.timeScale().fitContent();
}

// A metric over two parameters (or order fields) on a canvas: `cells` [{x, y, value, n}]
// (numbers), green better (`metric`: one of wasm.metrics()), every axis value labelled
// (thinned where they would overlap), a colour scale, the cell under the cursor in the
// tooltip, and the cells of `plateau` (`x|y` keys) outlined.
export function drawHeatmap(canvas, cells, xName, yName, { name: metric, higher_is_better: higherIsBetter, format }, plateau = new Set()) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '11px system-ui';
  ctx.fillStyle = '#333';
  canvas.onmousemove = null;
  if (!cells.length) {
    ctx.fillText('no experiments of this strategy yet', 20, 30);
    return;
  }
  const xs = [...new Set(cells.map((c) => c.x))].sort((a, b) => a - b);
  const ys = [...new Set(cells.map((c) => c.y))].sort((a, b) => a - b);
  const lo = Math.min(...cells.map((c) => c.value));
  const hi = Math.max(...cells.map((c) => c.value));
  const left = 64, bottom = 52, top = 10, scale = 70;
  const w = (canvas.width - left - scale) / xs.length, hgt = (canvas.height - bottom - top) / ys.length;
  // Green is better: the highest value, or the lowest where lower is better.
  const shade = (v) => {
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return `hsl(${Math.round((higherIsBetter ? t : 1 - t) * 120)}, 70%, 45%)`;
  };
  const cx = (x) => left + xs.indexOf(x) * w;
  const cy = (y) => top + (ys.length - 1 - ys.indexOf(y)) * hgt;
  for (const c of cells) {
    ctx.fillStyle = shade(c.value);
    ctx.fillRect(cx(c.x), cy(c.y), Math.ceil(w), Math.ceil(hgt));
  }
  // The plateau's outline: each side of its cells that does not touch another of them.
  ctx.strokeStyle = '#111';
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (const c of cells) {
    if (!plateau.has(`${c.x}|${c.y}`)) continue;
    const [i, j] = [xs.indexOf(c.x), ys.indexOf(c.y)];
    const inside = (di, dj) => plateau.has(`${xs[i + di]}|${ys[j + dj]}`);
    const [x0, y0] = [cx(c.x), cy(c.y)];
    if (!inside(-1, 0)) { ctx.moveTo(x0, y0); ctx.lineTo(x0, y0 + hgt); }
    if (!inside(1, 0)) { ctx.moveTo(x0 + w, y0); ctx.lineTo(x0 + w, y0 + hgt); }
    if (!inside(0, 1)) { ctx.moveTo(x0, y0); ctx.lineTo(x0 + w, y0); }
    if (!inside(0, -1)) { ctx.moveTo(x0, y0 + hgt); ctx.lineTo(x0 + w, y0 + hgt); }
  }
  ctx.stroke();
  // Every axis value, or every k-th where they would overlap.
  ctx.fillStyle = '#333';
  ctx.textAlign = 'center';
  const everyX = Math.max(1, Math.ceil(36 / w));
  xs.forEach((x, i) => { if (i % everyX === 0) ctx.fillText(String(x), left + (i + 0.5) * w, canvas.height - bottom + 14); });
  ctx.textAlign = 'right';
  const everyY = Math.max(1, Math.ceil(14 / hgt));
  ys.forEach((y, j) => { if (j % everyY === 0) ctx.fillText(String(y), left - 4, top + (ys.length - 1 - j + 0.5) * hgt + 4); });
  ctx.textAlign = 'left';
  ctx.fillText(`${xName} →`, left, canvas.height - bottom + 32);
  ctx.save();
  ctx.translate(12, top + (canvas.height - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${yName} →`, 0, 0);
  ctx.restore();
  // The colour scale, best at the top.
  const barX = canvas.width - scale + 14, barH = canvas.height - bottom - top;
  for (let k = 0; k < barH; k++) {
    ctx.fillStyle = shade(higherIsBetter ? hi - ((hi - lo) * k) / barH : lo + ((hi - lo) * k) / barH);
    ctx.fillRect(barX, top + k, 14, 1);
  }
  ctx.fillStyle = '#333';
  const [best, worst] = higherIsBetter ? [hi, lo] : [lo, hi];
  ctx.fillText(formatMetric(format, best), barX + 18, top + 10);
  ctx.fillText(formatMetric(format, worst), barX + 18, top + barH);
  ctx.fillText(`${metric}${plateau.size ? '; outlined: the plateau around the most stable cell' : ''}`, left + 140, canvas.height - bottom + 32);
  canvas.onmousemove = (event) => {
    const box = canvas.getBoundingClientRect();
    const i = Math.floor((((event.clientX - box.left) * canvas.width) / box.width - left) / w);
    const j = ys.length - 1 - Math.floor((((event.clientY - box.top) * canvas.height) / box.height - top) / hgt);
    const c = cells.find((cell) => cell.x === xs[i] && cell.y === ys[j]);
    canvas.title = c ? `${xName} ${c.x}, ${yName} ${c.y}: ${metric} ${formatMetric(format, c.value)}${c.n > 1 ? ` (mean of ${c.n})` : ''}${plateau.has(`${c.x}|${c.y}`) ? ', on the plateau' : ''}` : '';
  };
}

// Configs (rows, best first) by markets (columns) on a canvas: each cell the config's
// `metric` on that market, green better, grey where null; every row and column labelled,
// the scale drawn, and the cell under the cursor named in the canvas's tooltip.
// rows: [{label, values: (number|null)[]}] with one value per entry of `markets`.
export function drawMarketHeatmap(canvas, rows, markets, { name: metric, higher_is_better: higherIsBetter, format }) {
  const top = 28, left = 300, bottom = 34, rowHeight = 18;
  canvas.height = top + Math.max(rows.length, 1) * rowHeight + bottom;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '12px system-ui';
  ctx.fillStyle = '#333';
  if (!rows.length || !markets.length) {
    ctx.fillText('no configs across markets yet', 20, 30);
    canvas.onmousemove = null;
    return;
  }
  const finite = rows.flatMap((r) => r.values).filter((v) => v != null && Number.isFinite(v));
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const width = (canvas.width - left - 10) / markets.length;
  const shade = (v) => {
    if (v == null || !Number.isFinite(v)) return '#ddd';
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return `hsl(${Math.round((higherIsBetter ? t : 1 - t) * 120)}, 70%, 45%)`;
  };
  const label = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    ctx.fillStyle = '#333';
    ctx.textAlign = 'right';
    ctx.fillText(label(row.label, 46), left - 6, y + 13);
    row.values.forEach((v, j) => {
      ctx.fillStyle = shade(v);
      ctx.fillRect(left + j * width, y, Math.ceil(width) - 1, rowHeight - 1);
      if (width > 50) {
        ctx.fillStyle = '#fff';
        ctx.textAlign = 'center';
        ctx.fillText(formatMetric(format, v), left + (j + 0.5) * width, y + 13);
      }
    });
  });
  ctx.fillStyle = '#333';
  ctx.textAlign = 'center';
  markets.forEach((m, j) => ctx.fillText(label(m, Math.max(4, Math.floor(width / 7))), left + (j + 0.5) * width, top - 10));
  ctx.textAlign = 'left';
  const [red, green] = higherIsBetter ? [lo, hi] : [hi, lo];
  ctx.fillText(`${metric}: ${formatMetric(format, red)} red … ${formatMetric(format, green)} green; grey: none`, left, canvas.height - 12);
  canvas.onmousemove = (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * canvas.width) / box.width;
    const y = ((event.clientY - box.top) * canvas.height) / box.height;
    const i = Math.floor((y - top) / rowHeight);
    const j = Math.floor((x - left) / width);
    canvas.title = rows[i] && j >= 0 && j < markets.length ? `${rows[i].label} on ${markets[j]}: ${metric} ${formatMetric(format, rows[i].values[j])}` : '';
  };
}

// A Monte Carlo fan on a canvas: equity (1 = the start) after each trade, the 5-95% band
// filled, the median and the first runs' paths drawn thin, the trades' own path on top.
export function drawFan(canvas, title, { fan, paths }, actual) {
  const ctx = canvas.getContext('2d');
  const left = 48, right = 10, top = 20, bottom = 24;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const values = [...fan.flatMap((b) => [b.p5, b.p95]), ...paths.flat(), ...actual].filter(Number.isFinite);
  const lo = Math.min(...values), hi = Math.max(...values);
  const x = (step) => left + (step / Math.max(fan.length - 1, 1)) * (canvas.width - left - right);
  const y = (v) => top + (hi > lo ? (hi - v) / (hi - lo) : 0.5) * (canvas.height - top - bottom);
  const line = (points, style, width) => {
    ctx.strokeStyle = style;
    ctx.lineWidth = width;
    ctx.beginPath();
    points.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  };
  ctx.fillStyle = 'rgba(41, 98, 255, 0.18)';
  ctx.beginPath();
  fan.forEach((b, i) => (i ? ctx.lineTo(x(i), y(b.p95)) : ctx.moveTo(x(i), y(b.p95))));
  for (let i = fan.length - 1; i >= 0; i--) ctx.lineTo(x(i), y(fan[i].p5));
  ctx.closePath();
  ctx.fill();
  for (const path of paths) line(path, 'rgba(120, 120, 120, 0.35)', 1);
  line(fan.map((b) => b.p50), '#2962ff', 2);
  line(actual, '#e65100', 2);
  ctx.fillStyle = '#333';
  ctx.font = '12px system-ui';
  ctx.fillText(`${title}: 5-95% band, median (blue), the trades' own order (orange)`, left, 13);
  ctx.fillText('trades →', canvas.width - 60, canvas.height - 6);
  ctx.textAlign = 'right';
  ctx.fillText(hi.toFixed(2), left - 4, top + 10);
  ctx.fillText(lo.toFixed(2), left - 4, canvas.height - bottom);
  ctx.textAlign = 'left';
}

// Points by two metrics (`x`, `y`: wasm.metrics() entries) with the front joined in
// order and marked; each axis labelled at its ends and named with its better direction.
export function drawScatter(canvas, points, front, x, y) {
  const ctx = canvas.getContext('2d');
  const left = 64, right = 16, top = 16, bottom = 40;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const finite = (p) => Number.isFinite(p.x) && Number.isFinite(p.y);
  const shown = points.filter(finite);
  ctx.font = '12px system-ui';
  ctx.fillStyle = '#333';
  if (!shown.length) {
    ctx.fillText('no experiments with both metrics yet', 20, 30);
    return;
  }
  const [x0, x1] = [Math.min(...shown.map((p) => p.x)), Math.max(...shown.map((p) => p.x))];
  const [y0, y1] = [Math.min(...shown.map((p) => p.y)), Math.max(...shown.map((p) => p.y))];
  const px = (v) => left + (x1 > x0 ? (v - x0) / (x1 - x0) : 0.5) * (canvas.width - left - right);
  const py = (v) => top + (y1 > y0 ? (y1 - v) / (y1 - y0) : 0.5) * (canvas.height - top - bottom);
  ctx.fillStyle = 'rgba(90, 90, 90, 0.45)';
  for (const p of shown) ctx.fillRect(px(p.x) - 1.5, py(p.y) - 1.5, 3, 3);
  const onFront = front.filter(finite).sort((a, b) => a.x - b.x);
  ctx.strokeStyle = '#e65100';
  ctx.lineWidth = 2;
  ctx.beginPath();
  onFront.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
  ctx.stroke();
  ctx.fillStyle = '#e65100';
  for (const p of onFront) {
    ctx.beginPath();
    ctx.arc(px(p.x), py(p.y), 4, 0, 2 * Math.PI);
    ctx.fill();
  }
  const better = (m) => (m.higher_is_better ? 'higher is better' : 'lower is better');
  ctx.fillStyle = '#333';
  ctx.fillText(`${x.name} → (${better(x)})`, left, canvas.height - 6);
  ctx.fillText(formatMetric(x.format, x0), left, canvas.height - 22);
  ctx.textAlign = 'right';
  ctx.fillText(formatMetric(x.format, x1), canvas.width - right, canvas.height - 22);
  ctx.fillText(formatMetric(y.format, y1), left - 4, top + 10);
  ctx.fillText(formatMetric(y.format, y0), left - 4, canvas.height - bottom);
  ctx.textAlign = 'left';
  ctx.save();
  ctx.translate(14, canvas.height / 2 + 60);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${y.name} → (${better(y)})`, 0, 0);
  ctx.restore();
}
