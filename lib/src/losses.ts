import { ConfigError, ShapeError } from './errors';
import type { Matrix } from './matrix';
import type { UnitName } from './units';

/**
 * Error functions E(y, t) for one case, with their derivatives, as in Lecture 5.
 * `value` returns the MEAN of E over the cases of a batch (one case per row);
 * the derivative methods fill per-case derivatives ∂E_case/∂y (the network
 * averages the weight gradients over the batch).
 *
 *   squared-error          E = ½ Σ_j (y_j − t_j)²                     dE/dy_j = y_j − t_j
 *   cross-entropy          E = −Σ_j [t_j ln y_j + (1 − t_j) ln(1 − y_j)]   (logistic outputs)
 *                          dE/dy_j = (y_j − t_j) / (y_j(1 − y_j));  with dy/dx = y(1 − y): dE/dx_j = y_j − t_j
 *   softmax-cross-entropy  E = −Σ_j t_j ln y_j                          (softmax outputs)
 *                          dE/dy_j = −t_j / y_j;  through the softmax Jacobian: dE/dx_j = y_j − t_j
 *
 * Numerical stability: when the summed inputs x of the output units are given,
 * the cross-entropies are computed from x with softplus / log-sum-exp, which
 * stay finite for any finite x (±1000 included). Without x, logs of y are taken
 * after clamping y away from 0 and 1, so y = 0 or 1 gives a large finite
 * number, never NaN or Infinity.
 */
export type LossName = 'squared-error' | 'cross-entropy' | 'softmax-cross-entropy';

export const LOSS_NAMES: readonly LossName[] = ['squared-error', 'cross-entropy', 'softmax-cross-entropy'];

export interface Loss {
  readonly name: LossName;
  /**
   * The output unit whose derivative cancels against this loss, so that
   * dE/dx = y − t (logistic for cross-entropy, softmax for softmax-cross-entropy);
   * null for squared error, which works with any output unit.
   */
  readonly pairedUnit: UnitName | null;
  /** Mean over the batch of E(y, t). x (the output units' summed inputs), if given, is used for a stable value. */
  value(y: Matrix, t: Matrix, x?: Matrix): number;
  /** Per-case dE/dy (step 1 of backpropagation). x, if given, sharpens the value where y rounds to 0 or 1. */
  dEdy(y: Matrix, t: Matrix, out: Matrix, x?: Matrix): void;
  /** Per-case combined dE/dx for the paired output unit (undefined for squared error). */
  dEdx?(y: Matrix, t: Matrix, out: Matrix): void;
}

/** Smallest value logs and divisions see, so that y = 0 or 1 gives finite results. */
const TINY = 1e-300;

/** softplus(x) = ln(1 + e^x), computed as max(x, 0) + ln(1 + e^(−|x|)) so it never overflows. */
export function softplus(x: number): number {
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** ln Σ_j e^(x_j) over one row of a matrix, with the row maximum subtracted first. */
export function logSumExpRow(x: Matrix, row: number): number {
  const n = x.cols;
  const o = row * n;
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (x.data[o + j]! > max) max = x.data[o + j]!;
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(x.data[o + j]! - max);
  return max + Math.log(s);
}

/** out ← y − t, the error derivative shared by several loss/unit pairs. */
function outputMinusTarget(where: string, y: Matrix, t: Matrix, out: Matrix): void {
  check(where, y, t, out, 'out');
  const len = y.rows * y.cols;
  for (let i = 0; i < len; i++) out.data[i] = y.data[i]! - t.data[i]!;
}

function check(where: string, y: Matrix, t: Matrix, other?: Matrix, otherName = 'x'): void {
  if (y.rows !== t.rows || y.cols !== t.cols) {
    throw new ShapeError(where, `output y is ${y.rows}×${y.cols} but target t is ${t.rows}×${t.cols}`);
  }
  if (other && (other.rows !== y.rows || other.cols !== y.cols)) {
    throw new ShapeError(where, `${otherName} is ${other.rows}×${other.cols} but output y is ${y.rows}×${y.cols}`);
  }
  if (y.rows === 0) throw new ShapeError(where, 'the batch is empty (0 cases)');
}

const squaredError: Loss = {
  name: 'squared-error',
  pairedUnit: null,
  value(y, t) {
    check('squared-error.value', y, t);
    let s = 0;
    const len = y.rows * y.cols;
    for (let i = 0; i < len; i++) {
      const d = y.data[i]! - t.data[i]!;
      s += d * d;
    }
    return (0.5 * s) / y.rows;
  },
  dEdy(y, t, out) {
    // E = ½Σ(y − t)², so dE/dy = y − t.
    outputMinusTarget('squared-error.dEdy', y, t, out);
  },
};

const crossEntropy: Loss = {
  name: 'cross-entropy',
  pairedUnit: 'logistic',
  value(y, t, x) {
    check('cross-entropy.value', y, t, x);
    const len = y.rows * y.cols;
    let s = 0;
    if (x) {
      // With y = σ(x): −ln y = softplus(−x) and −ln(1 − y) = softplus(x), so
      // E = t·softplus(−x) + (1 − t)·softplus(x) = softplus(x) − t·x.
      for (let i = 0; i < len; i++) s += softplus(x.data[i]!) - t.data[i]! * x.data[i]!;
    } else {
      for (let i = 0; i < len; i++) {
        const yi = y.data[i]!;
        const ti = t.data[i]!;
        // Skip a term whose weight is 0 so that 0·ln 0 counts as 0.
        if (ti !== 0) s -= ti * Math.log(Math.max(yi, TINY));
        if (ti !== 1) s -= (1 - ti) * Math.log(Math.max(1 - yi, TINY));
      }
    }
    return s / y.rows;
  },
  dEdy(y, t, out, x) {
    check('cross-entropy.dEdy', y, t, out, 'out');
    if (x) check('cross-entropy.dEdy', y, t, x);
    const len = y.rows * y.cols;
    for (let i = 0; i < len; i++) {
      const yi = y.data[i]!;
      // y(1 − y) = σ(x)σ(−x); from x it stays positive even where y rounds to 1.
      let v = yi * (1 - yi);
      if (x) {
        const xi = x.data[i]!;
        const e = Math.exp(-Math.abs(xi));
        v = e / ((1 + e) * (1 + e));
      }
      out.data[i] = (yi - t.data[i]!) / Math.max(v, TINY);
    }
  },
  dEdx(y, t, out) {
    // dE/dx = dE/dy · y(1 − y) = (y − t)/(y(1 − y)) · y(1 − y) = y − t.
    outputMinusTarget('cross-entropy.dEdx', y, t, out);
  },
};

const softmaxCrossEntropy: Loss = {
  name: 'softmax-cross-entropy',
  pairedUnit: 'softmax',
  value(y, t, x) {
    check('softmax-cross-entropy.value', y, t, x);
    const n = y.cols;
    let s = 0;
    for (let r = 0, o = 0; r < y.rows; r++, o += n) {
      if (x) {
        // −ln y_j = ln Σ_k e^(x_k) − x_j  (log-sum-exp with the maximum subtracted).
        const lse = logSumExpRow(x, r);
        for (let j = 0; j < n; j++) {
          const tj = t.data[o + j]!;
          if (tj !== 0) s += tj * (lse - x.data[o + j]!);
        }
      } else {
        for (let j = 0; j < n; j++) {
          const tj = t.data[o + j]!;
          if (tj !== 0) s -= tj * Math.log(Math.max(y.data[o + j]!, TINY));
        }
      }
    }
    return s / y.rows;
  },
  dEdy(y, t, out) {
    check('softmax-cross-entropy.dEdy', y, t, out, 'out');
    const len = y.rows * y.cols;
    for (let i = 0; i < len; i++) out.data[i] = -t.data[i]! / Math.max(y.data[i]!, TINY);
  },
  dEdx(y, t, out) {
    check('softmax-cross-entropy.dEdx', y, t, out, 'out');
    // dE/dx_i = Σ_j y_j(δ_ij − y_i)(−t_j/y_j) = y_i Σ_j t_j − t_i, which is y_i − t_i for a one-hot target.
    const n = y.cols;
    for (let r = 0, o = 0; r < y.rows; r++, o += n) {
      let sumT = 0;
      for (let j = 0; j < n; j++) sumT += t.data[o + j]!;
      for (let j = 0; j < n; j++) out.data[o + j] = y.data[o + j]! * sumT - t.data[o + j]!;
    }
  },
};

const LOSSES: Record<LossName, Loss> = {
  'squared-error': squaredError,
  'cross-entropy': crossEntropy,
  'softmax-cross-entropy': softmaxCrossEntropy,
};

/** True when name is one of the loss names the library knows. */
export function isLossName(name: unknown): name is LossName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(LOSSES, name);
}

/** The loss called name; throws a ConfigError listing the known names otherwise. */
export function getLoss(name: string): Loss {
  if (!isLossName(name)) {
    throw new ConfigError('getLoss', `unknown loss "${name}"; known losses: ${LOSS_NAMES.join(', ')}`);
  }
  return LOSSES[name];
}
