import { describe, expect, it } from 'vitest';
import { DropoutLayer, createNetwork, gradientCheck, Rng, train, zeros, type Layer, type Network } from '../src';

function randomMatrix(rows: number, cols: number, seed: number) {
  const m = zeros(rows, cols);
  const rng = new Rng(seed);
  for (let k = 0; k < m.data.length; k++) m.data[k] = rng.normal();
  return m;
}

function dropoutOf(net: Network<Layer>): DropoutLayer {
  const l = net.layers.find((x) => x.kind === 'dropout');
  if (!(l instanceof DropoutLayer)) throw new Error('no dropout layer');
  return l;
}

describe('dropout layer', () => {
  const spec = (rate: number) => ({
    inputs: 6,
    layers: [{ size: 50, unit: 'logistic' as const }, { type: 'dropout' as const, rate }, { size: 3, unit: 'softmax' as const }],
    loss: 'softmax-cross-entropy' as const,
    seed: 2,
  });

  it('keeps the expected activation while training (inverted scaling) and drops about a fraction p', () => {
    const net = createNetwork(spec(0.3));
    const X = randomMatrix(400, 6, 1);
    net.forward(X);
    const hidden = net.layers[0]!.y.data.slice();
    const d = dropoutOf(net);
    // Average the dropped-out activations over many training passes: → the hidden activations.
    const sum = new Float64Array(hidden.length);
    const passes = 200;
    let dropped = 0;
    let worstKept = 0;
    for (let k = 0; k < passes; k++) {
      net.forward(X, { training: true });
      for (let i = 0; i < sum.length; i++) {
        sum[i] = sum[i]! + d.y.data[i]!;
        if (d.y.data[i] === 0) dropped++;
        else worstKept = Math.max(worstKept, Math.abs(d.y.data[i]! - hidden[i]! / 0.7));
      }
    }
    expect(worstKept).toBeLessThan(1e-12); // a kept value is scaled by exactly 1/(1 − p)
    let meanAbs = 0;
    for (let i = 0; i < sum.length; i++) meanAbs += Math.abs(sum[i]! / passes - hidden[i]!);
    meanAbs /= sum.length;
    expect(meanAbs).toBeLessThan(0.03); // activations are in (0, 1); ~0.022 standard error per value
    let totalMean = 0;
    let totalHidden = 0;
    for (let i = 0; i < sum.length; i++) {
      totalMean += sum[i]! / passes;
      totalHidden += hidden[i]!;
    }
    expect(Math.abs(totalMean / totalHidden - 1)).toBeLessThan(0.005);
    expect(dropped / (passes * sum.length)).toBeCloseTo(0.3, 2);
  });

  it('is off at evaluation: forward() without training gives the same outputs as the net without dropout', () => {
    const withDrop = createNetwork(spec(0.5));
    const plain = createNetwork({ ...spec(0.5), layers: [spec(0.5).layers[0]!, spec(0.5).layers[2]!] });
    // Same seed and dropout does not draw from the weights' generator: identical weights.
    expect(Array.from(withDrop.getParams())).toEqual(Array.from(plain.getParams()));
    const X = randomMatrix(20, 6, 4);
    const a = Array.from(withDrop.forward(X).data);
    const b = Array.from(plain.forward(X).data);
    expect(a).toEqual(b);
    const t = Array.from(withDrop.forward(X, { training: true }).data);
    expect(t).not.toEqual(a);
    expect(Array.from(withDrop.forward(X).data)).toEqual(a);
  });

  it('passes a gradient check with a fixed mask (backprop through the same mask)', () => {
    const net = createNetwork({ ...spec(0.5), layers: [{ size: 5, unit: 'tanh' }, { type: 'dropout', rate: 0.5 }, { size: 3, unit: 'softmax' }] });
    const X = randomMatrix(4, 6, 7);
    const T = zeros(4, 3);
    [0, 2, 1, 2].forEach((c, r) => (T.data[r * 3 + c] = 1));
    const d = dropoutOf(net);
    const keep = Array.from({ length: 4 * 5 }, (_, k) => (k * 7) % 3 !== 0 ? 1 : 0);
    d.fixMask(keep);
    const res = gradientCheck(net, X, T);
    expect(res.maxRelativeError).toBeLessThan(1e-7);
    // The mask matters: without it (evaluation mode) the gradients differ.
    net.loss(X, T);
    net.backward(T);
    const fixedGrads = net.getGrads();
    d.fixMask(null);
    net.loss(X, T);
    net.backward(T);
    expect(Array.from(net.getGrads())).not.toEqual(Array.from(fixedGrads));
    expect(() => d.fixMask([1, 0, 1])).toThrow(/multiple of the layer size 5/);
  });

  it('rejects a bad rate and trains with dropout', () => {
    expect(() => createNetwork({ ...spec(1), layers: [{ size: 5, unit: 'tanh' }, { type: 'dropout', rate: 1 }, { size: 3, unit: 'softmax' }] })).toThrow(/rate \(dropout probability\) must be a number in \[0, 1\)/);
    const net = createNetwork(spec(0.2));
    const X = randomMatrix(300, 6, 9);
    const T = zeros(300, 3);
    for (let r = 0; r < 300; r++) T.data[r * 3 + (X.data[r * 6]! > 0 ? 0 : X.data[r * 6 + 1]! > 0 ? 1 : 2)] = 1;
    const h = train(net, { inputs: X, targets: T }, { epochs: 30, batchSize: 20, learningRate: 0.02, optimizer: 'adam', seed: 1, trainMetrics: 'full' });
    expect(h[h.length - 1]!.accuracy).toBeGreaterThan(0.9);
  });
});
