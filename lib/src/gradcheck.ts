import { ConfigError, ShapeError } from './errors';
import type { Matrix } from './matrix';
import type { Layer } from './layers/layer';
import type { Network } from './network';

/**
 * Gradient check: compares the derivatives computed by backpropagation with
 * central finite differences of the mean error E(w) = net.loss(inputs, targets):
 *
 *     D(h) = (E(w + h e_k) − E(w − h e_k)) / (2h)               (error c·h² + O(h⁴))
 *     numeric_k = (4·D(ε/2) − D(ε)) / 3                          (Richardson: the h² terms cancel)
 *     relative error = |analytic − numeric| / max(|analytic|, |numeric|, tiny)
 *
 * THE RELATIVE ERROR used everywhere in the course kit (this function, the
 * Lecture 5 notebook's text and the homework's gradient-check question) is
 *
 *     relErr(a, n) = |a − n| / max(|a|, |n|, tiny),   tiny = 1e-8 by default,
 *
 * exported as `relativeError(a, n, tiny?)`. It is symmetric in a and n, lies in
 * [0, 2] (0 only when a = n, at most 1 when a and n have the same sign, 2 for
 * a = −n). For whole
 * gradient vectors the kit reports the LARGEST component-wise relative error,
 * `largestRelativeError(a, n, tiny?)` = max_k relErr(a_k, n_k) (what
 * `gradientCheck(...).maxRelativeError` is). Example: a = [1, 2], n = [1, 2.2]
 * gives max(0, 0.2/2.2) = 0.0909… Defaults: ε = 1e-3 with Richardson
 * extrapolation, i.e. 4 forward passes per parameter (w ± ε, w ± ε/2); the
 * truncation error is then O(ε⁴) and a correct backward pass on a small net in
 * float64 gives relative errors of about 1e-10 or smaller, a wrong one 1e-2 or
 * worse. With `richardson: false` the default is ε = 1e-5, 2 passes per
 * parameter, and correct gradients give about 1e-7 or smaller (the Lecture 5
 * notebook measures both on its tiny 2-2-1 net: about 1e-12 and 1e-10).
 *
 * Why Richardson: a plain central difference must trade its O(ε²) truncation
 * error against the rounding error of E (about 1e-16·E/ε); for derivatives of
 * order 1e-6 no single ε gets both below 1e-6 relative. Cancelling the ε² term
 * allows a larger ε (1e-3), which makes rounding negligible. Set
 * `richardson: false` for the plain two-point formula D(ε).
 *
 * `tiny` stops the ratio blowing up for derivatives that are zero or nearly so
 * (both estimates then agree to rounding error only in absolute terms).
 *
 * ReLU kinks: E is not differentiable where a ReLU's summed input x is exactly 0,
 * and the finite difference is wrong if w ± ε puts some x on both sides of 0.
 * For every parameter the check records the sign pattern of x in every ReLU layer
 * at each perturbed point (w ± ε, w ± ε/2); if any sign differs between them the
 * entry is marked `kink: true` and
 * left out of maxRelativeError (the count is reported as `skippedKinks`). Every layer
 * reports its own pieces through Layer.kinks() (ReLU signs, the winners of a max pool).
 */

export interface GradCheckEntry {
  /** Parameter name as in net.params(): 'W1', 'b1', … */
  param: string;
  /** Index into that parameter's values. */
  index: number;
  analytic: number;
  numeric: number;
  relativeError: number;
  /** True when w ± ε moved some ReLU input across 0 (entry excluded from the maximum). */
  kink: boolean;
}

export interface GradCheckResult {
  /** Largest relative error over the entries that are not at a ReLU kink. */
  maxRelativeError: number;
  /** The entry where it occurs (null if every entry was skipped). */
  worst: GradCheckEntry | null;
  /** Number of entries left out because of a ReLU kink. */
  skippedKinks: number;
  entries: GradCheckEntry[];
}

export interface GradCheckOptions {
  /** Finite-difference step ε (default 1e-3 with Richardson extrapolation, 1e-5 without). */
  epsilon?: number;
  /** Combine the steps ε and ε/2 to cancel the O(ε²) error (default true). */
  richardson?: boolean;
  /** Floor of the relative-error denominator (default 1e-8). */
  tiny?: number;
}

/** Default floor of the relative-error denominator. */
export const RELATIVE_ERROR_TINY = 1e-8;

/**
 * The kit's relative error between an analytic derivative a and a numeric
 * estimate n: |a − n| / max(|a|, |n|, tiny) (see the module comment).
 */
export function relativeError(a: number, n: number, tiny: number = RELATIVE_ERROR_TINY): number {
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), tiny);
}

/** max_k relativeError(a[k], n[k], tiny): the kit's relative error of two gradient vectors. */
export function largestRelativeError(a: ArrayLike<number>, n: ArrayLike<number>, tiny: number = RELATIVE_ERROR_TINY): number {
  if (a.length !== n.length) {
    throw new ShapeError('largestRelativeError', `a has ${a.length} components but n has ${n.length}`);
  }
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, relativeError(a[k]!, n[k]!, tiny));
  return worst;
}

/** Which piece of every piecewise layer the last forward pass used (ReLU signs, max-pool winners), appended to out. */
function kinkPattern(net: Network<Layer>, out: number[]): void {
  for (const l of net.layers) l.kinks?.(out);
}

/** Checks every weight and bias of net on the batch (inputs, targets); see the module comment. */
export function gradientCheck(net: Network<Layer>, inputs: Matrix, targets: Matrix, options: GradCheckOptions = {}): GradCheckResult {
  const richardson = options.richardson ?? true;
  const eps = options.epsilon ?? (richardson ? 1e-3 : 1e-5);
  const tiny = options.tiny ?? RELATIVE_ERROR_TINY;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new ConfigError('gradientCheck', `epsilon must be a positive number, got ${eps}`);
  if (!(tiny > 0)) throw new ConfigError('gradientCheck', `tiny must be a positive number, got ${tiny}`);

  net.loss(inputs, targets);
  net.backward(targets);
  const analytic = net.getGrads();
  const probe: number[] = [];
  kinkPattern(net, probe);
  const hasRelu = probe.length > 0; // some layer is piecewise (ReLU units, max pooling)

  const entries: GradCheckEntry[] = [];
  let maxRelativeError = 0;
  let worst: GradCheckEntry | null = null;
  let skippedKinks = 0;
  let flat = 0;
  for (const p of net.params()) {
    for (let k = 0; k < p.values.length; k++, flat++) {
      const w = p.values[k]!;
      const signs: number[][] = [];
      // E at w + h e_k; records the ReLU sign pattern there when the net has ReLUs.
      const errorAt = (h: number): number => {
        p.values[k] = w + h;
        const e = net.loss(inputs, targets);
        if (hasRelu) {
          const s: number[] = [];
          kinkPattern(net, s);
          signs.push(s);
        }
        return e;
      };
      const central = (h: number): number => (errorAt(h) - errorAt(-h)) / (2 * h);
      const dFull = central(eps);
      const numeric = richardson ? (4 * central(eps / 2) - dFull) / 3 : dFull;
      p.values[k] = w;
      const a = analytic[flat]!;
      const relErr = relativeError(a, numeric, tiny);
      const kink = hasRelu && signs.some((pattern) => pattern.some((v, i) => v !== signs[0]![i]));
      const entry: GradCheckEntry = { param: p.name, index: k, analytic: a, numeric, relativeError: relErr, kink };
      entries.push(entry);
      if (kink) skippedKinks++;
      else if (relErr >= maxRelativeError) {
        maxRelativeError = relErr;
        worst = entry;
      }
    }
  }
  // Leave the network's gradient buffers as backprop computed them.
  net.loss(inputs, targets);
  net.backward(targets);
  return { maxRelativeError, worst, skippedKinks, entries };
}
