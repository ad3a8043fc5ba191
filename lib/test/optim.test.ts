import { describe, expect, it } from 'vitest';
import { Adam, adamStep, createNetwork, fromRows, train, xor, oneHot } from '../src';

describe('Adam', () => {
  it('one step (and a second) matches the numbers worked by hand', () => {
    // t = 1, g = (0.5, −0.1), ε = 0.1, β₁ = 0.9, β₂ = 0.999, ϵ̂ = 1e-8:
    //   m = 0.1·g = (0.05, −0.01), v = 0.001·g² = (0.00025, 0.00001),
    //   m̂ = m/0.1 = (0.5, −0.1), v̂ = v/0.001 = (0.25, 0.01),
    //   Δw = −0.1 · m̂/(√v̂ + 1e-8) = (−0.1·0.5/0.50000001, +0.1·0.1/0.10000001).
    const w = Float64Array.from([1, -2]);
    const m = new Float64Array(2);
    const v = new Float64Array(2);
    adamStep(w, Float64Array.from([0.5, -0.1]), m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0);
    expect(m[0]).toBeCloseTo(0.05, 15);
    expect(m[1]).toBeCloseTo(-0.01, 15);
    expect(v[0]).toBeCloseTo(0.00025, 15);
    expect(v[1]).toBeCloseTo(0.00001, 15);
    expect(w[0]).toBeCloseTo(1 - 0.05 / 0.50000001, 14); // 0.900000002
    expect(w[1]).toBeCloseTo(-2 + 0.01 / 0.10000001, 14); // −1.90000001
    // t = 2, g = (0.2, 0.3): m = 0.9·0.05 + 0.1·0.2 = 0.065, v = 0.999·0.00025 + 0.001·0.04 = 0.00028975,
    // m̂ = 0.065/(1 − 0.81), v̂ = 0.00028975/(1 − 0.998001).
    adamStep(w, Float64Array.from([0.2, 0.3]), m, v, 2, 0.1, 0.9, 0.999, 1e-8, 0);
    expect(m[0]).toBeCloseTo(0.065, 15);
    expect(v[0]).toBeCloseTo(0.00028975, 15);
    const w0 = 0.900000002 - (0.1 * (0.065 / 0.19)) / (Math.sqrt(0.00028975 / 0.001999) + 1e-8);
    expect(w[0]).toBeCloseTo(w0, 12);
    expect(w[0]).toBeCloseTo(0.8101424839, 9);
  });

  it('weight decay adds λw to the gradient of weights, not of biases', () => {
    const W = { values: Float64Array.from([2]), grads: Float64Array.from([0]), kind: 'weights' as const };
    const b = { values: Float64Array.from([2]), grads: Float64Array.from([0]), kind: 'biases' as const };
    const opt = new Adam([W, b], 0.01, {}, 0.5);
    opt.step();
    // g = 0 + 0.5·2 = 1 for the weight: the first Adam step is −ε·sign(g) (up to ϵ̂); the bias has g = 0 and stays.
    expect(W.values[0]).toBeCloseTo(2 - 0.01, 9);
    expect(b.values[0]).toBe(2);
    expect(opt.t).toBe(1);
  });

  it('rejects bad settings with clear messages', () => {
    const p = [{ values: new Float64Array(1), grads: new Float64Array(1) }];
    expect(() => new Adam(p, 0.1, { beta1: 1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(() => new Adam(p, -1)).toThrow(/learningRate must be positive/);
    const net = createNetwork({ inputs: 2, layers: [{ size: 1, unit: 'logistic' }], loss: 'cross-entropy' });
    const d = { inputs: fromRows([[0, 1]]), targets: fromRows([[1]]) };
    expect(() => train(net, d, { epochs: 1, batchSize: 1, learningRate: 0.1, optimizer: 'adam', momentum: 0.9 })).toThrow(/momentum applies to optimizer 'sgd'/);
    expect(() => train(net, d, { epochs: 1, batchSize: 1, learningRate: 0.1, optimizer: 'rmsprop' as 'adam' })).toThrow(/optimizer must be 'sgd' or 'adam'/);
  });

  it("train(..., { optimizer: 'adam' }) learns XOR and takes the same steps as Adam by hand", () => {
    const data = xor();
    const set = { inputs: data.inputs, targets: oneHot(data.labels, 2) };
    const spec = { inputs: 2, layers: [{ size: 4, unit: 'tanh' as const }, { size: 2, unit: 'softmax' as const }], loss: 'softmax-cross-entropy' as const, seed: 3 };
    const net = createNetwork(spec);
    const hist = train(net, set, { epochs: 300, batchSize: 4, learningRate: 0.05, optimizer: 'adam', seed: 1 });
    expect(hist[hist.length - 1]!.accuracy).toBe(1);
    expect(hist[hist.length - 1]!.loss).toBeLessThan(0.05);
    // Two full-batch epochs through train() equal two Adam steps taken by hand.
    const a = createNetwork(spec);
    const b = createNetwork(spec);
    train(a, set, { epochs: 2, batchSize: 4, learningRate: 0.05, optimizer: 'adam', seed: 1 });
    const opt = new Adam(b.params(), 0.05);
    for (let k = 0; k < 2; k++) {
      b.forward(set.inputs, { training: true });
      b.backward(set.targets);
      opt.step();
    }
    const pa = a.getParams();
    const pb = b.getParams();
    pa.forEach((x, k) => expect(x).toBeCloseTo(pb[k]!, 12));
  });
});
