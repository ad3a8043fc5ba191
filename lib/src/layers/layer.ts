import type { Matrix } from '../matrix';
import type { Rng } from '../rng';
import type { Unit, UnitName } from '../units';

/**
 * The layer protocol (after ConvNetJS: every layer kind has forward, backward and
 * its parameters with their gradients). A network is a stack of layers; the
 * network runs them bottom to top on a batch and top to bottom for backprop.
 *
 * Batch layout. A batch is a Matrix with one case per row. A case that is an
 * image stack (C maps of H×W) is stored channel-major inside its row:
 * value (c, h, w) of case b sits at data[b·C·H·W + c·H·W + h·W + w]
 * ("C×H×W", as in PyTorch's NCHW). A flat layer sees the same row as a vector
 * of C·H·W values, so a dense layer can sit directly on top of a convolution.
 *
 * Per-case and mean derivatives. `dEdy` (and `dEdx` for layers of units) hold
 * per-case derivatives, row = case, as on the slides; the parameter gradients are
 * the MEAN over the batch (alpha = 1/B), the derivatives of the mean error.
 */
export interface Layer {
  /** Layer kind: 'dense', 'conv2d', 'avgpool', 'maxpool', 'flatten', … */
  readonly kind: string;
  /** Position in net.layers (0 = first layer above the inputs). */
  readonly index: number;
  /** A short name for tables and errors ('C1', 'hidden 1', …); '' if none was given. */
  readonly label: string;
  /** Shape of one input case: [n] for a vector, [C, H, W] for maps. */
  readonly inputShape: readonly number[];
  /** Shape of one output case. */
  readonly outputShape: readonly number[];
  /** Values per input case (product of inputShape). */
  readonly inputs: number;
  /** Values per output case (product of outputShape); for a dense layer, the number of units. */
  readonly size: number;
  /** Outputs of the last batch (batch × size). */
  y: Matrix;
  /** Per-case dE/dy of the last backward pass (batch × size); filled by the layer above (or the loss). */
  dEdy: Matrix;
  /**
   * Points the batch buffers at `rows` cases. Storage grows only when a larger batch than
   * ever before arrives; otherwise existing storage is re-wrapped, so training does not allocate.
   */
  setBatch(rows: number): void;
  /** y ← layer(input) for the batch (input is batch × inputs). `training` is false for evaluation. */
  forward(input: Matrix, training: boolean): void;
  /**
   * Backprop through the layer: from this.dEdy (per case) computes the parameter gradients
   * (alpha · Σ over the batch, alpha = 1/B for the mean) and, unless dEdyBelow is null (the
   * layer sits on the network's inputs), the per-case dE/dy of the layer below.
   * `input` is the input of the last forward pass.
   */
  backward(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void;
  /** The layer's parameter arrays with their gradients (shared storage); [] when it has none. */
  params(): LayerParam[];
  /** One line for tables: kind, shapes and settings. */
  describe(): string;
  /**
   * Appends numbers that identify which piece of a piecewise function the last forward pass
   * used (signs of ReLU inputs, arg-max positions of a max pool). The gradient check compares
   * them between perturbed points to detect finite differences that straddle a kink.
   */
  kinks?(out: number[]): void;
}

/** A layer of units: summed inputs x and outputs y = f(x) (dense and convolutional layers). */
export interface UnitLayer extends Layer {
  /** Neuron type name, e.g. 'logistic'. */
  readonly unit: UnitName;
  /** The neuron type's forward / backward functions. */
  readonly unitFn: Unit;
  /** Summed inputs x of the last batch (batch × size). */
  x: Matrix;
  /** Per-case dE/dx of the last backward pass (batch × size). */
  dEdx: Matrix;
  /**
   * The part of backward() after the units: with this.dEdx already filled (by the unit's
   * derivative, or by the loss as y − t for paired output units), the parameter gradients
   * and dE/dy of the layer below.
   */
  backwardFromDEdx(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void;
}

/** True for layers with units (x, y = f(x), dE/dx). */
export function isUnitLayer(layer: Layer): layer is UnitLayer {
  return typeof (layer as Partial<UnitLayer>).backwardFromDEdx === 'function' && typeof (layer as Partial<UnitLayer>).unit === 'string';
}

/** One parameter array of a layer with its gradient. */
export interface LayerParam {
  /** 'W' (weights) or 'b' (biases); the network appends the layer number: 'W1', 'b1', … */
  readonly name: string;
  /** Weight decay applies to weights only. */
  readonly kind: 'weights' | 'biases';
  readonly values: Float64Array;
  readonly grads: Float64Array;
}

/** What a layer factory gets from the network. */
export interface LayerContext {
  /** Position in net.layers. */
  index: number;
  /** Shape of one case coming from the layer below (or the network's inputs). */
  inputShape: readonly number[];
  /** The network's seeded generator, shared by the layers in order (bottom to top). */
  rng: Rng;
  /** 'createNetwork' or similar: the function name errors start with. */
  where: string;
}

/** Product of a shape's dimensions. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** '6×28×28' */
export function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}

/**
 * A batch buffer that grows only when needed: `view(rows)` returns a rows×cols Matrix on
 * the shared storage, re-using the same Matrix object while the batch size does not change.
 */
export class BatchBuffer {
  private store = new Float64Array(0);
  private current: Matrix;

  constructor(readonly cols: number) {
    this.current = { rows: 0, cols, data: this.store };
  }

  view(rows: number): Matrix {
    if (rows === this.current.rows && this.current.data.buffer === this.store.buffer) return this.current;
    const n = rows * this.cols;
    if (n > this.store.length) this.store = new Float64Array(n);
    this.current = { rows, cols: this.cols, data: this.store.subarray(0, n) };
    return this.current;
  }
}
