import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DataError, ShapeError } from '../src/errors';
import { gradientCheck } from '../src/gradcheck';
import { setGemmBackend } from '../src/kernels';
import { CONV_CHUNK, Conv2dLayer, lenet5, lenet5Config, type AnyLayerSpec, type Layer } from '../src/layers';
import { zeros, type Matrix } from '../src/matrix';
import { createNetwork, type Network } from '../src/network';
import { Rng } from '../src/rng';

function randomMatrix(rows: number, cols: number, rng: Rng, scale = 1): Matrix {
  const m = zeros(rows, cols);
  for (let k = 0; k < m.data.length; k++) m.data[k] = rng.normal() * scale;
  return m;
}

function oneHotRows(rows: number, classes: number, rng: Rng): Matrix {
  const t = zeros(rows, classes);
  for (let r = 0; r < rows; r++) t.data[r * classes + rng.int(classes)] = 1;
  return t;
}

afterEach(() => setGemmBackend('auto'));

describe('weight sharing: ∂E/∂w is the sum over the copies of the weight', () => {
  // One 3×3 input map, one 2×2 kernel w = [[1, 0], [0, −1]], bias 0, linear units, target 0,
  // E = ½ Σ (y − t)². An avgpool of 1×1 (the identity) sits below so dE/d(input) is visible.
  const input = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const net = createNetwork({
    inputs: [1, 3, 3],
    layers: [{ type: 'avgpool', window: 1 }, { type: 'conv2d', maps: 1, kernel: 2, unit: 'linear' }],
    loss: 'squared-error',
  });
  const conv = net.layers[1] as Conv2dLayer;
  conv.W.data.set([1, 0, 0, -1]);
  conv.b[0] = 0;
  const X: Matrix = { rows: 1, cols: 9, data: Float64Array.from(input) };
  const T = zeros(1, 4);
  net.loss(X, T);
  net.backward(T);

  it('forward: every replicated unit applies the same kernel to its own window', () => {
    // x(0,0) = 1·1 − 1·5, x(0,1) = 2 − 6, x(1,0) = 4 − 8, x(1,1) = 5 − 9
    expect(Array.from(conv.y.data)).toEqual([-4, -4, -4, -4]);
    expect(Array.from(conv.dEdx.data)).toEqual([-4, -4, -4, -4]); // y − t
  });

  it('backward: each copy contributes y_below · dE/dx at its position, and the shared weight gets the sum', () => {
    // Copies of w(0,0) see the pixels 1, 2, 4, 5 (top-left of each window): −4·1 − 4·2 − 4·4 − 4·5 = −48.
    // w(0,1) sees 2, 3, 5, 6 → −64;  w(1,0) sees 4, 5, 7, 8 → −96;  w(1,1) sees 5, 6, 8, 9 → −112.
    expect(Array.from(conv.dEdW.data)).toEqual([-48, -64, -96, -112]);
    expect(conv.dEdb[0]).toBe(-16); // the bias is shared too: Σ of the four dE/dx
  });

  it('dE/d(input pixel) sums over the windows that contain the pixel', () => {
    // Corner (0,0) only feeds x(0,0) through w(0,0)=1 → −4; corner (2,2) only x(1,1) through w(1,1)=−1 → +4;
    // the centre feeds all four windows through w(1,1), w(1,0), w(0,1), w(0,0): −4(−1 + 0 + 0 + 1) = 0.
    expect(Array.from(net.layers[0]!.dEdy.data)).toEqual([-4, -4, 0, -4, 0, 4, 0, 4, 4]);
  });
});

/** x_m(oy, ox) = b_m + Σ w_m(c, ky, kx)·in_c(oy·s + ky − p, ox·s + kx − p), straight from the definition. */
function naiveConv(conv: Conv2dLayer, input: Matrix): Float64Array {
  const { C, H, Win: W, M, Ho, Wo, kh, kw, stride: s, padding: p } = conv;
  const out = new Float64Array(input.rows * M * Ho * Wo);
  for (let b = 0; b < input.rows; b++) {
    for (let m = 0; m < M; m++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let sum = conv.b[m]!;
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * s + ky - p;
                const ix = ox * s + kx - p;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                sum += conv.W.data[m * C * kh * kw + (c * kh + ky) * kw + kx]! * input.data[b * C * H * W + c * H * W + iy * W + ix]!;
              }
            }
          }
          out[((b * M + m) * Ho + oy) * Wo + ox] = sum;
        }
      }
    }
  }
  return out;
}

describe('conv2d forward (im2col + GEMM) equals the definition', () => {
  const cases: { shape: [number, number, number]; spec: AnyLayerSpec }[] = [
    { shape: [1, 6, 6], spec: { type: 'conv2d', maps: 3, kernel: 3, unit: 'linear' } },
    { shape: [2, 7, 7], spec: { type: 'conv2d', maps: 4, kernel: 3, stride: 2, padding: 1, unit: 'linear' } },
    { shape: [3, 5, 8], spec: { type: 'conv2d', maps: 5, kernel: [2, 3], padding: 2, unit: 'linear' } },
    { shape: [6, 14, 14], spec: { type: 'conv2d', maps: 16, kernel: 5, unit: 'linear' } }, // LeNet's C3, big enough for wasm
  ];
  for (const backend of ['js', 'wasm'] as const) {
    for (const { shape, spec } of cases) {
      it(`${JSON.stringify(spec)} on ${shape.join('×')} (${backend} kernels)`, () => {
        setGemmBackend(backend);
        const net = createNetwork({ inputs: shape, layers: [spec, { size: 2, unit: 'linear' }], loss: 'squared-error', seed: 3 });
        const conv = net.layers[0] as Conv2dLayer;
        const rng = new Rng(11);
        for (let m = 0; m < conv.M; m++) conv.b[m] = rng.normal();
        const X = randomMatrix(3, shape[0] * shape[1] * shape[2], rng);
        net.forward(X);
        const want = naiveConv(conv, X);
        expect(conv.x.data.length).toBe(want.length);
        let worst = 0;
        for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(conv.x.data[k]! - want[k]!));
        expect(worst).toBeLessThan(1e-12);
      });
    }
  }
});

describe('gradient checks of the new layers (relative error < 1e-6)', () => {
  const nets: { name: string; inputs: [number, number, number]; layers: AnyLayerSpec[] }[] = [
    { name: 'conv2d tanh, 2 maps in, 3 out', inputs: [2, 5, 5], layers: [{ type: 'conv2d', maps: 3, kernel: 3, unit: 'tanh' }] },
    { name: 'conv2d logistic, stride 2 and padding 1', inputs: [1, 5, 5], layers: [{ type: 'conv2d', maps: 2, kernel: 3, stride: 2, padding: 1, unit: 'logistic' }] },
    { name: 'conv2d relu over conv2d (input derivatives through col2im)', inputs: [1, 6, 6], layers: [{ type: 'conv2d', maps: 2, kernel: 3, padding: 1, unit: 'tanh' }, { type: 'conv2d', maps: 2, kernel: [2, 3], unit: 'relu' }] },
    { name: 'avgpool between convolutions', inputs: [1, 6, 6], layers: [{ type: 'conv2d', maps: 2, kernel: 3, padding: 1, unit: 'tanh' }, { type: 'avgpool', window: 2 }, { type: 'conv2d', maps: 2, kernel: 2, unit: 'linear' }] },
    { name: 'overlapping avgpool (window 3, stride 1)', inputs: [1, 5, 5], layers: [{ type: 'conv2d', maps: 2, kernel: 2, unit: 'tanh' }, { type: 'avgpool', window: 3, stride: 1 }] },
    { name: 'maxpool', inputs: [1, 6, 6], layers: [{ type: 'conv2d', maps: 2, kernel: 3, padding: 1, unit: 'tanh' }, { type: 'maxpool', window: 2 }, { type: 'conv2d', maps: 2, kernel: 2, unit: 'tanh' }] },
    { name: 'flatten', inputs: [2, 3, 3], layers: [{ type: 'conv2d', maps: 2, kernel: 2, unit: 'tanh' }, { type: 'flatten' }] },
  ];
  for (const { name, inputs, layers } of nets) {
    it(name, () => {
      const net = createNetwork({ inputs, layers: [...layers, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 5 });
      const rng = new Rng(7);
      const X = randomMatrix(3, inputs[0] * inputs[1] * inputs[2], rng);
      const T = oneHotRows(3, 3, rng);
      const r = gradientCheck(net, X, T);
      expect(r.entries).toHaveLength(net.paramCount);
      expect(r.maxRelativeError).toBeLessThan(1e-6);
      expect(r.skippedKinks).toBeLessThanOrEqual(Math.floor(net.paramCount / 10));
    });
  }

  it(`batches larger than CONV_CHUNK (${CONV_CHUNK}) cases run in chunks with the same results`, () => {
    const net = createNetwork({
      inputs: [1, 5, 5],
      layers: [{ type: 'conv2d', maps: 2, kernel: 3, padding: 1, unit: 'tanh' }, { type: 'conv2d', maps: 2, kernel: 3, unit: 'tanh' }, { size: 2, unit: 'softmax' }],
      loss: 'softmax-cross-entropy',
      seed: 4,
    });
    const rng = new Rng(6);
    const B = CONV_CHUNK + 9;
    const X = randomMatrix(B, 25, rng);
    const T = oneHotRows(B, 2, rng);
    net.forward(X);
    const conv = net.layers[0] as Conv2dLayer;
    const want = naiveConv(conv, X);
    for (let k = 0; k < want.length; k++) expect(Math.abs(conv.x.data[k]! - want[k]!)).toBeLessThan(1e-12);
    expect(gradientCheck(net, X, T).maxRelativeError).toBeLessThan(1e-6);
  });

  it('a small LeNet-style stack with squared error and linear outputs', () => {
    const net = createNetwork({
      inputs: [1, 8, 8],
      layers: [
        { type: 'conv2d', maps: 2, kernel: 3, padding: 1, unit: 'tanh' },
        { type: 'avgpool', window: 2 },
        { type: 'conv2d', maps: 3, kernel: 3, unit: 'tanh' },
        { type: 'avgpool', window: 2 },
        { size: 4, unit: 'tanh' },
        { size: 2, unit: 'linear' },
      ],
      loss: 'squared-error',
      seed: 8,
    });
    const rng = new Rng(2);
    const r = gradientCheck(net, randomMatrix(2, 64, rng), randomMatrix(2, 2, rng));
    expect(r.maxRelativeError).toBeLessThan(1e-6);
    expect(r.skippedKinks).toBe(0);
  });

  it('max-pool winners that swap under ±ε are reported as kinks, not as errors', () => {
    // Two input maps, a 1×1 kernel (w0, w1): pixel (0,0) gives w0, pixel (0,1) gives w1, the others 0.
    // With w0 = 0.5 + 1e-7 and w1 = 0.5 the 2×2 max pool picks pixel (0,0); w0 − ε makes pixel (0,1) win.
    const net = createNetwork({
      inputs: [2, 2, 2],
      layers: [{ type: 'conv2d', maps: 1, kernel: 1, unit: 'linear' }, { type: 'maxpool', window: 2 }, { size: 1, unit: 'linear' }],
      loss: 'squared-error',
    });
    const conv = net.layers[0] as Conv2dLayer;
    conv.W.data.set([0.5 + 1e-7, 0.5]);
    conv.b[0] = 0;
    const X: Matrix = { rows: 1, cols: 8, data: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0]) };
    const T: Matrix = { rows: 1, cols: 1, data: Float64Array.from([3]) };
    const r = gradientCheck(net, X, T);
    expect(r.entries.find((e) => e.param === 'W1' && e.index === 0)!.kink).toBe(true);
    expect(r.skippedKinks).toBeGreaterThanOrEqual(1);
    expect(r.maxRelativeError).toBeLessThan(1e-6); // the entries left are exact
  });
});

describe('LeNet-5', () => {
  const net = lenet5({ seed: 1 });
  it('has the parameter count per layer that the layer sizes give', () => {
    const rows = net.summary();
    const conv = (maps: number, inMaps: number, k: number): number => maps * inMaps * k * k + maps;
    const dense = (units: number, below: number): number => units * below + units;
    expect(rows.map((r) => [r.name, r.params])).toEqual([
      ['C1', conv(6, 1, 5)], //      156
      ['S2', 0],
      ['C3', conv(16, 6, 5)], //    2,416 (full connectivity from S2)
      ['S4', 0],
      ['C5', conv(120, 16, 5)], // 48,120
      ['F6', dense(84, 120)], //   10,164
      ['output', dense(10, 84)], //   850
    ]);
    expect(net.paramCount).toBe(61706);
    expect(rows.map((r) => r.outputShape)).toEqual([[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1], [84], [10]]);
    const text = net.summaryText();
    expect(text).toMatch(/C3\s+16×10×10\s+2416/);
    expect(text).toMatch(/total\s+61706/);
  });

  it('takes rows of 784 pixels and gives 10 softmax outputs per digit', () => {
    const rng = new Rng(1);
    const X = randomMatrix(4, 784, rng, 0.3);
    const y = net.forward(X);
    expect([y.rows, y.cols]).toEqual([4, 10]);
    for (let r = 0; r < 4; r++) expect(y.data.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(lenet5Config({ pool: 'max', unit: 'logistic' }).layers.map((l) => ('unit' in l ? l.unit : l.type))).toEqual([
      'logistic', 'maxpool', 'logistic', 'maxpool', 'logistic', 'logistic', 'softmax',
    ]);
  });

  it('reuses its batch buffers: no allocation per batch', () => {
    const rng = new Rng(3);
    const X = randomMatrix(8, 784, rng);
    const T = oneHotRows(8, 10, rng);
    net.forward(X);
    net.backward(T);
    const before = net.layers.map((l) => [l.y, l.dEdy]);
    const c1 = net.layers[0] as Conv2dLayer;
    const cols = (c1 as unknown as { colsStore: Float64Array }).colsStore;
    for (let i = 0; i < 3; i++) {
      net.forward(X);
      net.backward(T);
    }
    net.layers.forEach((l, k) => {
      expect(l.y).toBe(before[k]![0]);
      expect(l.dEdy).toBe(before[k]![1]);
    });
    expect((c1 as unknown as { colsStore: Float64Array }).colsStore).toBe(cols);
  });
});

describe('bad input names the layer, the argument and the numbers', () => {
  const base = { loss: 'softmax-cross-entropy' as const };
  const out = { size: 2, unit: 'softmax' as const };
  it('kernel larger than the padded input', () => {
    expect(() => createNetwork({ ...base, inputs: [1, 4, 4], layers: [{ type: 'conv2d', name: 'C1', maps: 2, kernel: 7, padding: 1, unit: 'tanh' }, out] })).toThrow(
      /createNetwork: layers\[0\] \(conv2d C1\): kernel 7×7 is larger than the padded input 6×6 \(input 4×4, padding 1\)/,
    );
  });
  it('a stride that does not tile the input', () => {
    expect(() => createNetwork({ ...base, inputs: [1, 6, 6], layers: [{ type: 'conv2d', maps: 2, kernel: 3, stride: 2, unit: 'tanh' }, out] })).toThrow(
      /layers\[0\] \(conv2d\): stride 2 does not tile the padded input: \(H \+ 2·padding − kernel\) = 3 and \(W \+ 2·padding − kernel\) = 3 must be multiples of 2/,
    );
    expect(() => createNetwork({ ...base, inputs: [3, 5, 5], layers: [{ type: 'avgpool', name: 'S2', window: 2 }, out] })).toThrow(
      /layers\[0\] \(avgpool S2\): stride 2 does not tile the 5×5 input with 2×2 windows/,
    );
    expect(() => createNetwork({ ...base, inputs: [3, 4, 4], layers: [{ type: 'maxpool', window: 5 }, out] })).toThrow(/window 5×5 is larger than the input maps 4×4/);
  });
  it('bad numbers in a spec, maps on flat inputs, softmax in a convolution', () => {
    expect(() => createNetwork({ ...base, inputs: [1, 8, 8], layers: [{ type: 'conv2d', maps: 0, kernel: 3, unit: 'tanh' }, out] })).toThrow(/layers\[0\] \(conv2d\): maps must be an integer ≥ 1, got 0/);
    expect(() => createNetwork({ ...base, inputs: [1, 8, 8], layers: [{ type: 'conv2d', maps: 2, kernel: 3, padding: -1, unit: 'tanh' }, out] })).toThrow(/padding must be an integer ≥ 0, got -1/);
    expect(() => createNetwork({ ...base, inputs: 64, layers: [{ type: 'conv2d', maps: 2, kernel: 3, unit: 'tanh' }, out] })).toThrow(
      /layers\[0\] \(conv2d\): needs C×H×W maps as input, but the layer below gives 64 values; give the network inputs: \[C, H, W\]/,
    );
    expect(() => createNetwork({ ...base, inputs: [1, 8, 8], layers: [{ type: 'conv2d', maps: 2, kernel: 3, unit: 'softmax' }, out] })).toThrow(ConfigError);
  });
  it('image batches of the wrong size and NaN pixels', () => {
    const net: Network<Layer> = lenet5();
    expect(() => net.forward(zeros(2, 28 * 28 - 1))).toThrow(ShapeError);
    expect(() => net.forward(zeros(2, 28 * 28 - 1))).toThrow(
      /Network.forward: input has 783 columns but the network has 784 inputs \(layer 1 \(conv2d C1\) expects 1×28×28 = 784 values per case, C×H×W\)/,
    );
    const X = zeros(3, 784);
    X.data[2 * 784 + 5 * 28 + 7] = NaN;
    expect(() => net.forward(X)).toThrow(DataError);
    expect(() => net.forward(X)).toThrow(/input row 2, column 147 \(image 2, map 0, pixel \(5, 7\)\) is NaN; inputs must be finite numbers \(layer 1, conv2d C1, reads 1×28×28 images\)/);
  });
});
