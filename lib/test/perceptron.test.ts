import { describe, expect, it } from 'vitest';
import { nonSeparable2d, separable2d, xor } from '../src/data';
import { ConfigError, DataError, ShapeError } from '../src/errors';
import { fromRows } from '../src/matrix';
import { perceptron, perceptronPredict } from '../src/perceptron';

describe('perceptron convergence procedure', () => {
  it('follows the add/subtract rule with the bias as an extra input of 1', () => {
    // One case, label 0: w = 0 gives w·v = 0 ≥ 0 → output 1, wrong → subtract (2, −1, 1).
    // Second pass: w·v = −(4 + 1 + 1) < 0 → output 0, correct.
    const r = perceptron(fromRows([[2, -1]]), [0]);
    expect(Array.from(r.weights)).toEqual([-2, 1, -1]);
    expect(r.mistakesPerPass).toEqual([1, 0]);
    expect(r.passes).toBe(2);
    expect(r.converged).toBe(true);
    expect(Array.from(r.weightsPerPass[0]!)).toEqual([-2, 1, -1]);
  });

  it('adds the feature vector when the output is 0 but should be 1', () => {
    const r = perceptron(fromRows([[1, 3]]), [1], { initialWeights: [0, 0, -5] });
    expect(Array.from(r.weights)).toEqual([1, 3, -4]);
    expect(r.converged).toBe(true);
  });

  it('converges on separable data and then classifies every case correctly', () => {
    for (const seed of [undefined, 1, 2]) {
      const d = separable2d(60, 3);
      const r = perceptron(d.inputs, d.labels, { maxPasses: 1000, seed });
      expect(r.converged).toBe(true);
      expect(r.mistakesPerPass[r.passes - 1]).toBe(0);
      expect(r.weightsPerPass.length).toBe(r.passes);
      expect(Array.from(perceptronPredict(r.weights, d.inputs))).toEqual(Array.from(d.labels));
      expect(r.message).toMatch(/converged after \d+ pass/);
    }
  });

  it('reports non-convergence on XOR and on overlapping clouds', () => {
    const d = xor();
    const r = perceptron(d.inputs, d.labels, { maxPasses: 50 });
    expect(r.converged).toBe(false);
    expect(r.passes).toBe(50);
    expect(r.mistakesPerPass.every((m) => m > 0)).toBe(true);
    expect(r.message).toMatch(/did not converge within 50 passes/);
    expect(r.message).toMatch(/XOR/);
    const n = nonSeparable2d(30, 4);
    expect(perceptron(n.inputs, n.labels, { maxPasses: 200, seed: 9 }).converged).toBe(false);
  });

  it('is repeatable from its seed', () => {
    const d = separable2d(40, 8);
    const a = perceptron(d.inputs, d.labels, { seed: 5 });
    const b = perceptron(d.inputs, d.labels, { seed: 5 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.mistakesPerPass).toEqual(b.mistakesPerPass);
  });

  it('rejects bad input, naming the argument', () => {
    const f = fromRows([[0, 1], [1, 0]]);
    expect(() => perceptron(f, [0, 2])).toThrow(/labels\[1\] is 2/);
    expect(() => perceptron(f, [0])).toThrow(ShapeError);
    expect(() => perceptron(fromRows([]), [])).toThrow(DataError);
    const g = fromRows([[0, 1]]);
    g.data[1] = NaN;
    expect(() => perceptron(g, [1])).toThrow(/features\[0\]\[1\] is NaN/);
    expect(() => perceptron(f, [0, 1], { maxPasses: 0 })).toThrow(ConfigError);
    expect(() => perceptron(f, [0, 1], { initialWeights: [1, 2] })).toThrow(/initialWeights has 2 values/);
    expect(() => perceptronPredict([1, 2], f)).toThrow(ShapeError);
  });
});
