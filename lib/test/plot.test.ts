import { afterEach, describe, expect, it } from 'vitest';
import { fromRows, zeros } from '../src/matrix';
import { plotlySource } from '../src/plotly-source';
import {
  PLOTLY_MIME,
  bars,
  contour,
  curves,
  digitImages,
  figureHtml,
  figureSummary,
  heatmap,
  resetPlotSession,
  scatterWithBoundary,
  show,
  surface,
  type Figure,
} from '../src/plot';

// A distinctive piece of the plotly.js bundle, to tell whether it was inlined.
const plotlyMarker = plotlySource().slice(0, 200).match(/plotly\.js v[\d.]+/)![0];

const lossFigure: Figure = curves({ train: [1, 0.5, 0.25], test: new Float64Array([1.2, 0.7, 0.5]) }, { title: 'Loss per epoch', yTitle: 'E' });

describe('show outside a kernel', () => {
  it('does not throw and returns a bundle with all three MIME types', () => {
    const bundle = show(lossFigure)!;
    expect(Object.keys(bundle).sort()).toEqual([PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    expect(bundle['text/plain']).toBe("Figure: 2 traces (scatter) — 'Loss per epoch'");
    const json = bundle[PLOTLY_MIME];
    expect(json.data).toHaveLength(2);
    // Typed arrays become plain JSON arrays.
    expect(json.data[1]).toMatchObject({ name: 'test', y: [1.2, 0.7, 0.5], x: [1, 2, 3] });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(bundle['text/html']).toContain(plotlyMarker);
    expect(bundle['text/html']).toMatch(/<div id="course-kit-plot-[\w-]+" class="course-kit-plot"/);
  });

  it('rejects a figure without traces, saying what is missing', () => {
    expect(() => show({} as Figure)).toThrow(/data array of traces/);
    expect(() => show({ data: [{} as never] })).toThrow(/trace 0 has no type/);
  });
});

describe('show inside a kernel', () => {
  // The real tslab display hook, as the kernel (or the kit's executor) sets it.
  const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: unknown };
  const previous = jupyter.lastWriteDisplayData;
  afterEach(() => {
    jupyter.lastWriteDisplayData = previous;
    resetPlotSession();
  });

  it('sends one bundle per figure and inlines plotly.js only in the first', () => {
    const sent: Record<string, unknown>[] = [];
    jupyter.lastWriteDisplayData = (msg: { data: Record<string, unknown> }, update: boolean) => {
      expect(update).toBe(false);
      sent.push(msg.data);
    };
    resetPlotSession();
    expect(show(lossFigure)).toBeUndefined();
    show(bars({ time: [3, 1] }, { labels: ['naive', 'blocked'] }));
    expect(sent).toHaveLength(2);
    for (const bundle of sent) expect(Object.keys(bundle)).toEqual([PLOTLY_MIME, 'text/html', 'text/plain']);
    expect(sent[0]!['text/html']).toContain(plotlyMarker);
    expect(sent[1]!['text/html']).not.toContain(plotlyMarker);
    // The later figure waits for window.Plotly instead.
    expect(sent[1]!['text/html']).toContain('P.newPlot(el');
    expect(String(sent[1]!['text/html']).length).toBeLessThan(5000);
  });

  // What the kit's tslab patch records for the running execute request.
  const request = (code: string, metadata: Record<string, unknown> = {}) => {
    (jupyter as { lastExecuteRequest?: unknown }).lastExecuteRequest = { code, metadata };
  };
  const carries = (bundle: Record<string, unknown>) => String(bundle['text/html']).includes(plotlyMarker);

  it('carries plotly.js again when the carrying cell is re-run (same code), once per execution', () => {
    const sent: Record<string, unknown>[] = [];
    jupyter.lastWriteDisplayData = (msg: { data: Record<string, unknown> }) => sent.push(msg.data);
    try {
      request('show(a); show(b);');
      show(lossFigure);
      show(lossFigure);
      request('show(c);');
      show(lossFigure);
      // The first plot cell re-run: its old output, the only copy, is being replaced.
      request('show(a); show(b);');
      show(lossFigure);
      show(lossFigure);
      request('show(c);');
      show(lossFigure);
      expect(sent.map(carries)).toEqual([true, false, false, true, false, false]);
    } finally {
      delete (jupyter as { lastExecuteRequest?: unknown }).lastExecuteRequest;
    }
  });

  it('knows cells by the id the front end sends, and carries again after the carrying cell was deleted', () => {
    const sent: Record<string, unknown>[] = [];
    jupyter.lastWriteDisplayData = (msg: { data: Record<string, unknown> }) => sent.push(msg.data);
    try {
      request('show(a);', { cellId: 'c1' });
      show(lossFigure);
      request('show(a); // edited', { cellId: 'c1' }); // edited and re-run: same cell
      show(lossFigure);
      request('show(a); // edited', { cellId: 'c2' }); // a copy of it elsewhere: another cell
      show(lossFigure);
      request('show(b);', { cellId: 'c3', deletedCells: ['c1'] }); // JupyterLab reports the deletion
      show(lossFigure);
      request('show(b);', { cellId: 'c4' });
      show(lossFigure);
      expect(sent.map(carries)).toEqual([true, true, false, true, false]);
    } finally {
      delete (jupyter as { lastExecuteRequest?: unknown }).lastExecuteRequest;
    }
  });
});

describe('figureHtml', () => {
  it('shadows AMD/CommonJS globals around the bundle and escapes script-breaking text', () => {
    const html = figureHtml(curves({ a: [1, 2] }, { title: '</script><b>x</b>' }), { id: 'fig1' });
    expect(html).toContain('<div id="fig1"');
    // Until a script draws it (untrusted notebooks run none) the div says what it is.
    expect(html).toMatch(/<div id="fig1"[^>]*>Figure: 1 trace \(scatter\) &#8212; '&lt;\/script&gt;&lt;b&gt;x&lt;\/b&gt;' \(not drawn here/);
    expect(html).toContain('(function (define, module, exports) {');
    // Exactly two closing script tags: the bundle's and the drawing script's.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain('\\u003c/script>\\u003cb>x\\u003c/b>');
    const without = figureHtml(lossFigure, { includePlotly: false, id: 'fig2' });
    expect(without).not.toContain(plotlyMarker);
    expect(without.match(/<\/script>/g)).toHaveLength(1);
    expect(() => figureHtml(lossFigure, { id: '"><img' })).toThrow(/id must be/);
  });

  it('is ASCII only, so pages without a charset show x₁ and plotly correctly', () => {
    const html = figureHtml(curves({ a: [1] }, { xTitle: 'x₁' }), { id: 'f' });
    expect(html).toContain('x\\u2081');
    expect(/[^\x00-\x7e]/.test(html)).toBe(false);
  });

  it('turns non-finite numbers into gaps (null)', () => {
    const html = figureHtml(curves({ a: [1, NaN, Infinity] }), { includePlotly: false, id: 'f' });
    expect(html).toContain('"y":[1,null,null]');
  });
});

describe('figure helpers', () => {
  it('curves: one line per series, epochs from 1, optional second axis', () => {
    const fig = curves([
      { name: 'loss', y: [0.9, 0.4] },
      { name: 'accuracy', y: [0.5, 0.8], axis: 'y2' },
    ], { y2Title: 'accuracy' });
    expect(fig.data.map((t) => [t.type, t.name, t.x, t.yaxis])).toEqual([
      ['scatter', 'loss', [1, 2], 'y'],
      ['scatter', 'accuracy', [1, 2], 'y2'],
    ]);
    expect(fig.layout!.yaxis2).toMatchObject({ overlaying: 'y', side: 'right' });
    expect(() => curves([{ name: 'bad', x: [1], y: [1, 2] }])).toThrow(/1 x values but 2 y values/);
    expect(() => curves({})).toThrow(/no series/);
  });

  it('scatterWithBoundary: a trace per class, the perceptron line, and the predict contour', () => {
    const pts = fromRows([[0, 0], [1, 0], [0, 1], [1, 1]]);
    const labels = [0, 0, 0, 1];
    const fig = scatterWithBoundary(pts, labels, {
      lines: [{ weights: [1, 1, -1.5], name: 'pass 1' }, { weights: [1, 0, -0.5] }],
      predict: (a, b) => 1 / (1 + Math.exp(-(10 * a + 10 * b - 15))),
      resolution: 11,
    });
    const byName = Object.fromEntries(fig.data.map((t) => [t.name, t]));
    expect(byName['class 0']).toMatchObject({ x: [0, 1, 0], y: [0, 0, 1] });
    expect(byName['class 1']).toMatchObject({ x: [1], y: [1] });
    // Line x2 = 1.5 − x1 evaluated at the padded x-range ends −0.1 and 1.1.
    const line = byName['pass 1']!;
    expect(line.x).toEqual([-0.1, 1.1]);
    expect((line.y as number[])[0]).toBeCloseTo(1.6, 12);
    expect((line.y as number[])[1]).toBeCloseTo(0.4, 12);
    // w2 = 0: the vertical line x1 = 0.5.
    expect(byName['boundary 2']!.x).toEqual([0.5, 0.5]);
    const c = fig.data.find((t) => t.type === 'contour')!;
    const z = c.z as number[][];
    expect(z).toHaveLength(11);
    expect(z[0]).toHaveLength(11);
    // Bottom-left grid point is (−0.1, −0.1): far below the boundary.
    expect(z[0]![0]).toBeLessThan(0.01);
    expect(z[10]![10]).toBeGreaterThan(0.99);
    expect(c.contours).toMatchObject({ start: 0.5, end: 0.5 });
    expect(() => scatterWithBoundary(zeros(3, 3), [0, 1, 0])).toThrow(/2 columns/);
    expect(() => scatterWithBoundary(pts, [0, 1])).toThrow(/4 points but 2 labels/);
  });

  it('surface and contour sample a function on the grid (z[j][i] = f(x[i], y[j]))', () => {
    const grid = { x: [0, 1, 2], y: [10, 20], z: (a: number, b: number) => a + b };
    const s = surface(grid, { path: { x: [0, 2], y: [10, 20] } });
    expect(s.data[0]).toMatchObject({ type: 'surface', z: [[10, 11, 12], [20, 21, 22]] });
    expect(s.data[1]).toMatchObject({ type: 'scatter3d', z: [10, 22] });
    const c = contour(grid, { title: 'E(w1, w2)' });
    expect(c.data[0]).toMatchObject({ type: 'contour', z: [[10, 11, 12], [20, 21, 22]] });
    expect(figureSummary(c)).toBe("Figure: 1 trace (contour) — 'E(w1, w2)'");
    expect(() => contour({ x: [0, 1], y: [0], z: [[1]] })).toThrow(/1 rows \(one per y\) of 2 values/);
  });

  it('heatmap: a confusion matrix with labels and values written in the cells', () => {
    const fig = heatmap(fromRows([[5, 1], [0, 7]]), { xLabels: ['pred 0', 'pred 1'], yLabels: ['0', '1'] });
    expect(fig.data[0]).toMatchObject({ type: 'heatmap', z: [[5, 1], [0, 7]], x: ['pred 0', 'pred 1'], texttemplate: '%{z}' });
    // Large counts dark: plotly's Blues runs dark → light, so it is reversed.
    expect(fig.data[0]).toMatchObject({ colorscale: 'Blues', reversescale: true });
    expect(fig.layout!.yaxis).toMatchObject({ autorange: 'reversed' });
    expect(() => heatmap([[1, 2]], { xLabels: ['a'] })).toThrow(/do not match/);
  });

  it('digitImages: one 28×28 heatmap per image on its own axes, with captions', () => {
    const imgs = zeros(3, 784);
    imgs.data[784 + 28 * 5 + 7] = 1; // image 1, row 5, column 7
    const fig = digitImages(imgs, { titles: ['a', 'b', 'c'], columns: 2 });
    expect(fig.data).toHaveLength(3);
    expect(fig.data.map((t) => [t.xaxis, t.yaxis])).toEqual([['x', 'y'], ['x2', 'y2'], ['x3', 'y3']]);
    const z = fig.data[1]!.z as number[][];
    expect(z).toHaveLength(28);
    expect(z[5]![7]).toBe(1);
    expect(z.flat().reduce((a, b) => a + b, 0)).toBe(1);
    expect(fig.layout!.xaxis3).toBeDefined();
    expect((fig.layout!.annotations as { text: string }[]).map((a) => a.text)).toEqual(['a', 'b', 'c']);
    expect(() => digitImages(zeros(1, 100))).toThrow(/784 values/);
  });

  it('bars: grouped bars over category labels', () => {
    const fig = bars({ hidden: [0.1, 0.2], output: [1, 2] }, { labels: ['epoch 1', 'epoch 2'], title: 'gradient size' });
    expect(fig.data).toEqual([
      { type: 'bar', name: 'hidden', x: ['epoch 1', 'epoch 2'], y: [0.1, 0.2] },
      { type: 'bar', name: 'output', x: ['epoch 1', 'epoch 2'], y: [1, 2] },
    ]);
    expect(fig.layout!.barmode).toBe('group');
    expect(() => bars({ a: [1, 2, 3] }, { labels: ['x'] })).toThrow(/3 values but there are 1 labels/);
  });
});
