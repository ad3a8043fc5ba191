import { ConfigError } from './errors';
import type { Network } from './network';
import { Rng } from './rng';
import type { Dataset } from './train';

/**
 * Learning by perturbing weights — the two ideas on the Lecture 5 slide that
 * come before backpropagation. Both only ever run the network forwards, and both
 * count their forward passes (one pass = one forward over the whole training set
 * given), so a notebook can compare their cost with backprop (one forward and one
 * backward pass per gradient).
 *
 * (a) perturbOneWeight: change one randomly chosen weight by a random amount;
 *     keep the change if the error on the training set went down, else undo it.
 * (b) perturbAllWeights: change all weights at once by a random perturbation p and
 *     correlate the change in error with the weight changes. To first order
 *     ΔE = E(w + p) − E(w) ≈ Σ_k (∂E/∂w_k) p_k, and for independent p_k with variance
 *     δ² the average of ΔE·p_k is δ²·∂E/∂w_k; so ΔE·p/δ² estimates the gradient and
 *     the weights move by −ε·ΔE·p/δ². The estimate of each ∂E/∂w_k is buried in the
 *     noise of all the other weights' changes — the slide's point.
 */

export interface PerturbRecord {
  /** Forward passes over the training set used so far (the initial evaluation counts as one). */
  forwardPasses: number;
  /** Mean training error per case at the current weights. */
  error: number;
}

export interface PerturbOneOptions {
  /** Budget of forward passes, including the first evaluation (default 1000). */
  passes?: number;
  /** Standard deviation of the random change of the chosen weight (default 0.5). */
  stepSize?: number;
  /** Seed of the random choices (default 1). */
  seed?: number;
}

export interface PerturbAllOptions {
  /** Budget of forward passes, including the first evaluation (default 1000). */
  passes?: number;
  /** Size δ of each weight's perturbation (default 0.01). */
  delta?: number;
  /** Step size ε of the move −ε·ΔE·p/δ² (default 2). */
  learningRate?: number;
  /** 'sign': each p_k = ±δ with equal chance (default); 'gaussian': p_k ~ N(0, δ²). */
  distribution?: 'sign' | 'gaussian';
  /** Seed of the random perturbations (default 1). */
  seed?: number;
}

function positive(where: string, name: string, v: number, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ConfigError(where, `${name} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`);
  }
}

/**
 * Variant (a): each trial perturbs one random weight or bias by N(0, stepSize²),
 * evaluates the training error (one forward pass) and keeps the change only if the
 * error decreased. Returns the error after every trial (with the initial error first).
 */
export function perturbOneWeight(net: Network, data: Dataset, options: PerturbOneOptions = {}): PerturbRecord[] {
  const where = 'perturbOneWeight';
  const passes = options.passes ?? 1000;
  const stepSize = options.stepSize ?? 0.5;
  positive(where, 'passes', passes, true);
  positive(where, 'stepSize', stepSize);
  const rng = new Rng(options.seed ?? 1);
  const params = net.params();
  const total = net.paramCount;

  let error = net.loss(data.inputs, data.targets);
  let used = 1;
  const history: PerturbRecord[] = [{ forwardPasses: used, error }];
  while (used < passes) {
    // Pick a weight uniformly among all parameters.
    let k = rng.int(total);
    let p = 0;
    while (k >= params[p]!.values.length) k -= params[p++]!.values.length;
    const values = params[p]!.values;
    const old = values[k]!;
    values[k] = old + stepSize * rng.normal();
    const trial = net.loss(data.inputs, data.targets);
    used++;
    if (trial < error) error = trial; // keep the improvement
    else values[k] = old; // undo
    history.push({ forwardPasses: used, error });
  }
  return history;
}

/**
 * Variant (b): each step perturbs all weights by p (one forward pass for E(w + p)),
 * moves them by −ε·ΔE·p/δ² with ΔE = E(w + p) − E(w), and evaluates the error at
 * the new weights (a second forward pass, which is also the next step's E(w)).
 * Returns the error after every step (with the initial error first).
 */
export function perturbAllWeights(net: Network, data: Dataset, options: PerturbAllOptions = {}): PerturbRecord[] {
  const where = 'perturbAllWeights';
  const passes = options.passes ?? 1000;
  const delta = options.delta ?? 0.01;
  const lr = options.learningRate ?? 2;
  const distribution = options.distribution ?? 'sign';
  positive(where, 'passes', passes, true);
  positive(where, 'delta', delta);
  positive(where, 'learningRate', lr);
  if (distribution !== 'sign' && distribution !== 'gaussian') {
    throw new ConfigError(where, `distribution must be 'sign' or 'gaussian', got ${String(distribution)}`);
  }
  const rng = new Rng(options.seed ?? 1);
  const params = net.params();
  const perturbation = params.map((p) => new Float64Array(p.values.length));

  let error = net.loss(data.inputs, data.targets);
  let used = 1;
  const history: PerturbRecord[] = [{ forwardPasses: used, error }];
  while (used + 2 <= passes) {
    // w ← w + p
    for (let q = 0; q < params.length; q++) {
      const w = params[q]!.values;
      const pq = perturbation[q]!;
      for (let k = 0; k < w.length; k++) {
        const pk = distribution === 'sign' ? (rng.next() < 0.5 ? -delta : delta) : delta * rng.normal();
        pq[k] = pk;
        w[k] = w[k]! + pk;
      }
    }
    const dE = net.loss(data.inputs, data.targets) - error;
    used++;
    // Undo the perturbation and move along the estimated downhill direction: w ← w − ε·ΔE·p/δ².
    const scale = (lr * dE) / (delta * delta);
    for (let q = 0; q < params.length; q++) {
      const w = params[q]!.values;
      const pq = perturbation[q]!;
      for (let k = 0; k < w.length; k++) w[k] = w[k]! - pq[k]! - scale * pq[k]!;
    }
    error = net.loss(data.inputs, data.targets);
    used++;
    history.push({ forwardPasses: used, error });
  }
  return history;
}
