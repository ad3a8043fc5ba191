import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, ShapeError } from '../src/errors';
import { zeros, type Matrix } from '../src/matrix';
import { createNetwork, type Network, type NetworkConfig } from '../src/network';
import { Rng } from '../src/rng';
import { evaluateNetwork, train, type EpochStats } from '../src/train';

/** Two Gaussian blobs per class in 3-D, three classes, one-hot targets. */
function blobs(n: number, seed: number): { inputs: Matrix; targets: Matrix } {
  const rng = new Rng(seed);
  const inputs = zeros(n, 3);
  const targets = zeros(n, 3);
  for (let r = 0; r < n; r++) {
    const c = r % 3;
    for (let k = 0; k < 3; k++) inputs.data[r * 3 + k] = (k === c ? 2 : 0) + 0.7 * rng.normal();
    targets.data[r * 3 + c] = 1;
  }
  return { inputs, targets };
}

const CFG: NetworkConfig = { inputs: 3, layers: [{ size: 6, unit: 'tanh' }, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 4 };

describe('train', () => {
  it('performs v ← μv − ε(g + λw), w ← w + v on full batches (weight decay on weights only)', () => {
    const data = blobs(30, 1);
    const net = createNetwork(CFG);
    const ref = net.copy();
    const lr = 0.1;
    const mu = 0.8;
    const lambda = 0.01;
    train(net, data, { epochs: 2, batchSize: 30, learningRate: lr, momentum: mu, weightDecay: lambda, seed: 3 });
    // The same two steps by hand on the reference copy.
    const ps = ref.params();
    const v = ps.map((p) => new Float64Array(p.values.length));
    for (let step = 0; step < 2; step++) {
      ref.forward(data.inputs);
      ref.backward(data.targets);
      ps.forEach((p, q) => {
        const decay = p.kind === 'weights' ? lambda : 0;
        for (let k = 0; k < p.values.length; k++) {
          v[q]![k] = mu * v[q]![k]! - lr * (p.grads[k]! + decay * p.values[k]!);
          p.values[k] = p.values[k]! + v[q]![k]!;
        }
      });
    }
    const a = net.getParams();
    const b = ref.getParams();
    for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(b[k]!, 12);
  });

  it('reduces the error, reports history with test metrics, and calls onEpoch', () => {
    const data = blobs(300, 2);
    const test = blobs(90, 3);
    const net = createNetwork(CFG);
    const seen: EpochStats[] = [];
    const history = train(net, data, {
      epochs: 15, batchSize: 16, learningRate: 0.1, momentum: 0.9, seed: 1, test, onEpoch: (s) => seen.push(s),
    });
    expect(history).toHaveLength(15);
    expect(seen).toEqual(history);
    expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const first = history[0]!;
    const last = history[14]!;
    expect(last.loss).toBeLessThan(first.loss);
    expect(last.accuracy).toBeGreaterThan(0.85);
    expect(last.testAccuracy).toBeGreaterThan(0.85);
    expect(last.testLoss).toBeCloseTo(evaluateNetwork(net, test).loss, 12);
    for (const h of history) expect(h.ms).toBeGreaterThanOrEqual(0);
  });

  it("trainMetrics 'full' re-evaluates the training set after each epoch", () => {
    const data = blobs(50, 5);
    const net = createNetwork(CFG);
    const h = train(net, data, { epochs: 1, batchSize: 7, learningRate: 0.05, trainMetrics: 'full' });
    const e = evaluateNetwork(net, data);
    expect(h[0]!.loss).toBeCloseTo(e.loss, 12);
    expect(h[0]!.accuracy).toBe(e.accuracy);
  });

  it('is repeatable from its seed and depends on it', () => {
    const data = blobs(60, 6);
    const run = (seed: number): Network => {
      const net = createNetwork(CFG);
      train(net, data, { epochs: 3, batchSize: 8, learningRate: 0.1, momentum: 0.5, seed });
      return net;
    };
    expect(Array.from(run(1).getParams())).toEqual(Array.from(run(1).getParams()));
    expect(Array.from(run(1).getParams())).not.toEqual(Array.from(run(2).getParams()));
  });

  it('rejects bad data and options, naming them', () => {
    const data = blobs(10, 1);
    const net = createNetwork(CFG);
    const opts = { epochs: 1, batchSize: 4, learningRate: 0.1 };
    expect(() => train(net, data, { ...opts, batchSize: 0 })).toThrow(ConfigError);
    expect(() => train(net, data, { ...opts, learningRate: -1 })).toThrow(/learningRate must be a positive number/);
    expect(() => train(net, data, { ...opts, momentum: 1 })).toThrow(/momentum must be in \[0, 1\)/);
    expect(() => train(net, { inputs: data.inputs, targets: zeros(9, 3) }, opts)).toThrow(ShapeError);
    expect(() => train(net, { inputs: zeros(10, 4), targets: data.targets }, opts)).toThrow(/data.inputs has 4 columns but the network has 3 inputs/);
    expect(() => train(net, { inputs: zeros(0, 3), targets: zeros(0, 3) }, opts)).toThrow(DataError);
    const bad = { inputs: data.inputs, targets: { ...data.targets, data: data.targets.data.slice() } };
    bad.targets.data[4] = NaN;
    expect(() => train(net, bad, opts)).toThrow(/data.targets row 1, column 1 is NaN/);
    expect(() => train(net, data, { ...opts, test: { inputs: zeros(2, 3), targets: zeros(2, 2) } })).toThrow(/options.test.targets has 2 columns/);
  });
});
