import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors';
import { fromRows, zeros, type Matrix } from '../src/matrix';
import { Rng } from '../src/rng';
import { getUnit, logistic, logisticDerivative, tanhDerivative, UNIT_NAMES, type UnitName } from '../src/units';

function apply(name: UnitName, x: Matrix): Matrix {
  const y = zeros(x.rows, x.cols);
  getUnit(name).forward(x, y);
  return y;
}

describe('unit forward passes', () => {
  it('compute the lecture formulas', () => {
    const x = fromRows([[-2, -0.5, 0, 0.5, 3]]);
    expect(Array.from(apply('linear', x).data)).toEqual([-2, -0.5, 0, 0.5, 3]);
    expect(Array.from(apply('relu', x).data)).toEqual([0, 0, 0, 0.5, 3]);
    const lg = apply('logistic', x).data;
    const th = apply('tanh', x).data;
    x.data.forEach((v, k) => {
      expect(lg[k]).toBeCloseTo(1 / (1 + Math.exp(-v)), 15);
      expect(th[k]).toBeCloseTo(Math.tanh(v), 15);
    });
    expect(logistic(0)).toBe(0.5);
  });

  it('logistic stays finite and in [0, 1] for inputs of ±1000', () => {
    expect(logistic(1000)).toBe(1);
    expect(logistic(-1000)).toBe(0);
    expect(logistic(-30)).toBeCloseTo(Math.exp(-30), 25);
  });

  it('softmax rows sum to one, ignore a common shift and stay finite at ±1000', () => {
    const x = fromRows([[1, 2, 3], [1000, -1000, 999], [-1000, -1000, -1000]]);
    const y = apply('softmax', x);
    for (let r = 0; r < 3; r++) {
      const row = Array.from(y.data.subarray(r * 3, r * 3 + 3));
      row.forEach((v) => expect(Number.isFinite(v)).toBe(true));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    }
    const e = [1, 2, 3].map(Math.exp);
    const s = e[0]! + e[1]! + e[2]!;
    expect(y.data[0]).toBeCloseTo(e[0]! / s, 15);
    expect(y.data[3]).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    expect(y.data[4]).toBe(0);
    expect(y.data[6]).toBeCloseTo(1 / 3, 15);
  });
});

describe('unit derivatives written through the output y', () => {
  it('match y(1 − y) and 1 − y²', () => {
    expect(logisticDerivative(0.25)).toBe(0.1875);
    expect(tanhDerivative(0.5)).toBe(0.75);
  });

  // Backward must equal the Jacobian-vector product (dy/dx)ᵀ·dE/dy; check it against central differences of forward.
  for (const name of UNIT_NAMES) {
    it(`${name}: backward(y, dE/dy) equals the finite-difference Jacobian-vector product`, () => {
      const rng = new Rng(7);
      const rows = 3;
      const cols = 4;
      const x = zeros(rows, cols);
      // Keep ReLU inputs away from its kink at 0.
      for (let k = 0; k < x.data.length; k++) {
        const v = rng.uniform(-2, 2);
        x.data[k] = name === 'relu' && Math.abs(v) < 0.1 ? v + Math.sign(v) * 0.2 : v;
      }
      const g = zeros(rows, cols);
      for (let k = 0; k < g.data.length; k++) g.data[k] = rng.uniform(-1, 1);
      const unit = getUnit(name);
      const y = apply(name, x);
      const dEdx = zeros(rows, cols);
      unit.backward(y, g, dEdx);
      const eps = 1e-6;
      for (let k = 0; k < x.data.length; k++) {
        const r = Math.floor(k / cols);
        const xp = { ...x, data: x.data.slice() };
        const xm = { ...x, data: x.data.slice() };
        xp.data[k] = xp.data[k]! + eps;
        xm.data[k] = xm.data[k]! - eps;
        const yp = apply(name, xp).data;
        const ym = apply(name, xm).data;
        // dE/dx_k = Σ_j (∂y_j/∂x_k) dE/dy_j over the outputs of the same case.
        let numeric = 0;
        for (let j = r * cols; j < (r + 1) * cols; j++) numeric += ((yp[j]! - ym[j]!) / (2 * eps)) * g.data[j]!;
        expect(Math.abs(dEdx.data[k]! - numeric)).toBeLessThan(1e-8);
      }
    });
  }

  it('softmax backward is y ⊙ (dE/dy − Σ y·dE/dy)', () => {
    const y = fromRows([[0.2, 0.3, 0.5]]);
    const g = fromRows([[1, -2, 0.5]]);
    const out = zeros(1, 3);
    getUnit('softmax').backward(y, g, out);
    const dot = 0.2 * 1 + 0.3 * -2 + 0.5 * 0.5;
    expect(out.data[0]).toBeCloseTo(0.2 * (1 - dot), 15);
    expect(out.data[1]).toBeCloseTo(0.3 * (-2 - dot), 15);
    expect(out.data[2]).toBeCloseTo(0.5 * (0.5 - dot), 15);
  });
});

describe('getUnit', () => {
  it('rejects unknown names with a ConfigError listing the known units', () => {
    expect(() => getUnit('foo')).toThrow(ConfigError);
    expect(() => getUnit('foo')).toThrow(/unknown unit "foo"; known units: linear, logistic, tanh, softmax, relu/);
  });

  it('rejects mismatched shapes naming the unit', () => {
    expect(() => getUnit('tanh').forward(zeros(2, 3), zeros(3, 2))).toThrow(/tanh.forward: x is 2×3 but y is 3×2/);
    expect(() => getUnit('softmax').backward(zeros(1, 3), zeros(1, 3), zeros(1, 2))).toThrow(/softmax.backward/);
  });
});
