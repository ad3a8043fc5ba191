/**
 * Small experiments the Lecture 5 notebook runs, kept here because their loops
 * would be slow at the top level of a notebook cell.
 */
import { ConfigError } from './errors';
import { largestRelativeError } from './gradcheck';
import { zeros, type Matrix } from './matrix';
import { createNetwork, type BackpropTrace, type Network } from './network';
import { compareForwardPasses, teacherTask, type ComparisonTask, type ForwardPassRow } from './perturb';
import type { Figure } from './plot';
import { Rng } from './rng';
import { softmaxJacobian, softmaxOf } from './units';

/**
 * Root-mean-square error derivative of each layer's weights on a batch:
 * sqrt(mean_ij (dE/dw_ij)^2) for layer l = 0 (input→first hidden) upwards.
 * Shows that derivatives for weights far from the output are usually smaller.
 */
export function gradientNormsPerLayer(net: Network, inputs: Matrix, targets: Matrix): number[] {
  net.loss(inputs, targets);
  net.backward(targets);
  return net.layers.map((layer) => {
    const g = layer.dEdW.data;
    let sum = 0;
    for (let k = 0; k < g.length; k++) sum += g[k]! * g[k]!;
    return Math.sqrt(sum / Math.max(1, g.length));
  });
}

export interface FractionImprovingOptions {
  /** Standard deviations s of the Gaussian perturbation added to every parameter. */
  scales: readonly number[];
  /** Random perturbations tried per scale. */
  trials: number;
  seed?: number;
}

/**
 * For each perturbation size s: the fraction of random perturbations of all
 * parameters (each parameter + s·N(0,1)) that lower the mean error on the data.
 * E(w+δ) − E(w) ≈ ∇E·δ + ½ δᵀHδ: near a minimum the quadratic term, which is
 * never negative there, wins for large s, so the fraction falls towards 0.
 * The network's parameters are restored afterwards.
 */
export function fractionImproving(
  net: Network,
  data: { inputs: Matrix; targets: Matrix },
  options: FractionImprovingOptions,
): number[] {
  if (!Number.isInteger(options.trials) || options.trials < 1) {
    throw new ConfigError('fractionImproving', `trials must be a positive integer, got ${options.trials}`);
  }
  const rng = new Rng(options.seed ?? 1);
  const params = net.params();
  const saved = params.map((p) => p.values.slice());
  const base = net.loss(data.inputs, data.targets);
  return options.scales.map((s) => {
    if (!(s >= 0) || !Number.isFinite(s)) {
      throw new ConfigError('fractionImproving', `perturbation scale must be a finite number ≥ 0, got ${s}`);
    }
    let better = 0;
    for (let t = 0; t < options.trials; t++) {
      for (const p of params) {
        for (let k = 0; k < p.values.length; k++) p.values[k] = p.values[k]! + s * rng.normal();
      }
      if (net.loss(data.inputs, data.targets) < base) better++;
      params.forEach((p, i) => p.values.set(saved[i]!));
    }
    return better / options.trials;
  });
}

const fmt = (v: number): string => (v >= 0 ? ' ' : '') + v.toFixed(4);
const list = (a: readonly number[]): string => a.map(fmt).join(' ');

/**
 * The numbers of Network.trace() as readable text, in the order of the slide
 * "Sketch of backpropagation": forward pass, then steps 1, 2 and 3.
 */
export function formatTrace(trace: BackpropTrace): string {
  const lines: string[] = [];
  lines.push(`input y = [${list(trace.input)}]   target t = [${list(trace.target)}]`);
  lines.push('Forward pass');
  for (const f of trace.forward) {
    lines.push(`  ${f.name.padEnd(9)} (${f.unit}) x = [${list(f.x)}]   y = [${list(f.y)}]`);
  }
  lines.push(`  error E = ${trace.loss.toFixed(6)}`);
  lines.push(`Step 1: output discrepancy → error derivatives  (${trace.step1.rule})`);
  lines.push(`  dE/dy = [${list(trace.step1.dEdy)}]   dE/dx = [${list(trace.step1.dEdx)}]`);
  lines.push('Step 2: hidden layers from the layer above  (dE/dy_i = Σ_j w_ij dE/dx_j, then dE/dx_i = dy_i/dx_i · dE/dy_i)');
  for (const s of trace.step2) {
    lines.push(`  ${s.name.padEnd(9)} dE/dy = [${list(s.dEdy)}]   dE/dx = [${list(s.dEdx)}]`);
  }
  lines.push('Step 3: weights from activities  (dE/dw_ij = y_i dE/dx_j, dE/db_j = dE/dx_j); row j = unit j, column i = unit below');
  for (const s of trace.step3) {
    s.dEdW.forEach((row, j) => {
      lines.push(`  ${(j === 0 ? s.name : '').padEnd(9)} unit ${j + 1}: dE/dw = [${list(row)}]   dE/db = ${fmt(s.dEdb[j]!)}`);
    });
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// Section 1: what the hidden units of the XOR net compute.

const BOOLEAN_NAMES: readonly string[] = [
  'false', 'x1 ∧ x2', 'x1 ∧ ¬x2', 'x1', '¬x1 ∧ x2', 'x2', 'x1 ⊕ x2 (XOR)', 'x1 ∨ x2 (OR)',
  '¬(x1 ∨ x2) (NOR)', '¬(x1 ⊕ x2) (XNOR)', '¬x2', 'x1 ∨ ¬x2', '¬x1', '¬x1 ∨ x2', '¬(x1 ∧ x2) (NAND)', 'true',
];

/**
 * The name of the Boolean function of two inputs with the truth table `bits`, listed
 * for the inputs (x1, x2) = (0,0), (0,1), (1,0), (1,1): e.g. [1, 0, 1, 1] → "x1 ∨ ¬x2".
 */
export function booleanFunctionName(bits: readonly number[]): string {
  if (bits.length !== 4 || bits.some((b) => b !== 0 && b !== 1)) {
    throw new ConfigError('booleanFunctionName', `bits must be four 0/1 values for (0,0), (0,1), (1,0), (1,1), got [${bits.join(', ')}]`);
  }
  return BOOLEAN_NAMES[bits[0]! * 8 + bits[1]! * 4 + bits[2]! * 2 + bits[3]!]!;
}

export interface UnitTruthTable {
  /** Unit number in its layer, from 1. */
  unit: number;
  /** The unit's output y on each of the four cases. */
  outputs: number[];
  /** y > 0.5 as 0/1. */
  bits: number[];
  /** The Boolean function those bits form (booleanFunctionName). */
  name: string;
}

/**
 * Runs the net on the four cases (0,0), (0,1), (1,0), (1,1) and reads the outputs of
 * every unit in layer `layer` (0 = first hidden layer): their values, thresholded at
 * 0.5, and the Boolean function of (x1, x2) each unit computes.
 */
export function truthTables(net: Network, layer = 0): UnitTruthTable[] {
  if (net.inputs !== 2) throw new ConfigError('truthTables', `the net has ${net.inputs} inputs; truth tables need 2`);
  const l = net.layers[layer];
  if (!l) throw new ConfigError('truthTables', `layer ${layer} does not exist (the net has ${net.layers.length} layers)`);
  const cases = zeros(4, 2);
  cases.data.set([0, 0, 0, 1, 1, 0, 1, 1]);
  net.forward(cases);
  const y = l.y;
  return Array.from({ length: l.size }, (_, j) => {
    const outputs = [0, 1, 2, 3].map((r) => y.data[r * l.size + j]!);
    const bits = outputs.map((v) => (v > 0.5 ? 1 : 0));
    return { unit: j + 1, outputs, bits, name: booleanFunctionName(bits) };
  });
}

// ---------------------------------------------------------------------------
// Section 2: the cost of learning by perturbing weights, measured.

/** The settings of the notebook's forward-pass comparison (section 2). */
export const LECTURE_PASS_COMPARISON = {
  /** Numbers of inputs d of the d-4-1 nets. */
  sizes: [2, 8, 32, 128] as const,
  hidden: 4,
  cases: 100,
  targetError: 0.2,
  budget: 30000,
  backpropRates: [1, 3, 10, 30],
  stepSizes: [0.3, 1, 3],
  perturbAllRates: [0.1, 0.3, 1, 3],
  seeds: [1, 2, 3],
};

/** The d-4-1 logistic net on teacherTask(d, 100) used by the notebook's comparison, for size d. */
export function lecturePassTask(d: number): ComparisonTask {
  const c = LECTURE_PASS_COMPARISON;
  const data = teacherTask(d, c.cases, 1);
  const makeNet = () =>
    createNetwork({ inputs: d, layers: [{ size: c.hidden, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 3 });
  return { makeNet, data };
}

/**
 * Section 2's measurement: forward passes to reach cross-entropy 0.2 on teacherTask(d, 100)
 * for d-4-1 nets, d = 2, 8, 32, 128 (N = 17 … 521 weights), backprop (full batch, no
 * momentum) against perturbing one weight and all weights (best step of a grid each;
 * perturbation: median of 3 seeds). Takes several seconds.
 */
export function lecturePassComparison(sizes: readonly number[] = LECTURE_PASS_COMPARISON.sizes): ForwardPassRow[] {
  const c = LECTURE_PASS_COMPARISON;
  return compareForwardPasses({
    sizes,
    task: lecturePassTask,
    targetError: c.targetError,
    budget: c.budget,
    backpropRates: c.backpropRates,
    stepSizes: c.stepSizes,
    perturbAllRates: c.perturbAllRates,
    seeds: c.seeds,
  });
}

/** Least-squares slope of log y against log x: the exponent p in y ∝ x^p. */
export function logLogSlope(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length || x.length < 2) throw new ConfigError('logLogSlope', `need two equally long arrays of at least 2 values, got ${x.length} and ${y.length}`);
  if ([...x, ...y].some((v) => !(v > 0))) throw new ConfigError('logLogSlope', 'every value must be positive');
  const lx = x.map(Math.log);
  const ly = y.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < lx.length; k++) {
    sxy += (lx[k]! - mx) * (ly[k]! - my);
    sxx += (lx[k]! - mx) ** 2;
  }
  return sxy / sxx;
}

// ---------------------------------------------------------------------------
// Section 11: the softmax Jacobian, checked.

/**
 * Jacobian J[i][j] = ∂f_i/∂x_j of a vector function by central differences with
 * Richardson extrapolation, as gradientCheck does: D(h) = (f(x + h e_j) − f(x − h e_j))/2h,
 * J = (4·D(ε/2) − D(ε))/3.
 */
export function numericJacobian(f: (x: number[]) => number[], x: readonly number[], epsilon = 1e-3): number[][] {
  const base = f([...x]);
  const J = base.map(() => new Array<number>(x.length).fill(0));
  const central = (j: number, h: number): number[] => {
    const up = [...x];
    const down = [...x];
    up[j] = up[j]! + h;
    down[j] = down[j]! - h;
    const fu = f(up);
    const fd = f(down);
    return fu.map((v, i) => (v - fd[i]!) / (2 * h));
  };
  for (let j = 0; j < x.length; j++) {
    const d1 = central(j, epsilon);
    const d2 = central(j, epsilon / 2);
    for (let i = 0; i < base.length; i++) J[i]![j] = (4 * d2[i]! - d1[i]!) / 3;
  }
  return J;
}

export interface SoftmaxJacobianCheck {
  /** Largest relative error (the kit's definition, gradcheck's relativeError) between y_i(δ_ij − y_j) and finite differences, over all i, j of all cases. */
  jacobianMaxRelativeError: number;
  /** Largest |Jᵀ·dE/dy − (y − t)| over the batch, with dE/dy = −t/y from the loss. */
  chainRuleMaxDifference: number;
  /** dE/dx = Jᵀ·dE/dy per case (rows = cases), computed with the explicit Jacobian. */
  dEdxThroughJacobian: number[][];
}

/**
 * Checks section 11's two formulas on the summed inputs x (one case per row) and
 * one-hot targets t: the Jacobian ∂y_i/∂x_j = y_i(δ_ij − y_j) against finite
 * differences of the softmax, and dE/dx = Jᵀ·dE/dy with dE/dy_j = −t_j/y_j against
 * y − t. Neither side is assumed: dE/dx is formed from the explicit Jacobian.
 */
export function softmaxJacobianCheck(x: Matrix, t: Matrix): SoftmaxJacobianCheck {
  if (x.rows !== t.rows || x.cols !== t.cols) throw new ConfigError('softmaxJacobianCheck', `x is ${x.rows}×${x.cols} but t is ${t.rows}×${t.cols}`);
  let jacobianMaxRelativeError = 0;
  let chainRuleMaxDifference = 0;
  const dEdxThroughJacobian: number[][] = [];
  for (let r = 0; r < x.rows; r++) {
    const xr = Array.from(x.data.subarray(r * x.cols, (r + 1) * x.cols));
    const tr = Array.from(t.data.subarray(r * t.cols, (r + 1) * t.cols));
    const y = softmaxOf(xr);
    const J = softmaxJacobian(y);
    const Jn = numericJacobian(softmaxOf, xr);
    jacobianMaxRelativeError = Math.max(jacobianMaxRelativeError, largestRelativeError(J.flat(), Jn.flat()));
    const dEdy = y.map((yj, j) => -tr[j]! / yj);
    // (Jᵀ·dE/dy)_j = Σ_i ∂y_i/∂x_j · dE/dy_i
    const dEdx = xr.map((_, j) => J.reduce((s, row, i) => s + row[j]! * dEdy[i]!, 0));
    dEdxThroughJacobian.push(dEdx);
    for (let j = 0; j < dEdx.length; j++) chainRuleMaxDifference = Math.max(chainRuleMaxDifference, Math.abs(dEdx[j]! - (y[j]! - tr[j]!)));
  }
  return { jacobianMaxRelativeError, chainRuleMaxDifference, dEdxThroughJacobian };
}

// ---------------------------------------------------------------------------
// Plots: readable axes.

export type AxisStyle = 'log' | 'integer';

/**
 * Makes a figure's axes readable (returns the figure, changed in place):
 * 'log' puts the axis on a log scale with few labels: at 1, 2, 5 × 10^k when the data
 * span at most about two decades, otherwise only at the powers of ten (written out from 0.001
 * to 1000000, as 10^k beyond), never
 * at every digit between them; 'integer' labels only whole numbers (epochs, passes),
 * about ten labels at most, from the largest value plotted on that axis.
 */
export function readableAxes(figure: Figure, axes: { x?: AxisStyle; y?: AxisStyle }): Figure {
  const layout = (figure.layout ??= {});
  for (const which of ['x', 'y'] as const) {
    const style = axes[which];
    if (!style) continue;
    const key = `${which}axis`;
    const current = (layout[key] ?? {}) as Record<string, unknown>;
    const values: number[] = [];
    for (const trace of figure.data) {
      const v = trace[which] as ArrayLike<unknown> | undefined;
      if (v) for (let k = 0; k < v.length; k++) if (typeof v[k] === 'number' && Number.isFinite(v[k])) values.push(v[k] as number);
    }
    if (style === 'log') {
      const positive = values.filter((v) => v > 0);
      const lo = Math.floor(Math.log10(positive.reduce((a, b) => Math.min(a, b), 1e300)));
      const hi = Math.ceil(Math.log10(positive.reduce((a, b) => Math.max(a, b), 1e-300)));
      if (positive.length === 0 || hi - lo >= 3) {
        // Several decades: label the powers of ten only; written out (1, 10, …, 100000) when they are
        // not too large or small to read, otherwise as 10^k.
        const plain = positive.length > 0 && lo >= -3 && hi <= 6;
        layout[key] = { ...current, type: 'log', dtick: 1, exponentformat: plain ? 'none' : 'power', showexponent: 'all' };
      } else {
        // One or two decades: 1, 2, 5 × 10^k, written out (no crowded labels at every digit).
        const tickvals: number[] = [];
        for (let e = lo; e <= hi; e++) for (const m of [1, 2, 5]) tickvals.push(Number((m * 10 ** e).toPrecision(1)));
        layout[key] = { ...current, type: 'log', tickmode: 'array', tickvals, ticktext: tickvals.map((v) => String(v)) };
      }
    } else {
      const max = values.reduce((a, b) => Math.max(a, b), 1);
      const raw = max / 10;
      const pow = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
      const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow);
      layout[key] = { ...current, tickmode: 'linear', tick0: 0, dtick: step, tickformat: 'd' };
    }
  }
  return figure;
}

// ---------------------------------------------------------------------------
// Section 12: a dense net does not care about the order of the pixels.

/** A random permutation of 0 … n−1 (seeded). */
export function randomPermutation(n: number, seed = 1): Uint32Array {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('randomPermutation', `n must be a positive integer, got ${n}`);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  new Rng(seed).shuffle(p);
  return p;
}

/**
 * A copy of m whose column k is column perm[k] of m: applied to images (one per row) it
 * shuffles the pixels the same way in every image; applied to a dense layer's W (one row
 * per unit, one column per input) it rewires the weights to follow the shuffled pixels,
 * so that permuteColumns(X, p)·permuteColumns(W, p)ᵀ = X·Wᵀ.
 */
export function permuteColumns(m: Matrix, perm: ArrayLike<number>): Matrix {
  if (perm.length !== m.cols) throw new ConfigError('permuteColumns', `perm has ${perm.length} entries but the matrix has ${m.cols} columns`);
  const seen = new Uint8Array(m.cols);
  for (let k = 0; k < perm.length; k++) {
    const p = perm[k]!;
    if (!Number.isInteger(p) || p < 0 || p >= m.cols || seen[p]) throw new ConfigError('permuteColumns', 'perm must contain each of 0 … cols−1 exactly once');
    seen[p] = 1;
  }
  const out = zeros(m.rows, m.cols);
  for (let r = 0; r < m.rows; r++) {
    const o = r * m.cols;
    for (let k = 0; k < m.cols; k++) out.data[o + k] = m.data[o + perm[k]!]!;
  }
  return out;
}
