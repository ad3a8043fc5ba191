import { ConfigError } from '../errors';
import { addRowVector, matmulAB, matmulABt, matmulAtB, sumRows } from '../kernels';
import { zeros, type Matrix } from '../matrix';
import { getUnit, isUnitName, UNIT_NAMES, type Unit, type UnitName } from '../units';
import { BatchBuffer, shapeSize, type LayerContext, type LayerParam, type UnitLayer } from './layer';

/** A fully connected layer of `size` units: `{ size: 100, unit: 'logistic' }` (type 'dense' may be omitted). */
export interface LayerSpec {
  type?: 'dense';
  /** Number of units in the layer. */
  size: number;
  /** Their neuron type. */
  unit: UnitName;
  /** Optional short name for tables ('F6'). */
  name?: string;
}

/**
 * A layer of units fully connected to the layer below (Lecture 5).
 *
 * Unit i in the layer below feeds unit j through weight w_ij; unit j receives the
 * summed input x_j = b_j + Σ_i y_i w_ij and outputs y_j = f(x_j). A batch holds one
 * case per row, so with W (row j = the weights into unit j) and the outputs Y of the
 * layer below, X = Y·Wᵀ + b.
 *
 * Backward (steps 2 and 3 of "Sketch of backpropagation"):
 *   dE/dx_j = (dy_j/dx_j) dE/dy_j                       (unitFn.backward, through y)
 *   dE/dw_ij = y_i dE/dx_j,  dE/db_j = dE/dx_j           (batch means: alpha = 1/B)
 *   dE/dy_i (layer below) = Σ_j w_ij dE/dx_j
 *
 * The layer below may be a stack of maps (C×H×W): its row is then read as a vector of
 * C·H·W values, so no separate flatten layer is needed.
 */
export class DenseLayer implements UnitLayer {
  readonly kind = 'dense';
  readonly index: number;
  readonly label: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Number of units in the layer below (or of network inputs). */
  readonly inputs: number;
  /** Number of units in this layer. */
  readonly size: number;
  readonly unit: UnitName;
  readonly unitFn: Unit;
  /** Weights, size × inputs: W.data[j·inputs + i] = w_ij, from unit i below to unit j here. */
  readonly W: Matrix;
  /** Biases b_j. */
  readonly b: Float64Array;
  /** dE/dw_ij (same layout as W), mean over the last batch passed to backward(). */
  readonly dEdW: Matrix;
  /** dE/db_j, mean over the last batch. */
  readonly dEdb: Float64Array;
  x: Matrix;
  y: Matrix;
  dEdx: Matrix;
  dEdy: Matrix;
  private readonly buf: { x: BatchBuffer; y: BatchBuffer; dEdx: BatchBuffer; dEdy: BatchBuffer };

  constructor(spec: LayerSpec, ctx: LayerContext) {
    if (!Number.isInteger(spec.size) || spec.size < 1) {
      throw new ConfigError(ctx.where, `layers[${ctx.index}].size must be a positive integer, got ${String(spec.size)}`);
    }
    if (!isUnitName(spec.unit)) {
      throw new ConfigError(ctx.where, `layers[${ctx.index}].unit "${String(spec.unit)}" is unknown; known units: ${UNIT_NAMES.join(', ')}`);
    }
    this.index = ctx.index;
    this.label = spec.name ?? '';
    this.inputShape = ctx.inputShape.slice();
    this.inputs = shapeSize(ctx.inputShape);
    this.size = spec.size;
    this.outputShape = [spec.size];
    this.unit = spec.unit;
    this.unitFn = getUnit(spec.unit);
    this.W = zeros(spec.size, this.inputs);
    // w_ij ~ N(0, 1)/√fan-in keeps the summed inputs x_j of order 1 at the start.
    const scale = 1 / Math.sqrt(this.inputs);
    for (let k = 0; k < this.W.data.length; k++) this.W.data[k] = ctx.rng.normal() * scale;
    this.b = new Float64Array(spec.size);
    this.dEdW = zeros(spec.size, this.inputs);
    this.dEdb = new Float64Array(spec.size);
    this.buf = { x: new BatchBuffer(spec.size), y: new BatchBuffer(spec.size), dEdx: new BatchBuffer(spec.size), dEdy: new BatchBuffer(spec.size) };
    this.x = this.buf.x.view(0);
    this.y = this.buf.y.view(0);
    this.dEdx = this.buf.dEdx.view(0);
    this.dEdy = this.buf.dEdy.view(0);
  }

  setBatch(rows: number): void {
    this.x = this.buf.x.view(rows);
    this.y = this.buf.y.view(rows);
    this.dEdx = this.buf.dEdx.view(rows);
    this.dEdy = this.buf.dEdy.view(rows);
  }

  /** x = Y_below·Wᵀ + b, y = f(x). */
  forward(input: Matrix): void {
    matmulABt(input, this.W, this.x); // x_j = Σ_i y_i w_ij
    addRowVector(this.x, this.b); //      + b_j
    this.unitFn.forward(this.x, this.y); // y_j = f(x_j)
  }

  backward(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void {
    this.unitFn.backward(this.y, this.dEdy, this.dEdx); // dE/dx = (dy/dx)·dE/dy
    this.backwardFromDEdx(input, dEdyBelow, alpha);
  }

  backwardFromDEdx(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void {
    if (dEdyBelow !== null) matmulAB(this.dEdx, this.W, dEdyBelow); // dE/dy_i = Σ_j w_ij dE/dx_j
    matmulAtB(this.dEdx, input, this.dEdW, alpha); // dE/dw_ij = y_i dE/dx_j (batch mean)
    sumRows(this.dEdx, this.dEdb, alpha); // dE/db_j = dE/dx_j
  }

  params(): LayerParam[] {
    return [
      { name: 'W', kind: 'weights', values: this.W.data, grads: this.dEdW.data },
      { name: 'b', kind: 'biases', values: this.b, grads: this.dEdb },
    ];
  }

  describe(): string {
    return `dense ${this.size} ${this.unit} units (fully connected to ${this.inputs})`;
  }

  kinks(out: number[]): void {
    if (this.unit !== 'relu') return;
    const d = this.x.data;
    for (let k = 0; k < d.length; k++) out.push(d[k]! > 0 ? 1 : 0);
  }
}
