import { describe, expect, it } from 'vitest';
import { gradientCheck } from '../src/gradcheck';
import type { LossName } from '../src/losses';
import { zeros, type Matrix } from '../src/matrix';
import { createNetwork, Network } from '../src/network';
import { Rng } from '../src/rng';
import { UNIT_NAMES, type UnitName } from '../src/units';

/**
 * Every hidden unit type × every (output unit, loss) pair that makes sense, on nets
 * with two hidden layers and a batch of several cases. Inputs are small random
 * numbers; for ReLU nets, gradientCheck itself marks entries whose ±ε evaluations
 * put some ReLU input on both sides of its kink at 0 and leaves them out of the
 * maximum (the test also requires that almost all entries were checked).
 */
const OUTPUT_LOSS: [UnitName, LossName][] = [
  ['linear', 'squared-error'],
  ['logistic', 'squared-error'],
  ['tanh', 'squared-error'],
  ['relu', 'squared-error'],
  ['softmax', 'squared-error'],
  ['logistic', 'cross-entropy'],
  ['softmax', 'softmax-cross-entropy'],
];

function randomMatrix(rows: number, cols: number, rng: Rng, scale: number): Matrix {
  const m = zeros(rows, cols);
  for (let k = 0; k < m.data.length; k++) m.data[k] = scale * rng.normal();
  return m;
}

function targetsFor(loss: LossName, rows: number, cols: number, rng: Rng): Matrix {
  const t = zeros(rows, cols);
  for (let r = 0; r < rows; r++) {
    if (loss === 'softmax-cross-entropy') t.data[r * cols + rng.int(cols)] = 1;
    else for (let j = 0; j < cols; j++) t.data[r * cols + j] = loss === 'cross-entropy' ? rng.int(2) : rng.uniform(0, 1);
  }
  return t;
}

describe('gradient check: backprop equals central finite differences (relative error < 1e-6)', () => {
  for (const hidden of UNIT_NAMES) {
    for (const [out, loss] of OUTPUT_LOSS) {
      it(`${hidden} hidden ×2, ${out} output, ${loss}`, () => {
        const rng = new Rng(hidden.length * 31 + out.length * 7 + loss.length);
        const net = createNetwork({
          inputs: 4,
          layers: [{ size: 5, unit: hidden }, { size: 4, unit: hidden }, { size: 3, unit: out }],
          loss,
          seed: 11,
        });
        // Non-zero biases so that no unit sits exactly at a symmetric point.
        for (const p of net.params()) if (p.kind === 'biases') for (let k = 0; k < p.values.length; k++) p.values[k] = 0.1 * rng.normal();
        const X = randomMatrix(6, 4, rng, 0.5);
        const T = targetsFor(loss, 6, 3, rng);
        const result = gradientCheck(net, X, T);
        expect(result.entries).toHaveLength(net.paramCount);
        expect(result.maxRelativeError).toBeLessThan(1e-6);
        expect(result.skippedKinks).toBeLessThanOrEqual(Math.floor(net.paramCount / 10));
        if (hidden !== 'relu' && out !== 'relu') expect(result.skippedKinks).toBe(0);
      });
    }
  }
});

describe('gradientCheck', () => {
  it('detects a wrong gradient', () => {
    class Faulty extends Network {
      override backward(target: Matrix): void {
        super.backward(target);
        this.layers[0]!.dEdW.data[2] = this.layers[0]!.dEdW.data[2]! * 1.01; // 1 % off
      }
    }
    const net = new Faulty({ inputs: 3, layers: [{ size: 4, unit: 'tanh' }, { size: 2, unit: 'linear' }], loss: 'squared-error', seed: 2 });
    const rng = new Rng(3);
    const result = gradientCheck(net, randomMatrix(5, 3, rng, 1), randomMatrix(5, 2, rng, 1));
    expect(result.maxRelativeError).toBeGreaterThan(0.005);
    expect(result.maxRelativeError).toBeLessThan(0.02);
    expect(result.worst).toMatchObject({ param: 'W1', index: 2 });
  });

  it('marks ReLU entries whose finite difference straddles a kink', () => {
    // One input, one ReLU unit whose summed input is 1e-7: w ± ε with ε = 1e-5 crosses 0.
    const net = createNetwork({ inputs: 1, layers: [{ size: 1, unit: 'relu' }, { size: 1, unit: 'linear' }], loss: 'squared-error' });
    net.layers[0]!.W.data[0] = 1e-7;
    net.layers[0]!.b[0] = 0;
    net.layers[1]!.W.data[0] = 1;
    const X = zeros(1, 1);
    X.data[0] = 1;
    const T = zeros(1, 1);
    T.data[0] = 1;
    const result = gradientCheck(net, X, T);
    const w1 = result.entries.find((e) => e.param === 'W1')!;
    expect(w1.kink).toBe(true);
    expect(result.skippedKinks).toBeGreaterThanOrEqual(1);
  });
});
