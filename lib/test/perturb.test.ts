import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors';
import { fromRows, type Matrix } from '../src/matrix';
import { Network, type NetworkConfig } from '../src/network';
import { perturbAllWeights, perturbOneWeight } from '../src/perturb';

const XOR = { inputs: fromRows([[0, 0], [0, 1], [1, 0], [1, 1]]), targets: fromRows([[0], [1], [1], [0]]) };
const CFG: NetworkConfig = { inputs: 2, layers: [{ size: 2, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'squared-error', seed: 1 };

/** A network that counts its forward passes (each call here covers the whole training set). */
class Counting extends Network {
  passes = 0;
  override forward(input: Matrix): Matrix {
    this.passes++;
    return super.forward(input);
  }
}

describe('learning by perturbing one weight', () => {
  it('lowers the error on XOR, never accepts a worse error, and counts forward passes', () => {
    const net = new Counting(CFG);
    const start = net.loss(XOR.inputs, XOR.targets);
    net.passes = 0;
    const history = perturbOneWeight(net, XOR, { passes: 2000, stepSize: 0.5, seed: 1 });
    expect(net.passes).toBe(2000);
    expect(history).toHaveLength(2000);
    expect(history.map((h) => h.forwardPasses)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(history[0]!.error).toBeCloseTo(start, 15);
    for (let i = 1; i < history.length; i++) expect(history[i]!.error).toBeLessThanOrEqual(history[i - 1]!.error);
    const end = history[history.length - 1]!.error;
    expect(end).toBeLessThan(0.01);
    expect(Array.from(net.predict(XOR.inputs))).toEqual([0, 1, 1, 0]);
    // The reported error is the error of the weights the net is left with.
    expect(net.loss(XOR.inputs, XOR.targets)).toBeCloseTo(end, 15);
  });
});

describe('learning by perturbing all weights in parallel', () => {
  for (const distribution of ['sign', 'gaussian'] as const) {
    it(`(${distribution}) lowers the error on XOR and counts two forward passes per step`, () => {
      const net = new Counting(CFG);
      const start = net.loss(XOR.inputs, XOR.targets);
      net.passes = 0;
      const history = perturbAllWeights(net, XOR, { passes: 4001, delta: 0.01, learningRate: 2, distribution, seed: 2 });
      expect(net.passes).toBe(4001);
      expect(history).toHaveLength(2001);
      expect(history.map((h) => h.forwardPasses)).toEqual(Array.from({ length: 2001 }, (_, i) => 1 + 2 * i));
      const end = history[history.length - 1]!.error;
      expect(history[0]!.error).toBeCloseTo(start, 15);
      expect(start).toBeGreaterThan(0.1);
      expect(end).toBeLessThan(0.005);
      expect(Array.from(net.predict(XOR.inputs))).toEqual([0, 1, 1, 0]);
      expect(net.loss(XOR.inputs, XOR.targets)).toBeCloseTo(end, 15);
    });
  }

  it('is repeatable from its seed', () => {
    const a = perturbAllWeights(new Network(CFG), XOR, { passes: 101, seed: 5 });
    const b = perturbAllWeights(new Network(CFG), XOR, { passes: 101, seed: 5 });
    expect(a).toEqual(b);
  });

  it('rejects bad options', () => {
    expect(() => perturbAllWeights(new Network(CFG), XOR, { delta: 0 })).toThrow(ConfigError);
    expect(() => perturbAllWeights(new Network(CFG), XOR, { distribution: 'uniform' as never })).toThrow(/distribution must be 'sign' or 'gaussian'/);
    expect(() => perturbOneWeight(new Network(CFG), XOR, { passes: 1.5 })).toThrow(/passes must be a positive integer/);
  });
});
