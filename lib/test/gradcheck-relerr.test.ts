import { describe, expect, it } from 'vitest';
import { gradientCheck, largestRelativeError, relativeError, RELATIVE_ERROR_TINY } from '../src/gradcheck';
import { fromRows } from '../src/matrix';
import { createNetwork } from '../src/network';

/**
 * One definition of the relative error for the whole kit (the notebook's text,
 * gradientCheck, and the homework's gradient-check question):
 * |a − n| / max(|a|, |n|, tiny), and the largest of them over a vector.
 */
describe('relative error: one definition', () => {
  it('is |a − n| / max(|a|, |n|, tiny)', () => {
    expect(relativeError(1, 1.1)).toBeCloseTo(0.1 / 1.1, 15);
    expect(relativeError(1.1, 1)).toBeCloseTo(0.1 / 1.1, 15); // symmetric
    expect(relativeError(-2, -2)).toBe(0);
    expect(relativeError(1, -1)).toBe(2); // opposite signs
    expect(relativeError(0, 0)).toBe(0);
    // Both tiny: the floor stops the ratio blowing up.
    expect(relativeError(1e-12, 3e-12)).toBeCloseTo(2e-12 / RELATIVE_ERROR_TINY, 15);
    expect(relativeError(1e-12, 3e-12, 1e-20)).toBeCloseTo(2 / 3, 12);
  });

  it('of a vector is the largest component-wise relative error', () => {
    expect(largestRelativeError([1, 2], [1, 2.2])).toBeCloseTo(0.2 / 2.2, 15);
    expect(() => largestRelativeError([1, 2], [1])).toThrow(/largestRelativeError/);
  });

  it('is what gradientCheck reports, entry by entry and as the maximum', () => {
    const net = createNetwork({ inputs: 3, layers: [{ size: 4, unit: 'tanh' }, { size: 2, unit: 'logistic' }], loss: 'cross-entropy', seed: 2 });
    const X = fromRows([[0.5, -1, 2], [0.1, 0.2, -0.3]]);
    const T = fromRows([[1, 0], [0, 1]]);
    const r = gradientCheck(net, X, T);
    for (const e of r.entries) expect(e.relativeError).toBe(relativeError(e.analytic, e.numeric));
    expect(r.maxRelativeError).toBe(largestRelativeError(r.entries.map((e) => e.analytic), r.entries.map((e) => e.numeric)));
  });
});
