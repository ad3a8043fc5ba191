/**
 * Small experiments the Lecture 5 notebook runs, kept here because their loops
 * would be slow at the top level of a notebook cell.
 */
import { ConfigError } from './errors';
import type { Matrix } from './matrix';
import type { BackpropTrace, Network } from './network';
import { Rng } from './rng';

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
