/**
 * Interactive plots for the notebooks, built on plotly.js.
 *
 * `show(figure)` sends ONE Jupyter display bundle with three representations,
 * so every front end picks the best one it can render:
 * - `application/vnd.plotly.v1+json` — drawn by the front ends' own plotly
 *   renderers: VS Code, JupyterLab with plotly's extension, and the classic
 *   Notebook with the kit's nbextension (`npm run lab` enables it), which
 *   draw it even in untrusted notebooks and need no plotly.js in the file;
 * - `text/html` — a div plus a script that draws the figure wherever scripts
 *   run (exported HTML, trusted notebooks without a plotly renderer). It finds
 *   plotly.js once per page from whichever output carries it: one output per
 *   notebook carries the inlined bundle (no network needed), see `show`;
 *   in a live classic Notebook it also loads the kit's served copy;
 * - `text/plain` — a one-line summary for consoles and logs.
 *
 * Figure helpers build the plots of Lecture 5: training curves, 2-D data with
 * a decision boundary, error surfaces and contours, heatmaps (confusion
 * matrices), MNIST digit grids and bar charts.
 */
import { ConfigError, DataError, ShapeError } from './errors';
import type { Matrix } from './matrix';
import { plotlySource } from './plotly-source';

/** One plotly trace (see https://plotly.com/javascript/reference/). */
export type PlotTrace = { type: string; name?: string } & Record<string, unknown>;

/** A plotly figure: traces, layout and config, as plotly.newPlot takes them. */
export interface Figure {
  data: PlotTrace[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** The MIME bundle sent to Jupyter for one figure. */
export interface DisplayBundle {
  [PLOTLY_MIME]: { data: unknown[]; layout: Record<string, unknown>; config: Record<string, unknown> };
  'text/html': string;
  'text/plain': string;
}

// ---------------------------------------------------------------------------
// Display

/**
 * Which output of this kernel session carries the plotly.js bundle (for the
 * text/html representation; see `figureHtml`). One copy per notebook keeps
 * the saved file small; it goes with the first figure of the session, and
 * again with the first figure of a re-run of the cell that carried it (its old
 * output, the only copy, is being replaced) or after that cell was deleted
 * (JupyterLab says so). A cell is known by the id the front end sends
 * (JupyterLab, Notebook 7, VS Code), else by its code (classic Notebook).
 */
interface Carrier {
  /** The cell that carried it: its id, or `code:` + its source. */
  cell: string | undefined;
}
let carrier: Carrier | undefined;
/** The execute request whose figures were last shown, and whether one of them carried plotly. */
let lastRequest: unknown;

/** Forget that plotly.js was sent (for tests, or after clearing all outputs). */
export function resetPlotSession(): void {
  carrier = undefined;
  lastRequest = undefined;
}

type DisplayHook = (data: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

/** The request tslab is executing (set by the kit's tslab patch), as far as a figure needs it. */
interface ExecuteRequest {
  code?: string;
  metadata?: { cellId?: unknown; deletedCells?: unknown };
}

/** tslab's jupyter module when running inside a tslab kernel (or the kit's executor). */
function tslabJupyter(): { lastWriteDisplayData?: unknown; lastExecuteRequest?: unknown } | undefined {
  const pattern = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;
  // Among loaded copies, the one whose display hook is set (the kernel's).
  for (const [file, mod] of Object.entries(require.cache)) {
    const exports = mod?.exports as { lastWriteDisplayData?: unknown } | undefined;
    if (pattern.test(file) && typeof exports?.lastWriteDisplayData === 'function') return exports;
  }
  try {
    return require('tslab/dist/jupyter') as { lastWriteDisplayData?: unknown };
  } catch {
    return undefined;
  }
}

/**
 * tslab's display hook when running inside a tslab kernel (or the kit's
 * in-process executor), else undefined. tslab is optional: the library must
 * work in plain Node, so it is looked up at run time, first among loaded
 * modules (whatever copy the kernel uses), then by resolving it.
 */
function displayHook(jupyter = tslabJupyter()): DisplayHook | undefined {
  const hook = jupyter?.lastWriteDisplayData;
  return typeof hook === 'function' ? (hook as DisplayHook) : undefined;
}

/** The cell key of a request: the front end's cell id, else its code. */
function cellKey(req: ExecuteRequest | undefined): string | undefined {
  if (!req) return undefined;
  const id = req.metadata?.cellId;
  if (typeof id === 'string' && id !== '') return `id:${id}`;
  return typeof req.code === 'string' ? `code:${req.code}` : undefined;
}

/** Whether the figure about to be shown in `req` must carry plotly.js. */
function mustCarry(req: ExecuteRequest | undefined): boolean {
  if (!carrier) return true;
  if (req === undefined || req === lastRequest) return false; // one copy per execution at most
  const key = cellKey(req);
  if (key !== undefined && key === carrier.cell) return true;
  const deleted = req.metadata?.deletedCells;
  return Array.isArray(deleted) && carrier.cell !== undefined && deleted.some((d) => `id:${String(d)}` === carrier!.cell);
}

/**
 * Display a figure in the notebook. Inside a kernel the bundle is sent and
 * nothing is returned (so a trailing `show(fig)` does not also print the
 * bundle as the cell's value). Outside a kernel (plain Node, tests) nothing
 * can be displayed: the bundle, with plotly.js inlined, is returned instead.
 */
export function show(figure: Figure): DisplayBundle | undefined {
  const jupyter = tslabJupyter();
  const hook = displayHook(jupyter);
  if (!hook) return displayBundle(figure, { includePlotly: true });
  const raw = jupyter?.lastExecuteRequest;
  const req = raw && typeof raw === 'object' ? (raw as ExecuteRequest) : undefined;
  const carry = mustCarry(req);
  const bundle = displayBundle(figure, { includePlotly: carry });
  hook({ data: { ...bundle }, metadata: {}, transient: {} }, false);
  if (carry) carrier = { cell: cellKey(req) };
  lastRequest = req;
  return undefined;
}

/** The three-representation bundle for a figure (what `show` sends). */
export function displayBundle(figure: Figure, options: { includePlotly?: boolean } = {}): DisplayBundle {
  const clean = normaliseFigure(figure);
  return {
    [PLOTLY_MIME]: clean,
    'text/html': figureHtml(clean, { includePlotly: options.includePlotly ?? true }),
    'text/plain': figureSummary(clean),
  };
}

/** "Figure: 2 traces (scatter, contour) — 'Loss per epoch'" */
export function figureSummary(figure: Figure): string {
  const types = [...new Set(figure.data.map((t) => t.type))];
  const n = figure.data.length;
  const title = titleText(figure.layout?.title);
  return `Figure: ${n} trace${n === 1 ? '' : 's'} (${types.join(', ')})` + (title ? ` — '${title}'` : '');
}

function titleText(title: unknown): string | undefined {
  if (typeof title === 'string') return title;
  if (title && typeof title === 'object' && typeof (title as { text?: unknown }).text === 'string') {
    return (title as { text: string }).text;
  }
  return undefined;
}

let figureCounter = 0;

/** The folder name of the kit's classic-Notebook extension (see grading's nbextension.ts). */
export const NBEXTENSION_NAME = 'course-kit-plotly';

/**
 * HTML for one figure: a div and a small script that draws it with plotly.js.
 *
 * The script finds plotly.js on its own, once per page, so that every output
 * draws after save and reopen, whichever cells were re-run or deleted:
 * 1. `window.Plotly`, installed by whichever output on the page carries the
 *    bundle (an output made with `includePlotly`, see `plotlyScript`), also
 *    when that output comes later in the page;
 * 2. in a live classic Notebook, the copy the kit's nbextension folder serves
 *    (`nbextensions/course-kit-plotly/plotly.min.js`, through require.js);
 * 3. otherwise, after a while, a message saying how to get the plot.
 *
 * With `includePlotly` the plotly.js bundle is inlined first. It runs inside
 * a function whose parameters shadow `define`, `module` and `exports`, so on
 * pages that use require.js/AMD or CommonJS shims (classic Notebook,
 * nbconvert's HTML) it still installs `window.Plotly` instead of registering
 * an anonymous module.
 */
export function figureHtml(figure: Figure, options: { includePlotly?: boolean; id?: string } = {}): string {
  const clean = normaliseFigure(figure);
  const id = options.id ?? `course-kit-plot-${process.pid.toString(36)}-${Date.now().toString(36)}-${(figureCounter++).toString(36)}`;
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new ConfigError('figureHtml', `id must be letters, digits, - or _, got '${id}'`);
  const height = typeof clean.layout.height === 'number' ? clean.layout.height : 420;
  const json = scriptSafeJson(clean);
  const parts: string[] = [];
  // Shown until the script draws the figure, e.g. where scripts do not run (an untrusted notebook without the kit's renderer).
  const placeholder = escapeText(`${figureSummary(clean)} (not drawn here: this page runs no scripts; open the notebook with npm run lab or VS Code, or trust it)`);
  parts.push(`<div id="${id}" class="course-kit-plot" style="width:100%;min-height:${height}px">${placeholder}</div>`);
  if (options.includePlotly ?? true) parts.push(plotlyScript());
  parts.push(
    '<script type="text/javascript">',
    '(function () {',
    `  var fig = ${json};`,
    `  var el = document.getElementById(${JSON.stringify(id)});`,
    '  if (!el) return;',
    '  function draw(P) { el.textContent = ""; P.newPlot(el, fig.data, fig.layout, fig.config); }',
    '  if (window.Plotly) { draw(window.Plotly); return; }',
    '  var tries = 0, asked = false;',
    '  function wait() {',
    '    if (window.Plotly) { draw(window.Plotly); return; }',
    // A live classic Notebook (require.js and the Jupyter object): the kit's nbextension folder serves plotly.js.
    '    if (!asked && window.Jupyter && window.require && window.define && window.define.amd) {',
    '      asked = true;',
    `      window.require(["nbextensions/${NBEXTENSION_NAME}/plotly.min"], function (P) { window.Plotly = window.Plotly || P; }, function () { return undefined; });`,
    '    }',
    '    if (++tries < 300) { setTimeout(wait, 100); return; }',
    '    el.textContent = "plotly.js is not on this page (the output that carried it was cleared): open the notebook with npm run lab or VS Code, or Restart & Run All.";',
    '  }',
    '  wait();',
    '})();',
    '</script>',
  );
  return parts.join('\n');
}

/**
 * A <script> element that installs window.Plotly from the inlined bundle (once
 * per page), also on pages that use require.js/AMD or CommonJS shims: the bundle
 * runs inside a function whose parameters shadow `define`, `module` and `exports`.
 */
export function plotlyScript(): string {
  return [
    '<script type="text/javascript">',
    '(function (define, module, exports) {',
    'if (window.Plotly) return;',
    inlinePlotlySource(),
    '}).call(window);',
    '</script>',
  ].join('\n');
}

/** Text for HTML element content, ASCII only. */
function escapeText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[^\x00-\x7e]/gu, (ch) => `&#${ch.codePointAt(0)};`);
}

let inlineSource: string | undefined;

/**
 * The plotly.js bundle made safe to inline: no "</script" and ASCII only
 * (its few non-ASCII characters sit in regular expressions, where a \uXXXX
 * escape means the same), so it works in pages without a charset.
 */
function inlinePlotlySource(): string {
  inlineSource ??= plotlySource()
    .replace(/<\/script/gi, '<\\/script')
    .replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
  return inlineSource;
}

/**
 * JSON that can sit inside a <script> element (no "</script>", no "<!--")
 * and survives pages without a charset declaration (ASCII only: x₁ → \u2081).
 */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * A JSON-ready copy: typed arrays become plain arrays and non-finite numbers
 * become null (plotly draws gaps there); layout and config get defaults.
 */
function normaliseFigure(figure: Figure): Required<Figure> {
  if (!figure || !Array.isArray(figure.data)) {
    throw new ConfigError('show', 'a figure needs a data array of traces, e.g. { data: [{ type: "scatter", x, y }] }');
  }
  figure.data.forEach((t, i) => {
    if (!t || typeof t.type !== 'string') throw new ConfigError('show', `trace ${i} has no type (e.g. 'scatter', 'heatmap')`);
  });
  return {
    data: plain(figure.data) as PlotTrace[],
    layout: { margin: { l: 60, r: 20, t: 50, b: 50 }, ...(plain(figure.layout ?? {}) as Record<string, unknown>) },
    config: { responsive: true, displaylogo: false, ...(plain(figure.config ?? {}) as Record<string, unknown>) },
  };
}

function plain(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : null));
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Figure helpers

export interface CommonOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  height?: number;
  width?: number;
}

function baseLayout(o: CommonOptions): Record<string, unknown> {
  const layout: Record<string, unknown> = { height: o.height ?? 420 };
  if (o.width !== undefined) layout.width = o.width;
  if (o.title) layout.title = { text: o.title };
  layout.xaxis = o.xTitle ? { title: { text: o.xTitle } } : {};
  layout.yaxis = o.yTitle ? { title: { text: o.yTitle } } : {};
  return layout;
}

function toArray(where: string, name: string, v: ArrayLike<number>): number[] {
  if (v === null || v === undefined || typeof v.length !== 'number') {
    throw new DataError(where, `${name} must be an array of numbers`);
  }
  return Array.from(v);
}

/** One named series for `curves` and `bars`. */
export interface Series {
  name: string;
  y: ArrayLike<number>;
  /** Defaults to 1, 2, … (epochs are counted from 1). */
  x?: ArrayLike<number>;
  /** 'y2' puts the series on a right-hand axis (e.g. accuracy next to loss). */
  axis?: 'y' | 'y2';
  dash?: 'solid' | 'dash' | 'dot';
}

export interface CurvesOptions extends CommonOptions {
  y2Title?: string;
  logY?: boolean;
  markers?: boolean;
}

/**
 * Line plot of several series against the epoch (or any x), e.g. training
 * and test loss per epoch. Accepts a list of series or a record name → values.
 */
export function curves(series: Series[] | Record<string, ArrayLike<number>>, options: CurvesOptions = {}): Figure {
  const list: Series[] = Array.isArray(series) ? series : Object.entries(series).map(([name, y]) => ({ name, y }));
  if (list.length === 0) throw new DataError('curves', 'no series to plot');
  const data = list.map((s, i): PlotTrace => {
    const y = toArray('curves', `series '${s.name}' (#${i}) y`, s.y);
    const x = s.x ? toArray('curves', `series '${s.name}' x`, s.x) : y.map((_, k) => k + 1);
    if (x.length !== y.length) throw new ShapeError('curves', `series '${s.name}' has ${x.length} x values but ${y.length} y values`);
    return {
      type: 'scatter',
      mode: options.markers ? 'lines+markers' : 'lines',
      name: s.name,
      x,
      y,
      yaxis: s.axis ?? 'y',
      line: { dash: s.dash ?? 'solid' },
    };
  });
  const layout = baseLayout({ xTitle: 'epoch', ...options });
  if (options.logY) layout.yaxis = { ...(layout.yaxis as object), type: 'log' };
  if (list.some((s) => s.axis === 'y2')) {
    layout.yaxis2 = { overlaying: 'y', side: 'right', ...(options.y2Title ? { title: { text: options.y2Title } } : {}) };
  }
  return { data, layout };
}

/** A straight boundary w1·x1 + w2·x2 + b = 0 (weights = [w1, w2, b], as the perceptron returns them). */
export interface BoundaryLine {
  weights: ArrayLike<number>;
  name?: string;
}

export interface ScatterBoundaryOptions extends CommonOptions {
  /** Class names by label (default "class 0", "class 1", …). */
  classNames?: string[];
  /** Straight decision boundaries to draw (e.g. one per perceptron pass). */
  lines?: BoundaryLine[];
  /** A model's output for a point; its `level` contour is drawn as the boundary. */
  predict?: (x1: number, x2: number) => number;
  /** Contour level of `predict` taken as the boundary (default 0.5). */
  level?: number;
  /** Grid points per axis for `predict` (default 60). */
  resolution?: number;
  /** Shade the plane by `predict` (default true when predict is given). */
  shade?: boolean;
}

/**
 * 2-D points coloured by class, with decision boundaries: straight lines
 * from weight vectors and/or the `level` contour of a predict function
 * evaluated on a grid covering the points.
 */
export function scatterWithBoundary(points: Matrix, labels: ArrayLike<number>, options: ScatterBoundaryOptions = {}): Figure {
  if (points.cols !== 2) throw new ShapeError('scatterWithBoundary', `points must have 2 columns (x1, x2), got ${points.cols}`);
  if (labels.length !== points.rows) {
    throw new ShapeError('scatterWithBoundary', `${points.rows} points but ${labels.length} labels`);
  }
  const x1 = (i: number) => points.data[2 * i]!;
  const x2 = (i: number) => points.data[2 * i + 1]!;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const [lo1, hi1] = paddedRange(points, 0);
  const [lo2, hi2] = paddedRange(points, 1);
  const data: PlotTrace[] = [];

  if (options.predict) {
    const n = options.resolution ?? 60;
    if (!Number.isInteger(n) || n < 2) throw new ConfigError('scatterWithBoundary', `resolution must be an integer ≥ 2, got ${n}`);
    const gx = linspace(lo1, hi1, n);
    const gy = linspace(lo2, hi2, n);
    const z = gy.map((b) => gx.map((a) => options.predict!(a, b)));
    const level = options.level ?? 0.5;
    if (options.shade ?? true) {
      data.push({ type: 'heatmap', x: gx, y: gy, z, colorscale: 'RdBu', opacity: 0.35, showscale: false, hoverinfo: 'skip', name: 'model output' });
    }
    data.push({
      type: 'contour',
      x: gx,
      y: gy,
      z,
      name: `boundary (output = ${level})`,
      showscale: false,
      contours: { start: level, end: level, size: 1, coloring: 'none' },
      line: { width: 2, color: 'black' },
      showlegend: true,
      hoverinfo: 'skip',
    });
  }

  for (const c of classes) {
    const idx = Array.from(labels).flatMap((l, i) => (l === c ? [i] : []));
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: options.classNames?.[c] ?? `class ${c}`,
      x: idx.map(x1),
      y: idx.map(x2),
      marker: { size: 7, symbol: c === classes[0] ? 'circle' : 'x' },
    });
  }

  (options.lines ?? []).forEach((line, k) => {
    const w = toArray('scatterWithBoundary', `lines[${k}].weights`, line.weights);
    if (w.length !== 3) throw new ShapeError('scatterWithBoundary', `lines[${k}].weights must be [w1, w2, b], got ${w.length} values`);
    const [w1, w2, b] = w as [number, number, number];
    let xs: number[];
    let ys: number[];
    if (Math.abs(w2) > 1e-12 * Math.max(1, Math.abs(w1))) {
      // x2 = −(w1·x1 + b) / w2
      xs = [lo1, hi1];
      ys = xs.map((a) => -(w1 * a + b) / w2);
    } else if (Math.abs(w1) > 0) {
      xs = [-b / w1, -b / w1]; // vertical line x1 = −b / w1
      ys = [lo2, hi2];
    } else {
      return; // all-zero weights: no boundary yet
    }
    data.push({ type: 'scatter', mode: 'lines', name: line.name ?? `boundary ${k + 1}`, x: xs, y: ys, line: { width: 2 } });
  });

  const layout = baseLayout({ xTitle: 'x₁', yTitle: 'x₂', ...options });
  layout.xaxis = { ...(layout.xaxis as object), range: [lo1, hi1] };
  layout.yaxis = { ...(layout.yaxis as object), range: [lo2, hi2] };
  return { data, layout };
}

function paddedRange(points: Matrix, col: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < points.rows; i++) {
    const v = points.data[i * points.cols + col]!;
    if (!Number.isFinite(v)) throw new DataError('scatterWithBoundary', `point ${i} column ${col} is ${v}`);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  const pad = hi > lo ? 0.1 * (hi - lo) : 1;
  return [lo - pad, hi + pad];
}

/** n evenly spaced values from a to b inclusive. */
export function linspace(a: number, b: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 2) throw new ConfigError('linspace', `n must be an integer ≥ 2, got ${n}`);
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** A function of two variables sampled on a grid, e.g. the error E(w1, w2). */
export interface GridFunction {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** z[j][i] = f(x[i], y[j]) — or the function itself. */
  z: number[][] | ((x: number, y: number) => number);
}

function sampleGrid(where: string, g: GridFunction): { x: number[]; y: number[]; z: number[][] } {
  const x = toArray(where, 'x', g.x);
  const y = toArray(where, 'y', g.y);
  const z = typeof g.z === 'function' ? y.map((b) => x.map((a) => (g.z as (x: number, y: number) => number)(a, b))) : g.z;
  if (z.length !== y.length || z.some((row) => row.length !== x.length)) {
    throw new ShapeError(where, `z must have ${y.length} rows (one per y) of ${x.length} values (one per x)`);
  }
  return { x, y, z };
}

export interface SurfaceOptions extends CommonOptions {
  zTitle?: string;
  /** A path over the surface, e.g. the weights visited by gradient descent. */
  path?: { x: ArrayLike<number>; y: ArrayLike<number>; z?: ArrayLike<number>; name?: string };
}

/** 3-D surface of a function of two weights (WebGL; `contour` is the 2-D alternative). */
export function surface(grid: GridFunction, options: SurfaceOptions = {}): Figure {
  const { x, y, z } = sampleGrid('surface', grid);
  const data: PlotTrace[] = [{ type: 'surface', x, y, z, colorscale: 'Viridis', name: options.zTitle ?? 'z' }];
  if (options.path) {
    const px = toArray('surface', 'path.x', options.path.x);
    const py = toArray('surface', 'path.y', options.path.y);
    const pz = options.path.z ? toArray('surface', 'path.z', options.path.z) : px.map((_, i) => interpolate(x, y, z, px[i]!, py[i]!));
    data.push({ type: 'scatter3d', mode: 'lines+markers', x: px, y: py, z: pz, name: options.path.name ?? 'path', marker: { size: 3 } });
  }
  const layout: Record<string, unknown> = { height: options.height ?? 500 };
  if (options.title) layout.title = { text: options.title };
  layout.scene = {
    xaxis: { title: { text: options.xTitle ?? 'x' } },
    yaxis: { title: { text: options.yTitle ?? 'y' } },
    zaxis: { title: { text: options.zTitle ?? 'z' } },
  };
  return { data, layout };
}

/** Contour map of a function of two weights, optionally with a descent path. */
export function contour(grid: GridFunction, options: SurfaceOptions = {}): Figure {
  const { x, y, z } = sampleGrid('contour', grid);
  const data: PlotTrace[] = [
    { type: 'contour', x, y, z, colorscale: 'Viridis', name: options.zTitle ?? 'z', colorbar: { title: { text: options.zTitle ?? '' } } },
  ];
  if (options.path) {
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      x: toArray('contour', 'path.x', options.path.x),
      y: toArray('contour', 'path.y', options.path.y),
      name: options.path.name ?? 'path',
      line: { color: 'white' },
      marker: { size: 4, color: 'white' },
    });
  }
  return { data, layout: baseLayout(options) };
}

/** Nearest-grid-point value (enough to lift a 2-D path onto a drawn surface). */
function interpolate(x: number[], y: number[], z: number[][], a: number, b: number): number {
  const nearest = (v: number[], t: number) => v.reduce((best, vi, i) => (Math.abs(vi - t) < Math.abs(v[best]! - t) ? i : best), 0);
  return z[nearest(y, b)]![nearest(x, a)]!;
}

export interface HeatmapOptions extends CommonOptions {
  xLabels?: (string | number)[];
  yLabels?: (string | number)[];
  /** Write each value in its cell (default true up to 400 cells). */
  annotate?: boolean;
  colorscale?: string;
}

/**
 * Heatmap of a matrix (row i at the top), e.g. a confusion matrix with true
 * classes as rows and predicted classes as columns.
 */
export function heatmap(values: Matrix | number[][], options: HeatmapOptions = {}): Figure {
  const z = Array.isArray(values) ? values.map((r) => Array.from(r)) : rowsOf(values);
  const cols = z[0]?.length ?? 0;
  if (z.some((r) => r.length !== cols)) throw new ShapeError('heatmap', 'rows of different lengths');
  const xLabels = (options.xLabels ?? Array.from({ length: cols }, (_, j) => j)).map(String);
  const yLabels = (options.yLabels ?? Array.from({ length: z.length }, (_, i) => i)).map(String);
  if (xLabels.length !== cols || yLabels.length !== z.length) {
    throw new ShapeError('heatmap', `labels (${yLabels.length}×${xLabels.length}) do not match the ${z.length}×${cols} values`);
  }
  const annotate = options.annotate ?? z.length * cols <= 400;
  // Plotly's 'Blues' runs dark → light; reversed, large counts are dark.
  const trace: PlotTrace = options.colorscale
    ? { type: 'heatmap', z, x: xLabels, y: yLabels, colorscale: options.colorscale }
    : { type: 'heatmap', z, x: xLabels, y: yLabels, colorscale: 'Blues', reversescale: true };
  if (annotate) {
    trace.texttemplate = '%{z}';
    trace.hovertemplate = `${options.yTitle ?? 'row'} %{y}, ${options.xTitle ?? 'column'} %{x}: %{z}<extra></extra>`;
  }
  const layout = baseLayout(options);
  layout.xaxis = { ...(layout.xaxis as object), type: 'category' };
  layout.yaxis = { ...(layout.yaxis as object), type: 'category', autorange: 'reversed' };
  return { data: [trace], layout };
}

function rowsOf(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

export interface DigitImagesOptions {
  title?: string;
  /** A caption per image, e.g. "true 3, predicted 5". */
  titles?: string[];
  /** Images per row (default up to 8). */
  columns?: number;
  /** Image side in pixels (default 28, MNIST). */
  side?: number;
  /** Figure width in pixels (default 100 per column). */
  width?: number;
}

/**
 * A grid of greyscale images, one per row of `images` (each row side×side
 * pixel values, 0 = background white, 1 = ink black).
 */
export function digitImages(images: Matrix, options: DigitImagesOptions = {}): Figure {
  const side = options.side ?? 28;
  if (images.cols !== side * side) {
    throw new ShapeError('digitImages', `each image must have ${side}×${side} = ${side * side} values, got ${images.cols}`);
  }
  const n = images.rows;
  if (n === 0) throw new DataError('digitImages', 'no images to show');
  if (options.titles && options.titles.length !== n) {
    throw new ShapeError('digitImages', `${n} images but ${options.titles.length} titles`);
  }
  const columns = options.columns ?? Math.min(n, 8);
  const rows = Math.ceil(n / columns);
  const gap = 0.02;
  const cellW = (1 - gap * (columns - 1)) / columns;
  const cellH = (1 - gap * (rows - 1)) / rows;
  const data: PlotTrace[] = [];
  const annotations: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    width: options.width ?? 100 * columns,
    height: Math.round(((options.width ?? 100 * columns) / columns) * rows * 1.15) + (options.title ? 40 : 10),
    showlegend: false,
    margin: { l: 10, r: 10, t: options.title ? 50 : 20, b: 10 },
  };
  if (options.title) layout.title = { text: options.title };
  for (let k = 0; k < n; k++) {
    const r = Math.floor(k / columns);
    const c = k % columns;
    const suffix = k === 0 ? '' : String(k + 1);
    const z: number[][] = [];
    for (let i = 0; i < side; i++) z.push(Array.from(images.data.subarray(k * images.cols + i * side, k * images.cols + (i + 1) * side)));
    data.push({ type: 'heatmap', z, xaxis: `x${suffix}`, yaxis: `y${suffix}`, colorscale: 'Greys', reversescale: true, zmin: 0, zmax: 1, showscale: false, hoverinfo: 'skip' });
    const x0 = c * (cellW + gap);
    const y1 = 1 - r * (cellH + gap);
    const axis = { showticklabels: false, ticks: '', showgrid: false, zeroline: false };
    layout[`xaxis${suffix}`] = { ...axis, domain: [x0, x0 + cellW], anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { ...axis, domain: [y1 - cellH * 0.85, y1 - cellH * 0.15], anchor: `x${suffix}`, autorange: 'reversed', scaleanchor: `x${suffix}` };
    if (options.titles) {
      annotations.push({ text: options.titles[k], x: x0 + cellW / 2, y: y1, xref: 'paper', yref: 'paper', showarrow: false, xanchor: 'center', yanchor: 'top', font: { size: 11 } });
    }
  }
  layout.annotations = annotations;
  return { data, layout };
}

export interface BarsOptions extends CommonOptions {
  /** Category labels on the x axis. */
  labels?: (string | number)[];
  /** 'group' (default) or 'stack'. */
  barmode?: 'group' | 'stack';
  logY?: boolean;
}

/**
 * Bar chart of one or more series over the same categories, e.g. gradient
 * magnitude per layer, or the time of each matrix-multiply implementation.
 */
export function bars(series: Series[] | Record<string, ArrayLike<number>>, options: BarsOptions = {}): Figure {
  const list: Series[] = Array.isArray(series) ? series : Object.entries(series).map(([name, y]) => ({ name, y }));
  if (list.length === 0) throw new DataError('bars', 'no series to plot');
  const data = list.map((s): PlotTrace => {
    const y = toArray('bars', `series '${s.name}' y`, s.y);
    const labels = options.labels ?? y.map((_, i) => i);
    if (labels.length !== y.length) throw new ShapeError('bars', `series '${s.name}' has ${y.length} values but there are ${labels.length} labels`);
    return { type: 'bar', name: s.name, x: labels.map(String), y };
  });
  const layout = baseLayout(options);
  layout.barmode = options.barmode ?? 'group';
  layout.xaxis = { ...(layout.xaxis as object), type: 'category' };
  if (options.logY) layout.yaxis = { ...(layout.yaxis as object), type: 'log' };
  return { data, layout };
}
