import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../src/errors';
import { getLoss, softplus } from '../src/losses';
import { fromRows, zeros, type Matrix } from '../src/matrix';
import { getUnit } from '../src/units';

function outputs(unit: 'logistic' | 'softmax', x: Matrix): Matrix {
  const y = zeros(x.rows, x.cols);
  getUnit(unit).forward(x, y);
  return y;
}

const allFinite = (a: ArrayLike<number>): boolean => Array.from(a).every(Number.isFinite);

describe('squared error', () => {
  it('is ½Σ(y − t)² averaged over the cases, with dE/dy = y − t', () => {
    const loss = getLoss('squared-error');
    const y = fromRows([[1, 2], [0, 0]]);
    const t = fromRows([[0, 0], [1, 1]]);
    expect(loss.value(y, t)).toBeCloseTo((0.5 * (1 + 4) + 0.5 * (1 + 1)) / 2, 15);
    const g = zeros(2, 2);
    loss.dEdy(y, t, g);
    expect(Array.from(g.data)).toEqual([1, 2, -1, -1]);
    expect(loss.dEdx).toBeUndefined();
  });
});

describe('cross-entropy for logistic outputs', () => {
  const loss = getLoss('cross-entropy');

  it('computed from x (softplus) equals −Σ[t ln y + (1 − t) ln(1 − y)]', () => {
    const x = fromRows([[-2, 0.3], [1.5, -0.7]]);
    const t = fromRows([[0, 1], [1, 0.25]]);
    const y = outputs('logistic', x);
    let e = 0;
    for (let k = 0; k < 4; k++) {
      const yi = y.data[k]!;
      const ti = t.data[k]!;
      e -= ti * Math.log(yi) + (1 - ti) * Math.log(1 - yi);
    }
    expect(loss.value(y, t, x)).toBeCloseTo(e / 2, 14);
    expect(loss.value(y, t)).toBeCloseTo(e / 2, 14);
  });

  it('has dE/dy = (y − t)/(y(1 − y)) and combined dE/dx = y − t = y(1 − y)·dE/dy', () => {
    const x = fromRows([[-1, 0.5, 2]]);
    const t = fromRows([[1, 0, 1]]);
    const y = outputs('logistic', x);
    const gy = zeros(1, 3);
    const gx = zeros(1, 3);
    loss.dEdy(y, t, gy, x);
    loss.dEdx!(y, t, gx);
    for (let k = 0; k < 3; k++) {
      const yi = y.data[k]!;
      expect(gy.data[k]).toBeCloseTo((yi - t.data[k]!) / (yi * (1 - yi)), 12);
      expect(gx.data[k]).toBeCloseTo(yi - t.data[k]!, 15);
      expect(gx.data[k]).toBeCloseTo(yi * (1 - yi) * gy.data[k]!, 12);
    }
    // dE/dy is the derivative of E with respect to y (central difference on the y-form of E).
    const eps = 1e-7;
    const yp = { ...y, data: y.data.slice() };
    const ym = { ...y, data: y.data.slice() };
    yp.data[1] = yp.data[1]! + eps;
    ym.data[1] = ym.data[1]! - eps;
    expect((loss.value(yp, t) - loss.value(ym, t)) / (2 * eps)).toBeCloseTo(gy.data[1]!, 6);
    expect(loss.pairedUnit).toBe('logistic');
  });

  it('stays finite for inputs of ±1000 and for y exactly 0 or 1', () => {
    const x = fromRows([[1000, -1000, 1000, -1000]]);
    const t = fromRows([[0, 1, 1, 0]]);
    const y = outputs('logistic', x);
    expect(Array.from(y.data)).toEqual([1, 0, 1, 0]);
    // Two confidently wrong outputs cost 1000 each, two right ones cost ~0.
    expect(loss.value(y, t, x)).toBeCloseTo(2000, 9);
    const fromY = loss.value(y, t);
    expect(Number.isFinite(fromY)).toBe(true);
    expect(fromY).toBeGreaterThan(1000);
    const gy = zeros(1, 4);
    loss.dEdy(y, t, gy, x);
    expect(allFinite(gy.data)).toBe(true);
    loss.dEdy(y, t, gy);
    expect(allFinite(gy.data)).toBe(true);
    const gx = zeros(1, 4);
    loss.dEdx!(y, t, gx);
    expect(Array.from(gx.data)).toEqual([1, -1, 0, 0]);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
  });
});

describe('softmax cross-entropy', () => {
  const loss = getLoss('softmax-cross-entropy');

  it('equals −Σ t ln y, and dE/dx = y − t is the softmax Jacobian applied to dE/dy = −t/y', () => {
    const x = fromRows([[0.1, -1, 2], [0.5, 0.5, -0.3]]);
    const t = fromRows([[0, 0, 1], [1, 0, 0]]);
    const y = outputs('softmax', x);
    const e = -(Math.log(y.data[2]!) + Math.log(y.data[3]!)) / 2;
    expect(loss.value(y, t, x)).toBeCloseTo(e, 14);
    expect(loss.value(y, t)).toBeCloseTo(e, 14);
    const gy = zeros(2, 3);
    const gx = zeros(2, 3);
    const chain = zeros(2, 3);
    loss.dEdy(y, t, gy);
    loss.dEdx!(y, t, gx);
    getUnit('softmax').backward(y, gy, chain);
    for (let k = 0; k < 6; k++) {
      expect(gx.data[k]).toBeCloseTo(y.data[k]! - t.data[k]!, 15);
      expect(chain.data[k]).toBeCloseTo(gx.data[k]!, 12);
    }
  });

  it('stays finite for inputs of ±1000', () => {
    const x = fromRows([[1000, -1000, 0], [-1000, -1000, 1000]]);
    const t = fromRows([[0, 1, 0], [0, 0, 1]]);
    const y = outputs('softmax', x);
    expect(allFinite(y.data)).toBe(true);
    // Case 1: ln Σe^x − x_1 = 1000 − (−1000) = 2000; case 2: ≈ 0.
    expect(loss.value(y, t, x)).toBeCloseTo(1000, 9);
    expect(Number.isFinite(loss.value(y, t))).toBe(true);
    const gy = zeros(2, 3);
    loss.dEdy(y, t, gy);
    expect(allFinite(gy.data)).toBe(true);
    const gx = zeros(2, 3);
    loss.dEdx!(y, t, gx);
    expect(allFinite(gx.data)).toBe(true);
  });
});

describe('getLoss and shape checks', () => {
  it('rejects unknown names listing the known losses', () => {
    expect(() => getLoss('hinge')).toThrow(ConfigError);
    expect(() => getLoss('hinge')).toThrow(/squared-error, cross-entropy, softmax-cross-entropy/);
  });
  it('rejects y and t of different shapes and empty batches', () => {
    expect(() => getLoss('squared-error').value(zeros(2, 3), zeros(2, 2))).toThrow(ShapeError);
    expect(() => getLoss('cross-entropy').value(zeros(2, 3), zeros(3, 3))).toThrow(/output y is 2×3 but target t is 3×3/);
    expect(() => getLoss('squared-error').value(zeros(0, 3), zeros(0, 3))).toThrow(/empty/);
  });
});
