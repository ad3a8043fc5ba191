import { ConfigError, DataError, ShapeError } from './errors';
import { rowSlice, zeros, type Matrix } from './matrix';
import type { Layer } from './layers/layer';
import { classesOf, classOfRow, type Network } from './network';
import { Adam, type AdamOptions } from './optim';
import { Rng } from './rng';

/**
 * Mini-batch stochastic gradient descent with momentum and L2 weight decay.
 *
 * For every mini-batch, backprop gives g = dE/dw (mean over the batch); then for
 * every weight
 *     v ← μ·v − ε·(g + λ·w)        (ε learning rate, μ momentum, λ weight decay)
 *     w ← w + v
 * Weight decay is the gradient of the penalty ½λ Σ w²; it applies to weights, not biases.
 * Cases are shuffled every epoch with a seeded Rng, so runs are repeatable.
 */

export interface Dataset {
  /** One case per row. */
  inputs: Matrix;
  /** One target vector per row (one-hot for classification with several outputs). */
  targets: Matrix;
}

export interface EpochStats {
  /** 1, 2, … */
  epoch: number;
  /** Mean training error per case over the epoch (see TrainOptions.trainMetrics). */
  loss: number;
  /** Fraction of training cases classified correctly (see TrainOptions.trainMetrics). */
  accuracy: number;
  testLoss?: number;
  testAccuracy?: number;
  /** Wall-clock time of the epoch's training steps, in milliseconds (evaluation excluded). */
  ms: number;
}

export interface TrainOptions<N = Network> {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** μ in [0, 1), default 0 (SGD only; Adam has beta1). */
  momentum?: number;
  /** 'sgd' (default): the momentum rule above; 'adam': Adam (see optim.ts), with learningRate as its ε. */
  optimizer?: 'sgd' | 'adam';
  /** β₁, β₂, ϵ̂ of Adam (defaults 0.9, 0.999, 1e-8). */
  adam?: AdamOptions;
  /** λ ≥ 0, default 0. */
  weightDecay?: number;
  /** Seed of the shuffling, default 1. */
  seed?: number;
  /** A held-out set evaluated after every epoch. */
  test?: Dataset;
  /** Called after every epoch with its statistics. */
  onEpoch?: (stats: EpochStats, net: N) => void;
  /**
   * 'running' (default): training loss and accuracy are averaged over the mini-batches
   * as they are trained (free, but the weights change during the epoch);
   * 'full': the whole training set is evaluated again after the epoch.
   */
  trainMetrics?: 'running' | 'full';
}

function checkDataset(where: string, name: string, net: Network<Layer>, data: Dataset): void {
  if (!data || !data.inputs || !data.targets) throw new DataError(where, `${name} must be {inputs, targets} matrices`);
  const { inputs, targets } = data;
  if (inputs.rows === 0) throw new DataError(where, `${name}.inputs is empty (0 rows)`);
  if (inputs.cols !== net.inputs) {
    throw new ShapeError(where, `${name}.inputs has ${inputs.cols} columns but the network has ${net.inputs} inputs`);
  }
  if (targets.rows !== inputs.rows) {
    throw new ShapeError(where, `${name}.targets has ${targets.rows} rows but ${name}.inputs has ${inputs.rows}`);
  }
  if (targets.cols !== net.outputs) {
    throw new ShapeError(where, `${name}.targets has ${targets.cols} columns but the network has ${net.outputs} outputs`);
  }
  for (const [m, what] of [[inputs, 'inputs'], [targets, 'targets']] as const) {
    const len = m.rows * m.cols;
    for (let k = 0; k < len; k++) {
      const v = m.data[k]!;
      if (v - v !== 0) {
        throw new DataError(where, `${name}.${what} row ${Math.floor(k / m.cols)}, column ${k % m.cols} is ${v}; values must be finite`);
      }
    }
  }
}

function checkNumber(where: string, name: string, v: unknown, ok: (x: number) => boolean, rule: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
    throw new ConfigError(where, `${name} must be ${rule}, got ${String(v)}`);
  }
}

/**
 * Mean error per case and fraction classified correctly on a data set, evaluated in
 * chunks of `chunk` rows (views, no copies) so the network's buffers stay small.
 */
export function evaluateNetwork(net: Network<Layer>, data: Dataset, chunk = 500): { loss: number; accuracy: number } {
  checkDataset('evaluateNetwork', 'data', net, data);
  const n = data.inputs.rows;
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const X = rowSlice(data.inputs, s, e);
    const T = rowSlice(data.targets, s, e);
    const y = net.forward(X);
    lossSum += net.lastLoss(T) * (e - s);
    const pred = classesOf(y);
    const truth = classesOf(T);
    for (let r = 0; r < pred.length; r++) if (pred[r] === truth[r]) correct++;
  }
  return { loss: lossSum / n, accuracy: correct / n };
}

/**
 * One momentum step for a parameter array: v ← μv − ε(g + λw), w ← w + v.
 * A small function of its own so the engine optimises this hottest loop on its own.
 */
function momentumStep(w: Float64Array, g: Float64Array, v: Float64Array, momentum: number, lr: number, lambda: number): void {
  for (let k = 0; k < w.length; k++) {
    const vk = momentum * v[k]! - lr * (g[k]! + lambda * w[k]!);
    v[k] = vk;
    w[k] = w[k]! + vk;
  }
}

/** Copies rows order[start … start+size−1] of a row-major array with `cols` columns into out (rows 0 … size−1). */
function gatherRows(src: Float64Array, cols: number, order: Uint32Array, start: number, size: number, out: Float64Array): void {
  for (let r = 0; r < size; r++) {
    const so = order[start + r]! * cols;
    const d = r * cols;
    for (let k = 0; k < cols; k++) out[d + k] = src[so + k]!;
  }
}

/** Trains net in place by mini-batch SGD; returns one EpochStats per epoch. */
export function train<L extends Layer>(net: Network<L>, data: Dataset, options: TrainOptions<Network<L>>): EpochStats[] {
  const where = 'train';
  checkDataset(where, 'data', net, data);
  if (options.test) checkDataset(where, 'options.test', net, options.test);
  checkNumber(where, 'epochs', options.epochs, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  checkNumber(where, 'batchSize', options.batchSize, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  checkNumber(where, 'learningRate', options.learningRate, (x) => x > 0, 'a positive number');
  const momentum = options.momentum ?? 0;
  const decay = options.weightDecay ?? 0;
  checkNumber(where, 'momentum', momentum, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber(where, 'weightDecay', decay, (x) => x >= 0, 'a non-negative number');
  const optimizer = options.optimizer ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new ConfigError(where, `optimizer must be 'sgd' or 'adam', got ${String(optimizer)}`);
  if (optimizer === 'adam' && momentum !== 0) throw new ConfigError(where, "momentum applies to optimizer 'sgd'; Adam's running mean of the gradient is set by adam.beta1");
  const metrics = options.trainMetrics ?? 'running';
  if (metrics !== 'running' && metrics !== 'full') {
    throw new ConfigError(where, `trainMetrics must be 'running' or 'full', got ${String(metrics)}`);
  }

  const n = data.inputs.rows;
  const nin = net.inputs;
  const nout = net.outputs;
  const bs = Math.min(options.batchSize, n);
  const lr = options.learningRate;
  const rng = new Rng(options.seed ?? 1);
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const labels = classesOf(data.targets);

  // Preallocated mini-batch buffers: the full size and a view for the last, shorter batch.
  const bx = zeros(bs, nin);
  const bt = zeros(bs, nout);
  const tail = n % bs;
  const bxTail = tail ? rowSlice(bx, 0, tail) : bx;
  const btTail = tail ? rowSlice(bt, 0, tail) : bt;
  const params = net.params();
  const velocity = params.map((p) => new Float64Array(p.values.length));
  const adam = optimizer === 'adam' ? new Adam(params, lr, options.adam, decay) : null;
  const src = data.inputs.data;
  const tgt = data.targets.data;

  const history: EpochStats[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += bs) {
      const size = Math.min(bs, n - start);
      const X = size === bs ? bx : bxTail;
      const T = size === bs ? bt : btTail;
      // Gather the mini-batch rows (element copies, so nothing is allocated).
      gatherRows(src, nin, order, start, size, X.data);
      gatherRows(tgt, nout, order, start, size, T.data);
      const y = net.forward(X, { training: true });
      lossSum += net.lastLoss(T) * size;
      for (let r = 0; r < size; r++) if (classOfRow(y.data, r * nout, nout) === labels[order[start + r]!]) correct++;
      net.backward(T);
      if (adam) adam.step();
      // v ← μv − ε(g + λw);  w ← w + v
      else for (let p = 0; p < params.length; p++) {
        const { values, grads, kind } = params[p]!;
        momentumStep(values, grads, velocity[p]!, momentum, lr, kind === 'weights' ? decay : 0);
      }
    }
    const ms = performance.now() - t0;
    const stats: EpochStats = { epoch, loss: lossSum / n, accuracy: correct / n, ms };
    if (metrics === 'full') {
      const full = evaluateNetwork(net, data);
      stats.loss = full.loss;
      stats.accuracy = full.accuracy;
    }
    if (options.test) {
      const t = evaluateNetwork(net, options.test);
      stats.testLoss = t.loss;
      stats.testAccuracy = t.accuracy;
    }
    history.push(stats);
    options.onEpoch?.(stats, net);
  }
  return history;
}
