/**
 * The perceptron convergence procedure from the lecture.
 *
 * A binary threshold unit outputs 1 when z = Σ_i w_i v_i ≥ 0 and 0 otherwise.
 * The threshold is folded into the weights: every feature vector gets an
 * extra component v_{n+1} = 1 whose weight is the bias b = −threshold, so
 * "Σ w_i v_i ≥ threshold" becomes "w·v ≥ 0". (We output 1 at exactly z = 0;
 * with all-zero starting weights every case therefore starts out as a 1.)
 *
 * Training cases are picked by a policy that keeps visiting every case: full
 * passes over the data, in row order or in a fresh seeded random order per
 * pass. For each case:
 *   - output correct            → leave the weights alone;
 *   - output 0 but should be 1  → add the feature vector to the weights;
 *   - output 1 but should be 0  → subtract the feature vector.
 * There is no learning rate. If some weight vector classifies every case
 * correctly (the data are linearly separable), the procedure is guaranteed to
 * reach one; otherwise (XOR, for example) it never stops making mistakes.
 */
import { ConfigError, DataError, ShapeError } from './errors';
import { Matrix } from './matrix';
import { Rng } from './rng';

export interface PerceptronOptions {
  /** Give up after this many passes over the data (default 100). */
  maxPasses?: number;
  /** When given, each pass visits the cases in a new random order drawn from this seed; otherwise in row order. */
  seed?: number;
  /** Starting weights (n + 1 values, last = bias); default all zero. */
  initialWeights?: ArrayLike<number>;
}

export interface PerceptronResult {
  /** n + 1 weights: one per feature, the last one the bias (= −threshold). */
  weights: Float64Array;
  /** Passes made, including the final pass without mistakes when converged. */
  passes: number;
  /** True when a whole pass made no mistake: every training case is classified correctly. */
  converged: boolean;
  /** Number of weight changes (mistakes) in each pass. */
  mistakesPerPass: number[];
  /** A copy of the weights after each pass, for drawing the decision line pass by pass. */
  weightsPerPass: Float64Array[];
  /** A sentence saying what happened. */
  message: string;
  /**
   * The cycle the run fell into, found by `findWeightCycle(weightsPerPass, initialWeights)`:
   * only with a fixed case order (no `seed`), where the weights at the start of a pass
   * determine the whole pass, so equal weights at two pass boundaries prove that the run
   * repeats itself from then on. Null when no pass boundary repeated, when the run
   * converged, or when the cases were visited in random order (then equal weights prove nothing:
   * the next pass's order differs).
   */
  cycle: WeightCycle | null;
}

/** A repeat of the weight vector at pass boundaries: after pass `to` the weights equal those after pass `from`. */
export interface WeightCycle {
  /** The earlier pass (0 = the starting weights, before pass 1). */
  from: number;
  /** The first pass whose weights had been seen before. */
  to: number;
  /** to − from: the number of passes after which the run repeats. */
  period: number;
  /** The repeated weight vector. */
  weights: Float64Array;
}

/**
 * The first repeat among the starting weights and the weights after each pass, or null.
 * For a deterministic procedure (fixed case order) a repeat means the run cycles forever
 * with this period; the caller must make sure the order was fixed.
 */
export function findWeightCycle(weightsPerPass: readonly ArrayLike<number>[], initialWeights?: ArrayLike<number>): WeightCycle | null {
  const states = initialWeights === undefined ? [...weightsPerPass] : [initialWeights, ...weightsPerPass];
  const offset = initialWeights === undefined ? 1 : 0;
  const seen = new Map<string, number>();
  for (let k = 0; k < states.length; k++) {
    const key = Array.from(states[k]!).join(',');
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      return { from: earlier + offset, to: k + offset, period: k - earlier, weights: Float64Array.from(states[k]!) };
    }
    seen.set(key, k);
  }
  return null;
}

/** w·v for case i, with v = (features of row i, 1). */
function score(w: Float64Array, f: Matrix, i: number): number {
  const n = f.cols;
  const off = i * n;
  let z = w[n]!; // bias × the constant input 1
  for (let j = 0; j < n; j++) z += w[j]! * f.data[off + j]!;
  return z;
}

function checkFeatures(where: string, features: Matrix): void {
  if (features.rows === 0) throw new DataError(where, 'features has no rows; give at least one training case');
  for (let k = 0; k < features.data.length; k++) {
    const v = features.data[k]!;
    if (!Number.isFinite(v)) {
      throw new DataError(where, `features[${Math.floor(k / features.cols)}][${k % features.cols}] is ${v}; every value must be finite`);
    }
  }
}

/** Runs the perceptron convergence procedure on features (one case per row) with 0/1 labels. */
export function perceptron(features: Matrix, labels: ArrayLike<number>, options: PerceptronOptions = {}): PerceptronResult {
  const where = 'perceptron';
  checkFeatures(where, features);
  const m = features.rows;
  const n = features.cols;
  if (labels.length !== m) throw new ShapeError(where, `features has ${m} rows but labels has ${labels.length} entries`);
  for (let i = 0; i < m; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new DataError(where, `labels[${i}] is ${labels[i]}; a perceptron needs labels 0 or 1`);
  }
  const maxPasses = options.maxPasses ?? 100;
  if (!Number.isInteger(maxPasses) || maxPasses < 1) throw new ConfigError(where, `options.maxPasses is ${maxPasses}; it must be a positive integer`);

  const w = new Float64Array(n + 1);
  if (options.initialWeights !== undefined) {
    if (options.initialWeights.length !== n + 1) {
      throw new ShapeError(where, `options.initialWeights has ${options.initialWeights.length} values but needs ${n + 1} (${n} features + bias)`);
    }
    w.set(Array.from(options.initialWeights));
  }
  const start = w.slice();
  const rng = options.seed === undefined ? null : new Rng(options.seed);
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;

  const mistakesPerPass: number[] = [];
  const weightsPerPass: Float64Array[] = [];
  let converged = false;
  while (!converged && mistakesPerPass.length < maxPasses) {
    if (rng !== null) rng.shuffle(order);
    let mistakes = 0;
    for (let k = 0; k < m; k++) {
      const i = order[k]!;
      const y = score(w, features, i) >= 0 ? 1 : 0;
      const t = labels[i]!;
      if (y === t) continue;
      // Output 0 but should be 1: add v. Output 1 but should be 0: subtract v.
      const sign = t === 1 ? 1 : -1;
      const off = i * n;
      for (let j = 0; j < n; j++) w[j] += sign * features.data[off + j]!;
      w[n] += sign;
      mistakes++;
    }
    mistakesPerPass.push(mistakes);
    weightsPerPass.push(w.slice());
    converged = mistakes === 0;
  }
  const passes = mistakesPerPass.length;
  const total = mistakesPerPass.reduce((a, b) => a + b, 0);
  const cycle = converged || rng !== null ? null : findWeightCycle(weightsPerPass, start);
  const message = converged
    ? `converged after ${passes} pass${passes === 1 ? '' : 'es'} (${total} weight update${total === 1 ? '' : 's'}): every training case is classified correctly`
    : `did not converge within ${maxPasses} passes: the last pass still misclassified ${mistakesPerPass[passes - 1]} of ${m} cases. ` +
      'If no line (hyperplane) separates the two classes — XOR, for example — the procedure never converges; ' +
      'otherwise allow more passes (options.maxPasses).' +
      (cycle === null
        ? ''
        : ` The weights after pass ${cycle.to} equal those ${cycle.from === 0 ? 'at the start' : `after pass ${cycle.from}`}: ` +
          `with the fixed case order the run repeats itself every ${cycle.period} pass${cycle.period === 1 ? '' : 'es'} from then on.`);
  return { weights: w, passes, converged, mistakesPerPass, weightsPerPass, message, cycle };
}

/** The binary threshold unit's outputs (1 when w·(v, 1) ≥ 0) for every row of features. */
export function perceptronPredict(weights: ArrayLike<number>, features: Matrix): Uint8Array {
  if (weights.length !== features.cols + 1) {
    throw new ShapeError('perceptronPredict', `weights has ${weights.length} values but features has ${features.cols} columns (+1 for the bias)`);
  }
  const w = Float64Array.from(weights);
  const out = new Uint8Array(features.rows);
  for (let i = 0; i < features.rows; i++) out[i] = score(w, features, i) >= 0 ? 1 : 0;
  return out;
}
