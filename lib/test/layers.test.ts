import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors';
import { gradientCheck } from '../src/gradcheck';
import { DenseLayer, isUnitLayer, type Layer } from '../src/layers';
import { zeros, type Matrix } from '../src/matrix';
import { createNetwork, Network } from '../src/network';
import { Rng } from '../src/rng';
import { train } from '../src/train';

function randomMatrix(rows: number, cols: number, rng: Rng, scale = 1): Matrix {
  const m = zeros(rows, cols);
  for (let k = 0; k < m.data.length; k++) m.data[k] = rng.normal() * scale;
  return m;
}

describe('layers as objects', () => {
  it("a {size, unit} layer and {type: 'dense', size, unit} build the same dense layer with the same seeded weights", () => {
    const a = createNetwork({ inputs: 5, layers: [{ size: 4, unit: 'tanh' }, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 4 });
    const b = createNetwork({ inputs: [5], layers: [{ type: 'dense', size: 4, unit: 'tanh' }, { type: 'dense', size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 4 });
    expect(Array.from(b.getParams())).toEqual(Array.from(a.getParams()));
    expect(a.layers[0]).toBeInstanceOf(DenseLayer);
    expect(b.layers.every((l) => isUnitLayer(l))).toBe(true);
    expect(a.layers.map((l) => l.kind)).toEqual(['dense', 'dense']);
  });

  it('every layer has forward, backward and params-and-grads; the network only strings them together', () => {
    const net: Network<Layer> = createNetwork({ inputs: [2, 3, 3], layers: [{ type: 'flatten' }, { size: 4, unit: 'logistic' }, { size: 2, unit: 'linear' }], loss: 'squared-error', seed: 2 });
    expect(net.layers.map((l) => [l.kind, l.size])).toEqual([['flatten', 18], ['dense', 4], ['dense', 2]]);
    expect(net.layers[0]!.params()).toEqual([]);
    expect(net.params().map((p) => p.name)).toEqual(['W2', 'b2', 'W3', 'b3']);
    const rng = new Rng(5);
    const X = randomMatrix(3, 18, rng);
    const T = randomMatrix(3, 2, rng);
    net.forward(X);
    expect(Array.from(net.layers[0]!.y.data)).toEqual(Array.from(X.data)); // flatten keeps the numbers
    expect(gradientCheck(net, X, T).maxRelativeError).toBeLessThan(1e-6);
  });

  it('train() drives any Network<Layer> through the same loop', () => {
    const net = createNetwork({ inputs: [1, 2, 2], layers: [{ type: 'flatten' }, { size: 3, unit: 'tanh' }, { size: 1, unit: 'linear' }], loss: 'squared-error', seed: 3 });
    const rng = new Rng(9);
    const X = randomMatrix(40, 4, rng);
    const T = zeros(40, 1);
    for (let r = 0; r < 40; r++) T.data[r] = X.data[r * 4]! - 0.5 * X.data[r * 4 + 3]!;
    const h = train(net, { inputs: X, targets: T }, { epochs: 30, batchSize: 8, learningRate: 0.05, momentum: 0.9 });
    expect(h[h.length - 1]!.loss).toBeLessThan(h[0]!.loss / 10);
  });

  it('bad layer specs name the layer and the problem', () => {
    const base = { inputs: 4, loss: 'squared-error' as const };
    expect(() => createNetwork({ ...base, layers: [{ type: 'conv3d' } as never, { size: 1, unit: 'linear' }] })).toThrow(ConfigError);
    expect(() => createNetwork({ ...base, layers: [{ type: 'conv3d' } as never, { size: 1, unit: 'linear' }] })).toThrow(/layers\[0\]\.type "conv3d" is unknown; known layer types: dense/);
    expect(() => createNetwork({ ...base, layers: [{ size: 2, unit: 'tanh' }, { type: 'flatten' }] })).toThrow(/output layer \(layers\[1\]\) is flatten/);
    expect(() => createNetwork({ ...base, inputs: [1, 0, 3], layers: [{ size: 1, unit: 'linear' }] })).toThrow(/inputs must be a positive integer or a shape \[C, H, W\].*got \[1, 0, 3\]/);
  });
});
