import { ConfigError, DataError, ShapeError } from './errors';
import type { DenseLayer, LayerSpec } from './layers/dense';
import { isUnitLayer, shapeSize, shapeText, type Layer, type UnitLayer } from './layers/layer';
import { createLayer, type AnyLayerSpec } from './layers/registry';
import { getLoss, isLossName, LOSS_NAMES, type Loss, type LossName } from './losses';
import type { Matrix } from './matrix';
import { BatchSplit } from './parallel';
import { Rng } from './rng';
import type { UnitName } from './units';

/**
 * A layered feed-forward network trained by backpropagation (Lecture 5).
 *
 * The network is a stack of layer objects (layers/: dense, conv2d, avgpool, maxpool,
 * flatten; each with forward, backward and params-and-grads, see layers/layer.ts). This
 * file strings them together and owns the loss: step 1 below; each layer does steps 2
 * and 3 for itself. What follows describes the lecture's dense layers (layers/dense.ts).
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

/** A network of dense layers: the lecture's `{ inputs, layers: [{size, unit}, …], loss }`. */
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

/**
 * A network of any layer kinds (dense, conv2d, avgpool, maxpool, flatten, …), e.g.
 * `{ inputs: [1, 28, 28], layers: [{ type: 'conv2d', maps: 6, kernel: 5, padding: 2, unit: 'tanh' }, …], loss }`.
 * `inputs` is the shape of one case: a number (a vector) or [C, H, W] (C maps of H×W pixels,
 * stored channel-major in each row of a batch; see layers/layer.ts).
 */
export interface LayeredNetworkConfig {
  inputs: number | readonly number[];
  /** Bottom to top; the last layer must be a layer of units (dense) matching the loss. */
  layers: AnyLayerSpec[];
  loss: LossName;
  seed?: number;
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

function validateConfig(config: LayeredNetworkConfig): readonly number[] {
  const where = 'createNetwork';
  if (config === null || typeof config !== 'object') throw new ConfigError(where, 'config must be an object');
  const inputs = config.inputs;
  let shape: readonly number[];
  if (typeof inputs === 'number') {
    if (!Number.isInteger(inputs) || inputs < 1) throw new ConfigError(where, `inputs must be a positive integer, got ${String(inputs)}`);
    shape = [inputs];
  } else if (Array.isArray(inputs) && (inputs.length === 1 || inputs.length === 3) && inputs.every((d) => Number.isInteger(d) && d >= 1)) {
    shape = inputs.slice();
  } else {
    throw new ConfigError(
      where,
      `inputs must be a positive integer or a shape [C, H, W] of positive integers (maps, height, width), got ${Array.isArray(inputs) ? `[${inputs.join(', ')}]` : String(inputs)}`,
    );
  }
  if (!Array.isArray(config.layers) || config.layers.length === 0) {
    throw new ConfigError(where, 'layers must be a non-empty array of {size, unit} (the last one is the output layer)');
  }
  if (!isLossName(config.loss)) {
    throw new ConfigError(where, `loss "${String(config.loss)}" is unknown; known losses: ${LOSS_NAMES.join(', ')}`);
  }
  if (config.seed !== undefined && !Number.isFinite(config.seed)) {
    throw new ConfigError(where, `seed must be a finite number, got ${String(config.seed)}`);
  }
  return shape;
}

/** Checks that the output layer is a layer of units that fits the loss. */
function validateOutput(config: LayeredNetworkConfig, layers: readonly Layer[]): UnitLayer {
  const where = 'createNetwork';
  const last = layers.length - 1;
  const out = layers[last]!;
  if (!isUnitLayer(out)) {
    throw new ConfigError(where, `the output layer (layers[${last}]) is ${out.kind}; the last layer must be a layer of units such as {size: 10, unit: 'softmax'}`);
  }
  const loss = getLoss(config.loss);
  if (loss.pairedUnit !== null && out.unit !== loss.pairedUnit) {
    throw new ConfigError(
      where,
      `loss "${config.loss}" needs ${loss.pairedUnit} output units, but the output layer (layers[${last}]) is ${out.unit}; ` +
        `use unit '${loss.pairedUnit}' or loss 'squared-error'`,
    );
  }
  return out;
}

/** Stops a network's worker thread once the network itself is garbage-collected. */
const closeWhenCollected = new FinalizationRegistry<BatchSplit>((split) => split.close());

/**
 * A stack of layers trained by backpropagation. `Network` (= Network<DenseLayer>) is the
 * lecture's net of dense layers, whose layers expose W, b, x, y, dEdx, dEdy, dEdW, dEdb;
 * `Network<Layer>` holds any layer kinds (see layers/).
 */
export class Network<L extends Layer = DenseLayer> {
  readonly config: L extends DenseLayer ? NetworkConfig : LayeredNetworkConfig;
  /** Number of input values per case (C·H·W for images). */
  readonly inputs: number;
  /** Shape of one input case: [n] or [C, H, W]. */
  readonly inputShape: readonly number[];
  readonly outputs: number;
  readonly layers: L[];
  readonly lossName: LossName;
  readonly lossFn: Loss;
  private readonly out: UnitLayer;
  private readonly paramList: ParamRef[];
  private batch = 0;
  /** The input of the last forward pass (not copied; the outputs of "layer −1"). */
  private lastInput: Matrix | null = null;
  /** The second thread of setThreads(2), or null. */
  private split: BatchSplit | null = null;
  /** Cases in the last forward pass when it was split over two threads (0 when it was not). */
  private splitRows = 0;
  /** Full-batch outputs y and summed inputs x of the output layer after a split pass. */
  private splitOut: { y: Float64Array; x: Float64Array; views: Map<number, { y: Matrix; x: Matrix }> } | null = null;
  /** This thread's part of the last split input and target (views, cached). */
  private partIn: { src: Matrix | null; rows: number; view: Matrix | null } = { src: null, rows: -1, view: null };
  private partT: { src: Matrix | null; rows: number; view: Matrix | null } = { src: null, rows: -1, view: null };

  constructor(config: L extends DenseLayer ? NetworkConfig : LayeredNetworkConfig) {
    const cfg = config as LayeredNetworkConfig;
    const shape = validateConfig(cfg);
    this.config = { ...config, layers: cfg.layers.map((l) => ({ ...l })) } as typeof config;
    this.inputShape = shape;
    this.inputs = shapeSize(shape);
    this.lossName = cfg.loss;
    this.lossFn = getLoss(cfg.loss);
    const rng = new Rng(cfg.seed ?? 1);
    const layers: Layer[] = [];
    let below = shape;
    cfg.layers.forEach((spec, index) => {
      const layer = createLayer(spec, { index, inputShape: below, rng, where: 'createNetwork' });
      layers.push(layer);
      below = layer.outputShape;
    });
    this.layers = layers as L[];
    this.out = validateOutput(cfg, layers);
    this.outputs = this.out.size;
    this.paramList = layers.flatMap((l) =>
      l.params().map((p) => ({ name: `${p.name}${l.index + 1}`, layer: l.index, kind: p.kind, values: p.values, grads: p.grads })),
    );
  }

  /** Number of cases in the last batch (both halves when it was split over two threads). */
  get batchSize(): number {
    return this.splitRows > 0 ? this.splitRows : this.batch;
  }

  /** The output layer. */
  get outputLayer(): L & UnitLayer {
    return this.out as L & UnitLayer;
  }

  /** Total number of weights and biases. */
  get paramCount(): number {
    return this.paramList.reduce((s, p) => s + p.values.length, 0);
  }

  /** A human name for layer l: its label if it has one ('C1'), else 'hidden 1', 'hidden 2', …, 'output'. */
  layerName(l: number): string {
    const label = this.layers[l]?.label;
    if (label) return label;
    return l === this.layers.length - 1 ? 'output' : `hidden ${l + 1}`;
  }

  /**
   * One row per layer: name, kind, output shape and parameter count (weights + biases),
   * e.g. for printing a LeNet-5's parameter budget.
   */
  summary(): { layer: number; name: string; kind: string; description: string; outputShape: readonly number[]; weights: number; biases: number; params: number }[] {
    return this.layers.map((l) => {
      const ps = l.params();
      const weights = ps.filter((p) => p.kind === 'weights').reduce((s, p) => s + p.values.length, 0);
      const biases = ps.filter((p) => p.kind === 'biases').reduce((s, p) => s + p.values.length, 0);
      return { layer: l.index, name: this.layerName(l.index), kind: l.kind, description: l.describe(), outputShape: l.outputShape, weights, biases, params: weights + biases };
    });
  }

  /** summary() as a text table (one line per layer and the total). */
  summaryText(): string {
    const rows = this.summary();
    const lines = rows.map(
      (r) => `${r.name.padEnd(9)} ${shapeText(r.outputShape).padEnd(10)} ${String(r.params).padStart(7)}  ${r.description}`,
    );
    return [`${'layer'.padEnd(9)} ${'output'.padEnd(10)} ${'params'.padStart(7)}  what`, ...lines, `${'total'.padEnd(9)} ${''.padEnd(10)} ${String(this.paramCount).padStart(7)}`].join('\n');
  }

  /**
   * Points the per-layer buffers at a batch of `rows` cases. Storage grows only when
   * a larger batch than ever before arrives; a change of batch size otherwise only
   * re-wraps the existing storage, so training loops do not allocate.
   */
  private ensureBatch(rows: number): void {
    if (rows === this.batch) return;
    for (const l of this.layers) l.setBatch(rows);
    this.batch = rows;
  }

  private checkInput(where: string, input: Matrix): void {
    if (!input || typeof input.rows !== 'number' || !(input.data instanceof Float64Array)) {
      throw new ShapeError(where, 'input must be a Matrix {rows, cols, data: Float64Array} with one case per row');
    }
    if (input.rows === 0) throw new DataError(where, 'input is an empty batch (0 rows); give at least one case');
    if (input.cols !== this.inputs) {
      const first = this.layers[0]!;
      const expects = isUnitLayer(first) && first.kind === 'dense'
        ? `layer 1 '${first.unit}' expects ${this.inputs} values per case`
        : `layer 1 (${first.kind}${first.label ? ` ${first.label}` : ''}) expects ${shapeText(this.inputShape)} = ${this.inputs} values per case, C×H×W`;
      throw new ShapeError(where, `input has ${input.cols} columns but the network has ${this.inputs} inputs (${expects})`);
    }
    if (input.data.length < input.rows * input.cols) {
      throw new ShapeError(where, `input data has ${input.data.length} values, fewer than ${input.rows}×${input.cols}`);
    }
    const d = input.data;
    const len = input.rows * input.cols;
    for (let k = 0; k < len; k++) {
      const v = d[k]!;
      if (v - v !== 0) {
        const row = Math.floor(k / input.cols);
        const col = k % input.cols;
        if (this.inputShape.length === 3) {
          const [, H, W] = this.inputShape as [number, number, number];
          const c = Math.floor(col / (H * W));
          const h = Math.floor((col % (H * W)) / W);
          const first = this.layers[0]!;
          throw new DataError(
            where,
            `input row ${row}, column ${col} (image ${row}, map ${c}, pixel (${h}, ${col % W})) is ${v}; inputs must be finite numbers (layer 1, ${first.kind}${first.label ? ` ${first.label}` : ''}, reads ${shapeText(this.inputShape)} images)`,
          );
        }
        throw new DataError(where, `input row ${row}, column ${col} is ${v}; inputs must be finite numbers`);
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
  forward(input: Matrix, options?: { training?: boolean }): Matrix {
    this.checkInput('Network.forward', input);
    const training = options?.training === true;
    if (this.split !== null && this.split.accepts(input.rows)) return this.forwardSplit(input, training);
    this.splitRows = 0;
    this.runForward(input, training);
    return this.out.y;
  }

  /** The layers' forward passes on this thread. */
  private runForward(input: Matrix, training: boolean): void {
    this.ensureBatch(input.rows);
    this.lastInput = input;
    let below = input;
    for (const l of this.layers) {
      l.forward(below, training);
      below = l.y;
    }
  }

  /**
   * Uses a second thread for big batches (opt-in; see parallel.ts): threads(2) splits every
   * batch of at least 8 cases in two halves, one per thread, and adds the two gradients, so
   * training gives the same weights as on one thread up to rounding. After a split pass the
   * layers' own buffers (y, dEdy, …) hold this thread's half of the batch only; forward()'s
   * result and the loss cover the whole batch. Returns the number of threads in use (1 when
   * threads are not available here, e.g. in a sandbox; `threadsUnavailable` then says why).
   */
  setThreads(threads: 1 | 2): number {
    if (threads !== 1 && threads !== 2) throw new ConfigError('Network.setThreads', `threads must be 1 or 2, got ${String(threads)}`);
    if (threads === 1) {
      if (this.split !== null) {
        closeWhenCollected.unregister(this);
        this.split.close();
      }
      this.split = null;
      this.splitRows = 0;
      return 1;
    }
    if (this.split !== null) return 2;
    const started = BatchSplit.start(this.config, this.paramCount, this.inputs, this.outputs);
    if (typeof started === 'string') {
      this.threadsUnavailable = started;
      return 1;
    }
    this.split = started;
    this.threadsUnavailable = '';
    closeWhenCollected.register(this, started, this);
    return 2;
  }

  /** Why the last setThreads(2) stayed on one thread ('' when it did not). */
  threadsUnavailable = '';

  /** Threads the forward and backward passes use (1 or 2). */
  get threads(): number {
    return this.split === null ? 1 : 2;
  }

  private forwardSplit(input: Matrix, training: boolean): Matrix {
    const split = this.split!;
    const B = input.rows;
    const h = Math.ceil(B / 2);
    const r = B - h;
    const nin = this.inputs;
    const nout = this.outputs;
    this.getParams(split.params);
    split.x.set(input.data.subarray(h * nin, B * nin));
    split.post(1, r, B, training);
    try {
      this.runForward(this.part(this.partIn, input, h), training);
    } finally {
      split.wait();
    }
    if (this.splitOut === null) {
      const cap = 2 * 1024 + 1;
      this.splitOut = { y: new Float64Array(cap * nout), x: new Float64Array(cap * nout), views: new Map() };
    }
    const so = this.splitOut;
    so.y.set(this.out.y.data.subarray(0, h * nout));
    so.x.set(this.out.x.data.subarray(0, h * nout));
    so.y.set(split.y.subarray(0, r * nout), h * nout);
    so.x.set(split.xo.subarray(0, r * nout), h * nout);
    let v = so.views.get(B);
    if (v === undefined) {
      v = { y: { rows: B, cols: nout, data: so.y.subarray(0, B * nout) }, x: { rows: B, cols: nout, data: so.x.subarray(0, B * nout) } };
      so.views.set(B, v);
    }
    this.splitRows = B;
    return v.y;
  }

  /** Rows [0, h) of m as a view, re-used while m and h stay the same (no allocation per batch). */
  private part(cache: { src: Matrix | null; rows: number; view: Matrix | null }, m: Matrix, h: number): Matrix {
    if (cache.src !== m || cache.rows !== h || cache.view === null || cache.view.data.buffer !== m.data.buffer) {
      cache.src = m;
      cache.rows = h;
      cache.view = { rows: h, cols: m.cols, data: m.data.subarray(0, h * m.cols) };
    }
    return cache.view;
  }

  /** Mean error per case E = (1/B) Σ_cases E(y, t) after a forward pass on input. */
  loss(input: Matrix, target: Matrix): number {
    this.forward(input);
    this.checkTarget('Network.loss', target, input.rows);
    return this.lastLoss(target);
  }

  /** The mean error of the last forward pass against target (no new forward pass). */
  lastLoss(target: Matrix): number {
    if (this.splitRows > 0) {
      this.checkTarget('Network.lastLoss', target, this.splitRows);
      const v = this.splitOut!.views.get(this.splitRows)!;
      return this.lossFn.value(v.y, target, v.x);
    }
    const out = this.out;
    this.checkTarget('Network.lastLoss', target, this.batch);
    return this.lossFn.value(out.y, target, out.x);
  }

  /**
   * Backward pass for the batch of the last forward() call, in the three steps of
   * "Sketch of backpropagation". Fills dEdy (and dEdx) of every layer (per case) and
   * the parameter gradients of every layer (mean over the batch).
   */
  backward(target: Matrix): void {
    const input = this.lastInput;
    if (input === null) throw new ShapeError('Network.backward', 'call forward(input) before backward(target)');
    if (this.splitRows > 0) {
      // Two threads: each backpropagates its half with alpha = 1/B; the worker's gradients are added.
      const B = this.splitRows;
      this.checkTarget('Network.backward', target, B);
      const split = this.split!;
      const h = this.batch;
      const nout = this.outputs;
      split.t.set(target.data.subarray(h * nout, B * nout));
      split.post(2, B - h, B, false);
      try {
        this.runBackward(input, this.part(this.partT, target, h), 1 / B);
      } finally {
        split.wait();
      }
      const g = split.grads;
      let o = 0;
      for (const p of this.paramList) {
        const d = p.grads;
        for (let k = 0; k < d.length; k++) d[k] = d[k]! + g[o + k]!;
        o += d.length;
      }
      return;
    }
    this.checkTarget('Network.backward', target, this.batch);
    this.runBackward(input, target, 1 / this.batch);
  }

  /** The three steps on this thread; parameter gradients are alpha·Σ over the cases. */
  private runBackward(input: Matrix, target: Matrix, alpha: number): void {
    const L = this.layers.length;
    const out = this.out;

    // Step 1: discrepancy between output and target → error derivatives of the output units.
    this.lossFn.dEdy(out.y, target, out.dEdy, out.x);
    if (this.lossFn.dEdx) {
      this.lossFn.dEdx(out.y, target, out.dEdx); // dE/dx = y − t (the unit's derivative cancels)
    } else {
      out.unitFn.backward(out.y, out.dEdy, out.dEdx); // dE/dx = (dy/dx)·dE/dy
    }

    // Steps 2 and 3, layer by layer from the top: each layer turns its dE/dy (dE/dx) into the
    // derivatives of its weights (dE/dw_ij = y_i dE/dx_j, batch means) and into dE/dy of the
    // layer below (dE/dy_i = Σ_j w_ij dE/dx_j for a dense layer).
    for (let l = L - 1; l >= 0; l--) {
      const here = this.layers[l]!;
      const yBelow = l === 0 ? input : this.layers[l - 1]!.y;
      const dEdyBelow = l === 0 ? null : this.layers[l - 1]!.dEdy;
      if (l === L - 1) out.backwardFromDEdx(yBelow, dEdyBelow, alpha);
      else here.backward(yBelow, dEdyBelow, alpha);
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
  copy(): Network<L> {
    const twin = new Network<L>(this.config);
    twin.setParams(this.getParams());
    return twin;
  }

  /**
   * Runs forward and backward on one case and returns every number of the
   * three steps of "Sketch of backpropagation" as plain arrays, for printing.
   * (It reuses the network's buffers, so it overwrites the last batch's values.)
   */
  trace(input: readonly number[], target: readonly number[]): BackpropTrace {
    const notDense = this.layers.find((l) => l.kind !== 'dense');
    if (notDense) {
      throw new ConfigError(
        'Network.trace',
        `trace() prints the three steps for networks of dense layers; layer ${notDense.index + 1} is ${notDense.kind} (use forward/backward and the layers' y, dEdy instead)`,
      );
    }
    const layers = this.layers as unknown as DenseLayer[];
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
      forward: layers.map((l) => ({ layer: l.index, name: this.layerName(l.index), unit: l.unit, x: arr(l.x), y: arr(l.y) })),
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
      step2: layers
        .slice(0, L - 1)
        .reverse()
        .map((l) => ({ layer: l.index, name: this.layerName(l.index), dEdy: arr(l.dEdy), dEdx: arr(l.dEdx) })),
      step3: layers.map((l) => {
        const dEdW: number[][] = [];
        for (let j = 0; j < l.size; j++) dEdW.push(Array.from(l.dEdW.data.subarray(j * l.inputs, (j + 1) * l.inputs)));
        return { layer: l.index, name: this.layerName(l.index), dEdW, dEdb: arr(l.dEdb) };
      }),
    };
  }
}

/**
 * Creates a network with seeded weights w_ij ~ N(0, 1)/√(fan-in) and zero biases.
 * With `{size, unit}` layers it is the lecture's Network of dense layers; with other
 * layer kinds (conv2d, avgpool, maxpool, flatten, …) a Network<Layer>.
 */
export function createNetwork(config: NetworkConfig): Network<DenseLayer>;
export function createNetwork(config: LayeredNetworkConfig): Network<Layer>;
export function createNetwork(config: NetworkConfig | LayeredNetworkConfig): Network<Layer> {
  return new Network<Layer>(config as LayeredNetworkConfig);
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
