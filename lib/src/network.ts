import { ConfigError, DataError, ShapeError } from './errors';
import { addRowVector, matmulAB, matmulABt, matmulAtB, sumRows } from './kernels';
import { getLoss, isLossName, LOSS_NAMES, type Loss, type LossName } from './losses';
import { zeros, type Matrix } from './matrix';
import { Rng } from './rng';
import { getUnit, isUnitName, UNIT_NAMES, type Unit, type UnitName } from './units';

/**
 * A layered feed-forward network trained by backpropagation (Lecture 5).
 *
 * Notation: unit i in the layer below feeds unit j through weight w_ij; unit j
 * receives the summed input x_j = b_j + Σ_i y_i w_ij and outputs y_j = f(x_j);
 * t is the target. A batch holds one case per row, so for a layer with weight
 * matrix W (row j = the weights into unit j) and the outputs Y of the layer below,
 * X = Y·Wᵀ + b.
 *
 * Backpropagation follows the three steps of the slide "Sketch of backpropagation":
 *   1. convert the discrepancy between each output and its target into an error
 *      derivative: dE/dy from the loss, then dE/dx = (dy/dx) dE/dy (or directly
 *      y − t for logistic + cross-entropy and softmax + softmax-cross-entropy);
 *   2. compute error derivatives in each hidden layer from those in the layer above:
 *      dE/dy_i = Σ_j w_ij dE/dx_j, then dE/dx_i = (dy_i/dx_i) dE/dy_i
 *      (y(1 − y) for logistic units);
 *   3. use error derivatives w.r.t. activities to get error derivatives w.r.t. the
 *      weights: dE/dw_ij = y_i dE/dx_j and dE/db_j = dE/dx_j.
 *
 * The per-layer buffers dEdy and dEdx hold per-case derivatives (row = case),
 * exactly the numbers of the slide. The weight gradients dEdW, dEdb are the MEAN
 * over the cases of the batch, i.e. the derivatives of `loss()`, which is the mean
 * error per case. For a single case both conventions coincide.
 */

export interface LayerSpec {
  /** Number of units in the layer. */
  size: number;
  /** Their neuron type. */
  unit: UnitName;
}

export interface NetworkConfig {
  /** Number of input components per case. */
  inputs: number;
  /** Hidden layers then the output layer, bottom to top. */
  layers: LayerSpec[];
  /** Error function of the output layer. */
  loss: LossName;
  /** Seed for the weight initialisation (default 1). */
  seed?: number;
}

/** One layer of units and the weights coming into it from the layer below. */
export interface Layer {
  /** Position in net.layers (0 = first hidden layer, last = output layer). */
  readonly index: number;
  /** Number of units in the layer below (or of network inputs). */
  readonly inputs: number;
  /** Number of units in this layer. */
  readonly size: number;
  /** Neuron type name, e.g. 'logistic'. */
  readonly unit: UnitName;
  /** The neuron type's forward / backward functions. */
  readonly unitFn: Unit;
  /** Weights, size × inputs: W.data[j·inputs + i] = w_ij, from unit i below to unit j here. */
  readonly W: Matrix;
  /** Biases b_j. */
  readonly b: Float64Array;
  /** dE/dw_ij (same layout as W), mean over the last batch passed to backward(). */
  readonly dEdW: Matrix;
  /** dE/db_j, mean over the last batch. */
  readonly dEdb: Float64Array;
  /** Summed inputs x of the last batch (batch × size). */
  x: Matrix;
  /** Outputs y of the last batch (batch × size). */
  y: Matrix;
  /** Per-case dE/dx of the last backward pass (batch × size). */
  dEdx: Matrix;
  /** Per-case dE/dy of the last backward pass (batch × size). */
  dEdy: Matrix;
}

/** One parameter array with its gradient, in the style of ConvNetJS (`values` and `grads` share the net's storage). */
export interface ParamRef {
  /** 'W1', 'b1', 'W2', … (layer numbers counted from 1 at the first hidden layer). */
  readonly name: string;
  /** Index of the layer in net.layers. */
  readonly layer: number;
  /** 'weights' or 'biases' (weight decay applies to weights only). */
  readonly kind: 'weights' | 'biases';
  readonly values: Float64Array;
  readonly grads: Float64Array;
}

/** What the three steps of backpropagation compute for one training case, as plain numbers. */
export interface BackpropTrace {
  input: number[];
  target: number[];
  /** Error E for this case. */
  loss: number;
  /** Forward pass: summed inputs x and outputs y of every layer, bottom to top. */
  forward: { layer: number; name: string; unit: UnitName; x: number[]; y: number[] }[];
  /** Step 1: the output discrepancy turned into error derivatives. */
  step1: { layer: number; y: number[]; t: number[]; dEdy: number[]; dEdx: number[]; rule: string };
  /** Step 2: error derivatives of every hidden layer, from the top hidden layer down. */
  step2: { layer: number; name: string; dEdy: number[]; dEdx: number[] }[];
  /** Step 3: error derivatives of the weights (dEdW[j][i] = dE/dw_ij = y_i dE/dx_j) and biases. */
  step3: { layer: number; name: string; dEdW: number[][]; dEdb: number[] }[];
}

/** Per-layer batch buffers with room for `capacity` cases; Matrix views cover the current batch. */
interface Storage {
  x: Float64Array;
  y: Float64Array;
  dEdx: Float64Array;
  dEdy: Float64Array;
}

function validateConfig(config: NetworkConfig): void {
  const where = 'createNetwork';
  if (config === null || typeof config !== 'object') throw new ConfigError(where, 'config must be an object');
  if (!Number.isInteger(config.inputs) || config.inputs < 1) {
    throw new ConfigError(where, `inputs must be a positive integer, got ${String(config.inputs)}`);
  }
  if (!Array.isArray(config.layers) || config.layers.length === 0) {
    throw new ConfigError(where, 'layers must be a non-empty array of {size, unit} (the last one is the output layer)');
  }
  config.layers.forEach((l, k) => {
    if (!Number.isInteger(l?.size) || l.size < 1) {
      throw new ConfigError(where, `layers[${k}].size must be a positive integer, got ${String(l?.size)}`);
    }
    if (!isUnitName(l.unit)) {
      throw new ConfigError(where, `layers[${k}].unit "${String(l.unit)}" is unknown; known units: ${UNIT_NAMES.join(', ')}`);
    }
  });
  if (!isLossName(config.loss)) {
    throw new ConfigError(where, `loss "${String(config.loss)}" is unknown; known losses: ${LOSS_NAMES.join(', ')}`);
  }
  const out = config.layers[config.layers.length - 1]!;
  const loss = getLoss(config.loss);
  if (loss.pairedUnit !== null && out.unit !== loss.pairedUnit) {
    throw new ConfigError(
      where,
      `loss "${config.loss}" needs ${loss.pairedUnit} output units, but the output layer (layers[${config.layers.length - 1}]) is ${out.unit}; ` +
        `use unit '${loss.pairedUnit}' or loss 'squared-error'`,
    );
  }
  if (config.seed !== undefined && !Number.isFinite(config.seed)) {
    throw new ConfigError(where, `seed must be a finite number, got ${String(config.seed)}`);
  }
}

export class Network {
  readonly config: NetworkConfig;
  readonly inputs: number;
  readonly outputs: number;
  readonly layers: Layer[];
  readonly lossName: LossName;
  readonly lossFn: Loss;
  private readonly storage: Storage[];
  private readonly paramList: ParamRef[];
  private capacity = 0;
  private batch = 0;
  /** The input of the last forward pass (not copied; the outputs of "layer −1"). */
  private lastInput: Matrix | null = null;

  constructor(config: NetworkConfig) {
    validateConfig(config);
    this.config = { ...config, layers: config.layers.map((l) => ({ ...l })) };
    this.inputs = config.inputs;
    this.lossName = config.loss;
    this.lossFn = getLoss(config.loss);
    const rng = new Rng(config.seed ?? 1);
    this.layers = [];
    this.storage = [];
    let below = config.inputs;
    config.layers.forEach((spec, index) => {
      const W = zeros(spec.size, below);
      // w_ij ~ N(0, 1)/√fan-in keeps the summed inputs x_j of order 1 at the start.
      const scale = 1 / Math.sqrt(below);
      for (let k = 0; k < W.data.length; k++) W.data[k] = rng.normal() * scale;
      const empty = zeros(0, spec.size);
      this.layers.push({
        index,
        inputs: below,
        size: spec.size,
        unit: spec.unit,
        unitFn: getUnit(spec.unit),
        W,
        b: new Float64Array(spec.size),
        dEdW: zeros(spec.size, below),
        dEdb: new Float64Array(spec.size),
        x: empty,
        y: empty,
        dEdx: empty,
        dEdy: empty,
      });
      this.storage.push({ x: new Float64Array(0), y: new Float64Array(0), dEdx: new Float64Array(0), dEdy: new Float64Array(0) });
      below = spec.size;
    });
    this.outputs = below;
    this.paramList = this.layers.flatMap((l) => [
      { name: `W${l.index + 1}`, layer: l.index, kind: 'weights' as const, values: l.W.data, grads: l.dEdW.data },
      { name: `b${l.index + 1}`, layer: l.index, kind: 'biases' as const, values: l.b, grads: l.dEdb },
    ]);
  }

  /** Number of cases in the current batch buffers. */
  get batchSize(): number {
    return this.batch;
  }

  /** The output layer. */
  get outputLayer(): Layer {
    return this.layers[this.layers.length - 1]!;
  }

  /** Total number of weights and biases. */
  get paramCount(): number {
    return this.paramList.reduce((s, p) => s + p.values.length, 0);
  }

  /** A human name for layer l: 'hidden 1', 'hidden 2', …, 'output'. */
  layerName(l: number): string {
    return l === this.layers.length - 1 ? 'output' : `hidden ${l + 1}`;
  }

  /**
   * Points the per-layer buffers at a batch of `rows` cases. Storage grows only when
   * a larger batch than ever before arrives; a change of batch size otherwise only
   * re-wraps the existing storage, so training loops do not allocate.
   */
  private ensureBatch(rows: number): void {
    if (rows === this.batch) return;
    if (rows > this.capacity) {
      this.capacity = rows;
      this.layers.forEach((l, k) => {
        const n = rows * l.size;
        this.storage[k] = { x: new Float64Array(n), y: new Float64Array(n), dEdx: new Float64Array(n), dEdy: new Float64Array(n) };
      });
    }
    this.layers.forEach((l, k) => {
      const s = this.storage[k]!;
      const n = rows * l.size;
      l.x = { rows, cols: l.size, data: s.x.subarray(0, n) };
      l.y = { rows, cols: l.size, data: s.y.subarray(0, n) };
      l.dEdx = { rows, cols: l.size, data: s.dEdx.subarray(0, n) };
      l.dEdy = { rows, cols: l.size, data: s.dEdy.subarray(0, n) };
    });
    this.batch = rows;
  }

  private checkInput(where: string, input: Matrix): void {
    if (!input || typeof input.rows !== 'number' || !(input.data instanceof Float64Array)) {
      throw new ShapeError(where, 'input must be a Matrix {rows, cols, data: Float64Array} with one case per row');
    }
    if (input.rows === 0) throw new DataError(where, 'input is an empty batch (0 rows); give at least one case');
    if (input.cols !== this.inputs) {
      throw new ShapeError(
        where,
        `input has ${input.cols} columns but the network has ${this.inputs} inputs (layer 1 '${this.layers[0]!.unit}' expects ${this.inputs} values per case)`,
      );
    }
    if (input.data.length < input.rows * input.cols) {
      throw new ShapeError(where, `input data has ${input.data.length} values, fewer than ${input.rows}×${input.cols}`);
    }
    const d = input.data;
    const len = input.rows * input.cols;
    for (let k = 0; k < len; k++) {
      const v = d[k]!;
      if (v - v !== 0) {
        throw new DataError(where, `input row ${Math.floor(k / input.cols)}, column ${k % input.cols} is ${v}; inputs must be finite numbers`);
      }
    }
  }

  private checkTarget(where: string, target: Matrix, rows: number): void {
    if (!target || typeof target.rows !== 'number' || !(target.data instanceof Float64Array)) {
      throw new ShapeError(where, 'target must be a Matrix {rows, cols, data: Float64Array} with one case per row');
    }
    if (target.rows !== rows || target.cols !== this.outputs) {
      throw new ShapeError(
        where,
        `target is ${target.rows}×${target.cols} but must be ${rows}×${this.outputs} (one row per input case, one column per output unit of layer ${this.layers.length})`,
      );
    }
    const d = target.data;
    const len = target.rows * target.cols;
    for (let k = 0; k < len; k++) {
      const v = d[k]!;
      if (v - v !== 0) {
        throw new DataError(where, `target row ${Math.floor(k / target.cols)}, column ${k % target.cols} is ${v}; targets must be finite numbers`);
      }
    }
  }

  /**
   * Forward pass on a batch (one case per row): for each layer, x = Y_below·Wᵀ + b and y = f(x).
   * Returns the output layer's y — a buffer of the network, overwritten by the next pass.
   * The input is kept by reference for backward(), so do not modify it in between.
   */
  forward(input: Matrix): Matrix {
    this.checkInput('Network.forward', input);
    this.ensureBatch(input.rows);
    this.lastInput = input;
    let below = input;
    for (const l of this.layers) {
      matmulABt(below, l.W, l.x); // x_j = Σ_i y_i w_ij
      addRowVector(l.x, l.b); //     + b_j
      l.unitFn.forward(l.x, l.y); // y_j = f(x_j)
      below = l.y;
    }
    return this.outputLayer.y;
  }

  /** Mean error per case E = (1/B) Σ_cases E(y, t) after a forward pass on input. */
  loss(input: Matrix, target: Matrix): number {
    this.forward(input);
    this.checkTarget('Network.loss', target, input.rows);
    return this.lastLoss(target);
  }

  /** The mean error of the last forward pass against target (no new forward pass). */
  lastLoss(target: Matrix): number {
    const out = this.outputLayer;
    this.checkTarget('Network.lastLoss', target, this.batch);
    return this.lossFn.value(out.y, target, out.x);
  }

  /**
   * Backward pass for the batch of the last forward() call, in the three steps of
   * "Sketch of backpropagation". Fills dEdy and dEdx of every layer (per case) and
   * dEdW, dEdb of every layer (mean over the batch).
   */
  backward(target: Matrix): void {
    const input = this.lastInput;
    if (input === null) throw new ShapeError('Network.backward', 'call forward(input) before backward(target)');
    this.checkTarget('Network.backward', target, this.batch);
    const L = this.layers.length;
    const out = this.layers[L - 1]!;

    // Step 1: discrepancy between output and target → error derivatives of the output units.
    this.lossFn.dEdy(out.y, target, out.dEdy, out.x);
    if (this.lossFn.dEdx) {
      this.lossFn.dEdx(out.y, target, out.dEdx); // dE/dx = y − t (the unit's derivative cancels)
    } else {
      out.unitFn.backward(out.y, out.dEdy, out.dEdx); // dE/dx = (dy/dx)·dE/dy
    }

    // Step 2: each hidden layer from the layer above: dE/dy_i = Σ_j w_ij dE/dx_j, dE/dx_i = (dy_i/dx_i) dE/dy_i.
    for (let l = L - 1; l > 0; l--) {
      const above = this.layers[l]!;
      const here = this.layers[l - 1]!;
      matmulAB(above.dEdx, above.W, here.dEdy);
      here.unitFn.backward(here.y, here.dEdy, here.dEdx);
    }

    // Step 3: error derivatives w.r.t. the weights: dE/dw_ij = y_i dE/dx_j, dE/db_j = dE/dx_j (batch means).
    const inv = 1 / this.batch;
    for (let l = 0; l < L; l++) {
      const here = this.layers[l]!;
      const yBelow = l === 0 ? input : this.layers[l - 1]!.y;
      matmulAtB(here.dEdx, yBelow, here.dEdW, inv);
      sumRows(here.dEdx, here.dEdb, inv);
    }
  }

  /**
   * Class of each case: the index of the largest output, or, for a single output
   * unit, 1 when y ≥ 0.5 and 0 otherwise.
   */
  predict(input: Matrix): Uint32Array {
    const y = this.forward(input);
    return classesOf(y);
  }

  /** The parameter arrays with their gradients (shared storage, ConvNetJS style). */
  params(): ParamRef[] {
    return this.paramList.slice();
  }

  /** All weights and biases in one flat array (W1, b1, W2, b2, …), copied into out if given. */
  getParams(out?: Float64Array): Float64Array {
    const flat = out ?? new Float64Array(this.paramCount);
    if (flat.length !== this.paramCount) {
      throw new ShapeError('Network.getParams', `out has ${flat.length} values but the network has ${this.paramCount} parameters`);
    }
    let o = 0;
    for (const p of this.paramList) {
      flat.set(p.values, o);
      o += p.values.length;
    }
    return flat;
  }

  /** Sets all weights and biases from a flat array in the order of getParams(). */
  setParams(flat: ArrayLike<number>): void {
    if (flat.length !== this.paramCount) {
      throw new ShapeError('Network.setParams', `got ${flat.length} values but the network has ${this.paramCount} parameters`);
    }
    let o = 0;
    for (const p of this.paramList) {
      for (let k = 0; k < p.values.length; k++) p.values[k] = flat[o + k]!;
      o += p.values.length;
    }
  }

  /** All gradients in one flat array, in the order of getParams(). */
  getGrads(out?: Float64Array): Float64Array {
    const flat = out ?? new Float64Array(this.paramCount);
    if (flat.length !== this.paramCount) {
      throw new ShapeError('Network.getGrads', `out has ${flat.length} values but the network has ${this.paramCount} parameters`);
    }
    let o = 0;
    for (const p of this.paramList) {
      flat.set(p.grads, o);
      o += p.grads.length;
    }
    return flat;
  }

  /** A new network with the same architecture and a copy of the weights (buffers not shared). */
  copy(): Network {
    const twin = new Network(this.config);
    twin.setParams(this.getParams());
    return twin;
  }

  /**
   * Runs forward and backward on one case and returns every number of the
   * three steps of "Sketch of backpropagation" as plain arrays, for printing.
   * (It reuses the network's buffers, so it overwrites the last batch's values.)
   */
  trace(input: readonly number[], target: readonly number[]): BackpropTrace {
    if (!Array.isArray(input) || input.length !== this.inputs) {
      throw new ShapeError('Network.trace', `input must be an array of ${this.inputs} numbers, got ${Array.isArray(input) ? input.length : typeof input}`);
    }
    if (!Array.isArray(target) || target.length !== this.outputs) {
      throw new ShapeError('Network.trace', `target must be an array of ${this.outputs} numbers, got ${Array.isArray(target) ? target.length : typeof target}`);
    }
    const X: Matrix = { rows: 1, cols: this.inputs, data: Float64Array.from(input) };
    const T: Matrix = { rows: 1, cols: this.outputs, data: Float64Array.from(target) };
    const loss = this.loss(X, T);
    this.backward(T);
    const arr = (m: Matrix | Float64Array): number[] => Array.from(m instanceof Float64Array ? m : m.data);
    const L = this.layers.length;
    const out = this.outputLayer;
    return {
      input: [...input],
      target: [...target],
      loss,
      forward: this.layers.map((l) => ({ layer: l.index, name: this.layerName(l.index), unit: l.unit, x: arr(l.x), y: arr(l.y) })),
      step1: {
        layer: L - 1,
        y: arr(out.y),
        t: [...target],
        dEdy: arr(out.dEdy),
        dEdx: arr(out.dEdx),
        rule: this.lossFn.dEdx
          ? `${this.lossName} with ${out.unit} outputs: dE/dx = y − t`
          : `${this.lossName}: dE/dy from the loss, then dE/dx = (dy/dx)·dE/dy for ${out.unit} units`,
      },
      step2: this.layers
        .slice(0, L - 1)
        .reverse()
        .map((l) => ({ layer: l.index, name: this.layerName(l.index), dEdy: arr(l.dEdy), dEdx: arr(l.dEdx) })),
      step3: this.layers.map((l) => {
        const dEdW: number[][] = [];
        for (let j = 0; j < l.size; j++) dEdW.push(Array.from(l.dEdW.data.subarray(j * l.inputs, (j + 1) * l.inputs)));
        return { layer: l.index, name: this.layerName(l.index), dEdW, dEdb: arr(l.dEdb) };
      }),
    };
  }
}

/** Creates a network with seeded weights w_ij ~ N(0, 1)/√(fan-in) and zero biases. */
export function createNetwork(config: NetworkConfig): Network {
  return new Network(config);
}

/**
 * Class of each row of an output or target matrix: the index of the largest
 * value, or, with a single column, 1 when the value is ≥ 0.5 and 0 otherwise.
 */
export function classesOf(m: Matrix, out?: Uint32Array): Uint32Array {
  const res = out ?? new Uint32Array(m.rows);
  const n = m.cols;
  const d = m.data;
  for (let r = 0, o = 0; r < m.rows; r++, o += n) res[r] = classOfRow(d, o, n);
  return res;
}

/** Class of the row starting at offset o (see classesOf). */
export function classOfRow(d: Float64Array, o: number, n: number): number {
  if (n === 1) return d[o]! >= 0.5 ? 1 : 0;
  let best = 0;
  for (let j = 1; j < n; j++) if (d[o + j]! > d[o + best]!) best = j;
  return best;
}
