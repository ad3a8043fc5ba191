import { describe, expect, it } from 'vitest';
import { formatTrace, fractionImproving, gradientNormsPerLayer } from '../src/lecture';
import { createNetwork } from '../src/network';
import { train } from '../src/train';
import { xor } from '../src/data';

const xorNet = () =>
  createNetwork({ inputs: 2, layers: [{ size: 2, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 3 });

describe('gradientNormsPerLayer', () => {
  it('gives the rms of each layer\'s dE/dW on the batch', () => {
    const net = xorNet();
    const data = xor();
    const norms = gradientNormsPerLayer(net, data.inputs, data.targets);
    expect(norms).toHaveLength(2);
    net.layers.forEach((layer, l) => {
      const g = Array.from(layer.dEdW.data);
      expect(norms[l]).toBeCloseTo(Math.sqrt(g.reduce((s, v) => s + v * v, 0) / g.length), 12);
      expect(norms[l]).toBeGreaterThan(0);
    });
  });
});

describe('fractionImproving', () => {
  it('leaves the weights unchanged and finds big perturbations of a trained net almost never help', () => {
    const net = xorNet();
    const data = xor();
    train(net, data, { epochs: 1500, batchSize: 4, learningRate: 0.5, momentum: 0.9, seed: 1 });
    const before = net.getParams();
    const [tiny, big] = fractionImproving(net, data, { scales: [1e-4, 3], trials: 200, seed: 2 });
    expect(Array.from(net.getParams())).toEqual(Array.from(before));
    expect(big).toBeLessThan(0.1);
    expect(tiny).toBeGreaterThan(big!);
  });

  it('rejects a non-positive number of trials', () => {
    expect(() => fractionImproving(xorNet(), xor(), { scales: [1], trials: 0 })).toThrow(/trials/);
  });
});

describe('formatTrace', () => {
  it('prints the forward pass and the three steps with the trace\'s numbers', () => {
    const net = xorNet();
    const t = net.trace([1, 0], [1]);
    const text = formatTrace(t);
    expect(text).toContain('Step 1');
    expect(text).toContain('Step 2');
    expect(text).toContain('Step 3');
    expect(text).toContain(t.loss.toFixed(6));
    expect(text).toContain(t.step1.dEdx[0]!.toFixed(4));
  });
});

