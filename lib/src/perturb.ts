import { ConfigError } from './errors';
import type { Network } from './network';
import { zeros } from './matrix';
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
  /** Backward passes used so far (backpropFullBatch only). */
  backwardPasses?: number;
}

export interface PerturbOneOptions {
  /** Budget of forward passes, including the first evaluation (default 1000). */
  passes?: number;
  /** Standard deviation of the random change of the chosen weight (default 0.5). */
  stepSize?: number;
  /** Seed of the random choices (default 1). */
  seed?: number;
  /** Stop as soon as the error at the current weights is ≤ this (default: run the whole budget). */
  targetError?: number;
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
  /** Stop as soon as the error at the current weights is ≤ this (default: run the whole budget). */
  targetError?: number;
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

  const target = options.targetError ?? -Infinity;
  let error = net.loss(data.inputs, data.targets);
  let used = 1;
  const history: PerturbRecord[] = [{ forwardPasses: used, error }];
  while (used < passes && !(error <= target)) {
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

  const target = options.targetError ?? -Infinity;
  let error = net.loss(data.inputs, data.targets);
  let used = 1;
  const history: PerturbRecord[] = [{ forwardPasses: used, error }];
  while (used + 2 <= passes && !(error <= target)) {
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

export interface BackpropFullBatchOptions {
  /** Budget of forward passes (default 1000); every step is one forward and one backward pass. */
  passes?: number;
  /** Step size ε of w ← w − ε·∂E/∂w (default 1). */
  learningRate?: number;
  /** Stop as soon as the error at the current weights is ≤ this (default: run the whole budget). */
  targetError?: number;
}

/**
 * Backpropagation as the slide compares it with perturbation: plain gradient
 * descent on the whole training set, no momentum, no mini-batches. Each step is
 * one forward pass (which also gives E at the current weights, recorded before
 * the step) and one backward pass, then w ← w − ε·∂E/∂w. The records count
 * forward passes like the perturbation procedures do; `backwardPasses` says how
 * many backward passes came with them (a backward pass costs about two forward
 * passes: the products dE/dX·W and dE/dXᵀ·Y).
 */
export function backpropFullBatch(net: Network, data: Dataset, options: BackpropFullBatchOptions = {}): PerturbRecord[] {
  const where = 'backpropFullBatch';
  const passes = options.passes ?? 1000;
  const lr = options.learningRate ?? 1;
  positive(where, 'passes', passes, true);
  positive(where, 'learningRate', lr);
  const target = options.targetError ?? -Infinity;
  const params = net.params();
  const history: PerturbRecord[] = [];
  for (let used = 1; used <= passes; used++) {
    const error = net.loss(data.inputs, data.targets);
    history.push({ forwardPasses: used, backwardPasses: used - 1, error });
    if (error <= target || used === passes) break;
    net.backward(data.targets);
    for (const p of params) {
      const w = p.values;
      const g = p.grads;
      for (let k = 0; k < w.length; k++) w[k] = w[k]! - lr * g[k]!;
    }
  }
  return history;
}

/** The forward passes after which the error first was ≤ target, or null if it never was. */
export function passesToReach(history: readonly PerturbRecord[], target: number): number | null {
  for (const h of history) if (h.error <= target) return h.forwardPasses;
  return null;
}

export type LearningMethod = 'backprop' | 'perturb-one' | 'perturb-all';

/** One problem of the comparison: a network factory (same starting weights on every call) and its training set. */
export interface ComparisonTask {
  makeNet: () => Network;
  data: Dataset;
}

export interface ForwardPassComparisonOptions {
  /** The sizes to compare (e.g. numbers of inputs or of hidden units). */
  sizes: readonly number[];
  /** The network and data for one size. */
  task: (size: number) => ComparisonTask;
  /** The fixed error every method must reach. */
  targetError: number;
  /** Most forward passes any one run may use (default 20000). */
  budget?: number;
  /** Step sizes ε tried for backpropagation (default [0.3, 1, 3, 10]). */
  backpropRates?: readonly number[];
  /** Standard deviations tried for perturb-one (default [0.1, 0.3, 1]). */
  stepSizes?: readonly number[];
  /** Step sizes ε tried for perturb-all (default [0.01, 0.03, 0.1, 0.3, 1]). */
  perturbAllRates?: readonly number[];
  /** δ of perturb-all (default 1e-3). */
  delta?: number;
  /** Seeds of the perturbation procedures; the median over seeds is reported (default [1, 2, 3]). */
  seeds?: readonly number[];
}

export interface MethodResult {
  /** Forward passes to reach the target with the best setting (median over seeds), or null if no setting reached it within the budget. */
  passes: number | null;
  /** Backward passes that came with them (backpropagation: one per step; 0 for the perturbation procedures). */
  backwardPasses: number;
  /** The setting (step size) that needed the fewest passes, or null. */
  setting: number | null;
  /** Error at the current weights after every forward pass, for that setting and the first seed (for plotting). */
  history: PerturbRecord[];
}

export interface ForwardPassRow {
  size: number;
  /** Number of weights and biases N. */
  weights: number;
  backprop: MethodResult;
  perturbOne: MethodResult;
  perturbAll: MethodResult;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Tries every setting (and seed) of one method; keeps the setting with the fewest
 * passes to the target. Once some setting has reached the target in P passes, later
 * runs get at most 3P passes (a setting needing more could not have a smaller median).
 */
function bestSetting(
  settings: readonly number[],
  seeds: readonly number[],
  budget: number,
  run: (setting: number, seed: number, passes: number) => PerturbRecord[],
  target: number,
): MethodResult {
  let best: MethodResult = { passes: null, backwardPasses: 0, setting: null, history: [] };
  for (const setting of settings) {
    const cap = best.passes === null ? budget : Math.min(budget, Math.ceil(3 * best.passes));
    const counts: number[] = [];
    let first: PerturbRecord[] | null = null;
    for (const seed of seeds) {
      const h = run(setting, seed, cap);
      first ??= h;
      const n = passesToReach(h, target);
      if (n === null) break; // a seed that misses the target disqualifies the setting
      counts.push(n);
    }
    if (best.setting === null && best.history.length === 0) best.history = first ?? [];
    if (counts.length < seeds.length) continue;
    const passes = median(counts);
    if (best.passes === null || passes < best.passes) {
      const backward = first?.[first.length - 1]?.backwardPasses;
      best = { passes, backwardPasses: backward === undefined ? 0 : passes - 1, setting, history: first ?? [] };
    }
  }
  return best;
}

/**
 * The slide's cost comparison, measured: for nets of several sizes, the number of
 * forward passes over the training set that backpropagation (full batch, no
 * momentum), perturbing one weight and perturbing all weights need to bring the
 * training error down to a fixed value. Every method gets the same starting
 * weights and the same budget, and for each method the best step size of a small
 * grid is reported (the perturbation procedures: the median over a few seeds, a
 * setting counting only if every seed reached the target), so no method loses
 * for want of tuning.
 */
export function compareForwardPasses(options: ForwardPassComparisonOptions): ForwardPassRow[] {
  const where = 'compareForwardPasses';
  const budget = options.budget ?? 20000;
  positive(where, 'budget', budget, true);
  if (!Number.isFinite(options.targetError)) throw new ConfigError(where, `targetError must be a finite number, got ${String(options.targetError)}`);
  if (options.sizes.length === 0) throw new ConfigError(where, 'sizes is empty; give at least one network size');
  const target = options.targetError;
  const seeds = options.seeds ?? [1, 2, 3];
  const delta = options.delta ?? 1e-3;
  return options.sizes.map((size) => {
    const { makeNet, data } = options.task(size);
    const weights = makeNet().paramCount;
    const backprop = bestSetting(options.backpropRates ?? [0.3, 1, 3, 10], [0], budget, (lr, _seed, passes) =>
      backpropFullBatch(makeNet(), data, { passes, learningRate: lr, targetError: target }), target);
    const perturbOne = bestSetting(options.stepSizes ?? [0.1, 0.3, 1], seeds, budget, (stepSize, seed, passes) =>
      perturbOneWeight(makeNet(), data, { passes, stepSize, seed, targetError: target }), target);
    const perturbAll = bestSetting(options.perturbAllRates ?? [0.01, 0.03, 0.1, 0.3, 1], seeds, budget, (lr, seed, passes) =>
      perturbAllWeights(makeNet(), data, { passes: Math.max(3, passes), delta, learningRate: lr, seed, targetError: target }), target);
    return { size, weights, backprop, perturbOne, perturbAll };
  });
}

/**
 * A classification task whose difficulty grows with the number of inputs d: n cases
 * with inputs drawn from N(0, 1)^d, labelled 1 when w*·x > 0 for a random "teacher"
 * direction w* (seeded). Every input weight matters, so a net on it has to adjust
 * all its weights, not a few.
 */
export function teacherTask(inputs: number, cases: number, seed = 1): Dataset {
  const where = 'teacherTask';
  positive(where, 'inputs', inputs, true);
  positive(where, 'cases', cases, true);
  const rng = new Rng(seed);
  const teacher = Array.from({ length: inputs }, () => rng.normal());
  const X = zeros(cases, inputs);
  const T = zeros(cases, 1);
  for (let r = 0; r < cases; r++) {
    let z = 0;
    for (let i = 0; i < inputs; i++) {
      const v = rng.normal();
      X.data[r * inputs + i] = v;
      z += v * teacher[i]!;
    }
    T.data[r] = z > 0 ? 1 : 0;
  }
  return { inputs: X, targets: T };
}
