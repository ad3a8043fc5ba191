import { ConfigError, ShapeError } from './errors';
import type { Matrix } from './matrix';

/**
 * Neuron types of Lecture 5. A unit turns its summed input x (the "logit",
 * x_j = b_j + Σ_i y_i w_ij) into its output y. As on the slides, every
 * derivative is written through the output y, so the backward pass needs only
 * the outputs stored by the forward pass:
 *
 *   linear    y = x                         dy/dx = 1
 *   logistic  y = 1 / (1 + e^(−x))          dy/dx = y(1 − y)
 *   tanh      y = tanh(x)                   dy/dx = 1 − y²
 *   relu      y = max(0, x)                 dy/dx = 1 if y > 0, else 0
 *   softmax   y_j = e^(x_j) / Σ_k e^(x_k)   ∂y_j/∂x_i = y_j(δ_ij − y_i)   (a whole row at a time)
 */
export type UnitName = 'linear' | 'logistic' | 'tanh' | 'softmax' | 'relu';

/** The unit names the library knows, in the order used by error messages and notebooks. */
export const UNIT_NAMES: readonly UnitName[] = ['linear', 'logistic', 'tanh', 'softmax', 'relu'];

export interface Unit {
  readonly name: UnitName;
  /** y ← f(x), case by case (one case per row). x and y may be the same matrix. */
  forward(x: Matrix, y: Matrix): void;
  /**
   * dE/dx ← (dy/dx)ᵀ · dE/dy for every case, with dy/dx written through the output y.
   * For the element-wise units this is dE/dx_j = f'(y_j)·dE/dy_j; for softmax it is the
   * full Jacobian-vector product dE/dx_i = y_i (dE/dy_i − Σ_j y_j dE/dy_j).
   */
  backward(y: Matrix, dEdy: Matrix, dEdx: Matrix): void;
}

/** The logistic function y = 1/(1 + e^(−x)), evaluated without overflow for any x. */
export function logistic(x: number): number {
  // For x < 0, e^(−x) may overflow; the equivalent form e^x/(1 + e^x) does not.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** dy/dx of the logistic unit written through its output: y(1 − y). */
export function logisticDerivative(y: number): number {
  return y * (1 - y);
}

/** dy/dx of the tanh unit written through its output: 1 − y². */
export function tanhDerivative(y: number): number {
  return 1 - y * y;
}

/** dy/dx of the rectified linear unit written through its output: 1 where y > 0, else 0. */
export function reluDerivative(y: number): number {
  return y > 0 ? 1 : 0;
}

function sameShape(where: string, a: Matrix, aName: string, b: Matrix, bName: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeError(where, `${aName} is ${a.rows}×${a.cols} but ${bName} is ${b.rows}×${b.cols}`);
  }
}

/** Builds a unit whose output depends on its own input only (every unit except softmax). */
function elementwise(name: UnitName, f: (x: number) => number, dydx: (y: number) => number): Unit {
  return {
    name,
    forward(x, y) {
      sameShape(`${name}.forward`, x, 'x', y, 'y');
      const xd = x.data;
      const yd = y.data;
      const len = x.rows * x.cols;
      for (let i = 0; i < len; i++) yd[i] = f(xd[i]!);
    },
    backward(y, dEdy, dEdx) {
      sameShape(`${name}.backward`, y, 'y', dEdy, 'dEdy');
      sameShape(`${name}.backward`, y, 'y', dEdx, 'dEdx');
      const yd = y.data;
      const gy = dEdy.data;
      const gx = dEdx.data;
      const len = y.rows * y.cols;
      for (let i = 0; i < len; i++) gx[i] = dydx(yd[i]!) * gy[i]!;
    },
  };
}

const linear: Unit = {
  name: 'linear',
  forward(x, y) {
    sameShape('linear.forward', x, 'x', y, 'y');
    if (x.data !== y.data) y.data.set(x.data.subarray(0, x.rows * x.cols));
  },
  backward(y, dEdy, dEdx) {
    sameShape('linear.backward', y, 'y', dEdy, 'dEdy');
    sameShape('linear.backward', y, 'y', dEdx, 'dEdx');
    if (dEdy.data !== dEdx.data) dEdx.data.set(dEdy.data.subarray(0, y.rows * y.cols));
  },
};

/**
 * Softmax over each row. Subtracting the row maximum before exponentiating
 * leaves y unchanged (it cancels in the ratio) and keeps every e^(x − max) ≤ 1,
 * so inputs of ±1000 give finite outputs.
 */
const softmax: Unit = {
  name: 'softmax',
  forward(x, y) {
    sameShape('softmax.forward', x, 'x', y, 'y');
    const n = x.cols;
    const xd = x.data;
    const yd = y.data;
    for (let r = 0, o = 0; r < x.rows; r++, o += n) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) if (xd[o + j]! > max) max = xd[o + j]!;
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(xd[o + j]! - max);
        yd[o + j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = 0; j < n; j++) yd[o + j] = yd[o + j]! * inv;
    }
  },
  backward(y, dEdy, dEdx) {
    sameShape('softmax.backward', y, 'y', dEdy, 'dEdy');
    sameShape('softmax.backward', y, 'y', dEdx, 'dEdx');
    // dE/dx_i = Σ_j (∂y_j/∂x_i) dE/dy_j = Σ_j y_j(δ_ij − y_i) dE/dy_j = y_i (dE/dy_i − Σ_j y_j dE/dy_j).
    const n = y.cols;
    const yd = y.data;
    const gy = dEdy.data;
    const gx = dEdx.data;
    for (let r = 0, o = 0; r < y.rows; r++, o += n) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += yd[o + j]! * gy[o + j]!;
      for (let i = 0; i < n; i++) gx[o + i] = yd[o + i]! * (gy[o + i]! - dot);
    }
  },
};

const UNITS: Record<UnitName, Unit> = {
  linear,
  logistic: elementwise('logistic', logistic, logisticDerivative),
  tanh: elementwise('tanh', Math.tanh, tanhDerivative),
  softmax,
  relu: elementwise('relu', (x) => (x > 0 ? x : 0), reluDerivative),
};

/** True when name is one of the unit names the library knows. */
export function isUnitName(name: unknown): name is UnitName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(UNITS, name);
}

/** The unit called name; throws a ConfigError listing the known names otherwise. */
export function getUnit(name: string): Unit {
  if (!isUnitName(name)) {
    throw new ConfigError('getUnit', `unknown unit "${name}"; known units: ${UNIT_NAMES.join(', ')}`);
  }
  return UNITS[name];
}

/**
 * The softmax Jacobian for one case, written through the outputs y:
 * J[i][j] = ∂y_i/∂x_j = y_i(δ_ij − y_j). Rows i (outputs), columns j (inputs).
 * `softmax.backward` never forms it (it computes Jᵀ·dE/dy in O(n)); this is
 * for looking at and checking the formula.
 */
export function softmaxJacobian(y: ArrayLike<number>): number[][] {
  const n = y.length;
  if (n === 0) throw new ShapeError('softmaxJacobian', 'y is empty; give the outputs of at least one softmax unit');
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => y[i]! * ((i === j ? 1 : 0) - y[j]!)));
}

/** The softmax of one vector x (the row maximum subtracted first, as in the unit). */
export function softmaxOf(x: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let j = 0; j < x.length; j++) max = Math.max(max, x[j]!);
  const e = Array.from(x, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
