import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors';
import { gradientCheck } from '../src/gradcheck';
import { lenet5 } from '../src/layers';
import { zeros, type Matrix } from '../src/matrix';
import { createNetwork } from '../src/network';
import { Rng } from '../src/rng';
import { train } from '../src/train';

// The worker thread runs the compiled library (lib/dist/parallel-worker.js), which the
// root `npm install`/`npm run build` produces before the tests run.

function digits(rows: number, seed: number): { inputs: Matrix; targets: Matrix } {
  const rng = new Rng(seed);
  const inputs = zeros(rows, 784);
  const targets = zeros(rows, 10);
  for (let r = 0; r < rows; r++) {
    const label = rng.int(10);
    targets.data[r * 10 + label] = 1;
    // A blurry bar whose position encodes the label, plus noise: learnable, cheap to make.
    for (let k = 0; k < 784; k++) inputs.data[r * 784 + k] = Math.max(0, (Math.floor(k / 28) % 10 === label ? 0.8 : 0) + 0.2 * rng.normal());
  }
  return { inputs, targets };
}

describe('two threads (net.setThreads(2)): the batch split in halves, the same gradients', () => {
  it('loss, outputs and gradients of a LeNet-5 batch equal the one-thread ones', () => {
    const one = lenet5({ seed: 3 });
    const two = lenet5({ seed: 3 });
    expect(two.setThreads(2)).toBe(2);
    expect(two.threads).toBe(2);
    const { inputs, targets } = digits(33, 1); // odd: halves of 17 and 16
    const l1 = one.loss(inputs, targets);
    one.backward(targets);
    const y1 = Array.from(one.forward(inputs).data);
    const l2 = two.loss(inputs, targets);
    two.backward(targets);
    expect(two.batchSize).toBe(33);
    expect(l2).toBeCloseTo(l1, 13);
    const g1 = one.getGrads();
    const g2 = two.getGrads();
    let worst = 0;
    for (let k = 0; k < g1.length; k++) worst = Math.max(worst, Math.abs(g1[k]! - g2[k]!) / Math.max(1e-3, Math.abs(g1[k]!)));
    expect(worst).toBeLessThan(1e-10);
    const y2 = two.forward(inputs);
    expect(y2.rows).toBe(33);
    y1.forEach((v, k) => expect(Math.abs(v - y2.data[k]!)).toBeLessThan(1e-13));
    expect(two.layers[0]!.y.rows).toBe(17); // this thread's half
    two.setThreads(1);
    expect(two.threads).toBe(1);
  });

  it('train() on two threads gives the same weights as on one (up to rounding)', () => {
    const data = digits(200, 2);
    const opts = { epochs: 1, batchSize: 32, learningRate: 0.05, momentum: 0.9, seed: 4 };
    const one = lenet5({ seed: 5 });
    const two = lenet5({ seed: 5 });
    two.setThreads(2);
    const h1 = train(one, data, opts);
    const h2 = train(two, data, opts);
    expect(h2[0]!.loss).toBeCloseTo(h1[0]!.loss, 10);
    expect(h2[0]!.accuracy).toBe(h1[0]!.accuracy);
    const p1 = one.getParams();
    const p2 = two.getParams();
    let worst = 0;
    for (let k = 0; k < p1.length; k++) worst = Math.max(worst, Math.abs(p1[k]! - p2[k]!));
    expect(worst).toBeLessThan(1e-9);
    two.setThreads(1);
  });

  it('gradient check passes on a split batch of a dense net; small batches stay on one thread', () => {
    const net = createNetwork({ inputs: 4, layers: [{ size: 3, unit: 'tanh' }, { size: 2, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 2 });
    expect(net.setThreads(2)).toBe(2);
    const rng = new Rng(8);
    const X = zeros(10, 4);
    for (let k = 0; k < X.data.length; k++) X.data[k] = rng.normal();
    const T = zeros(10, 2);
    for (let r = 0; r < 10; r++) T.data[r * 2 + rng.int(2)] = 1;
    expect(gradientCheck(net, X, T).maxRelativeError).toBeLessThan(1e-6);
    net.forward({ rows: 3, cols: 4, data: X.data.subarray(0, 12) });
    expect(net.layers[0]!.y.rows).toBe(3); // not split
    expect(() => net.setThreads(3 as never)).toThrow(ConfigError);
    net.setThreads(1);
  });
});
