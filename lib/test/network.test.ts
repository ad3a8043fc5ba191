import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, ShapeError } from '../src/errors';
import { fromRows, zeros } from '../src/matrix';
import { createNetwork, type Network } from '../src/network';
import { Rng } from '../src/rng';
import { train } from '../src/train';

const sigma = (x: number): number => 1 / (1 + Math.exp(-x));

const XOR_IN = fromRows([[0, 0], [0, 1], [1, 0], [1, 1]]);
const XOR_T = fromRows([[0], [1], [1], [0]]);

/** A 2-2-1 logistic net with hand-chosen weights. */
function smallNet(): Network {
  const net = createNetwork({ inputs: 2, layers: [{ size: 2, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'squared-error' });
  // W1 row j = weights into hidden unit j: w_1j, w_2j.
  net.layers[0]!.W.data.set([0.5, -1, 1.5, 0.25]);
  net.layers[0]!.b.set([0.1, -0.2]);
  net.layers[1]!.W.data.set([2, -1]);
  net.layers[1]!.b.set([0.3]);
  return net;
}

describe('forward pass', () => {
  it('computes x = b + Σ y_i w_ij and y = f(x) layer by layer', () => {
    const net = smallNet();
    const out = net.forward(fromRows([[1, 2]]));
    const h1 = sigma(0.1 + 1 * 0.5 + 2 * -1);
    const h2 = sigma(-0.2 + 1 * 1.5 + 2 * 0.25);
    expect(net.layers[0]!.y.data[0]).toBeCloseTo(h1, 15);
    expect(net.layers[0]!.y.data[1]).toBeCloseTo(h2, 15);
    expect(out.data[0]).toBeCloseTo(sigma(0.3 + 2 * h1 - h2), 15);
  });
});

describe('backpropagation (the three steps of the slide)', () => {
  it('trace() reports the numbers of a hand computation for one case', () => {
    const net = smallNet();
    const tr = net.trace([1, 2], [1]);
    const h = [sigma(0.1 + 0.5 - 2), sigma(-0.2 + 1.5 + 0.5)];
    const y = sigma(0.3 + 2 * h[0]! - h[1]!);
    // Step 1: squared error → dE/dy = y − t, dE/dx = y(1 − y)·dE/dy.
    const dEdy = y - 1;
    const dEdx = y * (1 - y) * dEdy;
    expect(tr.loss).toBeCloseTo(0.5 * (y - 1) ** 2, 15);
    expect(tr.step1.dEdy[0]).toBeCloseTo(dEdy, 15);
    expect(tr.step1.dEdx[0]).toBeCloseTo(dEdx, 15);
    // Step 2: dE/dy_i = Σ_j w_ij dE/dx_j, dE/dx_i = y_i(1 − y_i) dE/dy_i.
    const hy = [2 * dEdx, -1 * dEdx];
    expect(tr.step2).toHaveLength(1);
    expect(tr.step2[0]!.dEdy[0]).toBeCloseTo(hy[0]!, 15);
    expect(tr.step2[0]!.dEdy[1]).toBeCloseTo(hy[1]!, 15);
    const hx = [h[0]! * (1 - h[0]!) * hy[0]!, h[1]! * (1 - h[1]!) * hy[1]!];
    expect(tr.step2[0]!.dEdx[0]).toBeCloseTo(hx[0]!, 15);
    expect(tr.step2[0]!.dEdx[1]).toBeCloseTo(hx[1]!, 15);
    // Step 3: dE/dw_ij = y_i dE/dx_j (row j, column i), dE/db_j = dE/dx_j.
    expect(tr.step3[1]!.dEdW[0]![0]).toBeCloseTo(h[0]! * dEdx, 15);
    expect(tr.step3[1]!.dEdW[0]![1]).toBeCloseTo(h[1]! * dEdx, 15);
    expect(tr.step3[1]!.dEdb[0]).toBeCloseTo(dEdx, 15);
    expect(tr.step3[0]!.dEdW).toEqual([
      [expect.closeTo(1 * hx[0]!, 15), expect.closeTo(2 * hx[0]!, 15)],
      [expect.closeTo(1 * hx[1]!, 15), expect.closeTo(2 * hx[1]!, 15)],
    ]);
    expect(tr.forward.map((f) => f.name)).toEqual(['hidden 1', 'output']);
    // Plain arrays, ready to print.
    expect(Array.isArray(tr.forward[0]!.y)).toBe(true);
  });

  it('mini-batch weight gradients are the mean of the single-case gradients; dE/dx rows are per case', () => {
    const net = createNetwork({
      inputs: 3,
      layers: [{ size: 4, unit: 'tanh' }, { size: 3, unit: 'logistic' }, { size: 2, unit: 'softmax' }],
      loss: 'softmax-cross-entropy',
      seed: 3,
    });
    const rng = new Rng(5);
    const B = 5;
    const X = zeros(B, 3);
    for (let k = 0; k < X.data.length; k++) X.data[k] = rng.normal();
    const T = zeros(B, 2);
    for (let r = 0; r < B; r++) T.data[r * 2 + (r % 2)] = 1;
    const mean = new Float64Array(net.paramCount);
    const perCaseDx: number[][] = [];
    for (let r = 0; r < B; r++) {
      const tr = net.trace(Array.from(X.data.subarray(r * 3, r * 3 + 3)), Array.from(T.data.subarray(r * 2, r * 2 + 2)));
      perCaseDx.push(tr.step2[tr.step2.length - 1]!.dEdx);
      const g = net.getGrads();
      for (let k = 0; k < g.length; k++) mean[k] = mean[k]! + g[k]! / B;
    }
    net.forward(X);
    net.backward(T);
    const g = net.getGrads();
    for (let k = 0; k < g.length; k++) expect(g[k]).toBeCloseTo(mean[k]!, 14);
    const dx = net.layers[0]!.dEdx;
    for (let r = 0; r < B; r++) for (let j = 0; j < 4; j++) expect(dx.data[r * 4 + j]).toBeCloseTo(perCaseDx[r]![j]!, 14);
  });
});

describe('buffers', () => {
  it('are reused for the same batch size and for smaller batches', () => {
    const net = createNetwork({ inputs: 2, layers: [{ size: 3, unit: 'relu' }, { size: 1, unit: 'linear' }], loss: 'squared-error' });
    net.forward(zeros(8, 2));
    const y8 = net.layers[0]!.y;
    net.forward(zeros(8, 2));
    expect(net.layers[0]!.y).toBe(y8); // same object: nothing re-wrapped
    net.forward(zeros(3, 2));
    expect(net.layers[0]!.y.rows).toBe(3);
    expect(net.layers[0]!.y.data.buffer).toBe(y8.data.buffer); // same storage
    net.forward(zeros(20, 2));
    expect(net.layers[0]!.y.data.length).toBe(60);
    expect(net.batchSize).toBe(20);
  });
});

describe('parameters', () => {
  it('params() shares storage with the layers; getParams/setParams/copy round-trip', () => {
    const net = createNetwork({ inputs: 3, layers: [{ size: 2, unit: 'tanh' }, { size: 2, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 9 });
    const ps = net.params();
    expect(ps.map((p) => p.name)).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect(ps[0]!.values).toBe(net.layers[0]!.W.data);
    expect(ps[2]!.grads).toBe(net.layers[1]!.dEdW.data);
    expect(net.paramCount).toBe(3 * 2 + 2 + 2 * 2 + 2);
    const flat = net.getParams();
    const twin = net.copy();
    expect(Array.from(twin.getParams())).toEqual(Array.from(flat));
    twin.layers[0]!.W.data[0] = 123;
    expect(net.layers[0]!.W.data[0]).not.toBe(123);
    net.setParams(twin.getParams());
    expect(net.layers[0]!.W.data[0]).toBe(123);
    expect(() => net.setParams([1, 2])).toThrow(/setParams: got 2 values but the network has 14 parameters/);
  });

  it('initialisation is seeded and scaled by 1/√fan-in', () => {
    const cfg = { inputs: 400, layers: [{ size: 50, unit: 'logistic' as const }, { size: 1, unit: 'logistic' as const }], loss: 'cross-entropy' as const };
    const a = createNetwork({ ...cfg, seed: 1 }).getParams();
    const b = createNetwork({ ...cfg, seed: 1 }).getParams();
    const c = createNetwork({ ...cfg, seed: 2 }).getParams();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const W = createNetwork({ ...cfg, seed: 1 }).layers[0]!.W.data;
    const sd = Math.sqrt(W.reduce((s, w) => s + w * w, 0) / W.length);
    expect(sd).toBeGreaterThan(0.9 / 20);
    expect(sd).toBeLessThan(1.1 / 20);
  });
});

describe('validation', () => {
  const net = createNetwork({ inputs: 2, layers: [{ size: 3, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy' });
  it('rejects bad inputs and targets with messages naming the argument', () => {
    expect(() => net.forward(zeros(4, 3))).toThrow(ShapeError);
    expect(() => net.forward(zeros(4, 3))).toThrow(/Network.forward: input has 3 columns but the network has 2 inputs/);
    expect(() => net.forward(zeros(0, 2))).toThrow(DataError);
    expect(() => net.forward(zeros(0, 2))).toThrow(/empty batch/);
    const bad = zeros(2, 2);
    bad.data[3] = NaN;
    expect(() => net.forward(bad)).toThrow(/input row 1, column 1 is NaN/);
    expect(() => net.loss(zeros(4, 2), zeros(4, 2))).toThrow(/target is 4×2 but must be 4×1/);
    net.forward(zeros(4, 2));
    expect(() => net.backward(zeros(3, 1))).toThrow(/Network.backward: target is 3×1 but must be 4×1/);
    const badT = zeros(4, 1);
    badT.data[2] = Infinity;
    expect(() => net.backward(badT)).toThrow(/target row 2, column 0 is Infinity/);
    expect(() => net.trace([1], [1])).toThrow(/input must be an array of 2 numbers/);
  });

  it('rejects bad configurations', () => {
    const ok = { inputs: 2, layers: [{ size: 1, unit: 'logistic' as const }], loss: 'squared-error' as const };
    expect(() => createNetwork({ ...ok, layers: [{ size: 2, unit: 'sigmoid' as never }] })).toThrow(ConfigError);
    expect(() => createNetwork({ ...ok, layers: [{ size: 2, unit: 'sigmoid' as never }] })).toThrow(/layers\[0\]\.unit "sigmoid" is unknown; known units: linear, logistic/);
    expect(() => createNetwork({ ...ok, layers: [{ size: 0, unit: 'tanh' }] })).toThrow(/layers\[0\]\.size must be a positive integer/);
    expect(() => createNetwork({ ...ok, layers: [] })).toThrow(/non-empty/);
    expect(() => createNetwork({ ...ok, inputs: 0 })).toThrow(/inputs must be a positive integer/);
    expect(() => createNetwork({ ...ok, loss: 'hinge' as never })).toThrow(/loss "hinge" is unknown/);
    expect(() => createNetwork({ ...ok, layers: [{ size: 2, unit: 'tanh' }], loss: 'softmax-cross-entropy' })).toThrow(
      /needs softmax output units, but the output layer \(layers\[0\]\) is tanh/,
    );
    const fresh = createNetwork(ok);
    expect(() => fresh.backward(zeros(1, 1))).toThrow(/call forward\(input\) before backward/);
  });
});

describe('XOR', () => {
  const opts = { epochs: 3000, batchSize: 4, learningRate: 0.5, momentum: 0.9, seed: 1 };

  function fit(net: Network): { loss: number; correct: number } {
    train(net, { inputs: XOR_IN, targets: XOR_T }, opts);
    const pred = net.predict(XOR_IN);
    let correct = 0;
    for (let r = 0; r < 4; r++) if (pred[r] === XOR_T.data[r]) correct++;
    return { loss: net.loss(XOR_IN, XOR_T), correct };
  }

  it('a net without hidden units cannot fit it', () => {
    const net = createNetwork({ inputs: 2, layers: [{ size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 1 });
    const r = fit(net);
    expect(r.correct).toBeLessThan(4);
    // The best a single logistic unit can do is output 0.5 everywhere: E = ln 2 per case.
    expect(r.loss).toBeGreaterThan(0.69);
  });

  it('a 2-2-1 logistic net fits it', () => {
    const net = createNetwork({ inputs: 2, layers: [{ size: 2, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 1 });
    const r = fit(net);
    expect(r.correct).toBe(4);
    expect(r.loss).toBeLessThan(0.01);
  });
});

