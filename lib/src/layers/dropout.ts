import { ConfigError, ShapeError } from '../errors';
import type { Matrix } from '../matrix';
import { Rng } from '../rng';
import { BatchBuffer, shapeSize, shapeText, type Layer, type LayerContext, type LayerParam } from './layer';

/** `{ type: 'dropout', rate: 0.5 }`: drops each value of the layer below with probability `rate` while training. */
export interface DropoutSpec {
  type: 'dropout';
  /** Probability p of dropping a value, 0 ≤ p < 1. */
  rate: number;
  /** Seed of the masks (default 1000 + the layer's index; the weights' generator is not used, so adding dropout leaves the weight initialisation unchanged). */
  seed?: number;
  name?: string;
}

/**
 * Dropout (Srivastava et al. 2014), "inverted" form: while training, each value y_i of the
 * layer below is kept with probability 1 − p and scaled by 1/(1 − p), or set to 0:
 *     y_i = m_i · y_below,i,   m_i = 1/(1 − p) with probability 1 − p, else 0.
 * Then E[y_i] = y_below,i, so at evaluation the layer is the identity and the next layer
 * sees activations of the same expected size in both modes. Backprop goes through the same
 * mask: dE/dy_below,i = m_i · dE/dy_i. The layer has no parameters.
 *
 * fixMask() pins a mask (used in every forward pass, training or not, until cleared), so that
 * the loss is a fixed smooth function of the weights and a gradient check can be run
 * through a dropout network.
 */
export class DropoutLayer implements Layer {
  readonly kind = 'dropout';
  readonly index: number;
  readonly label: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputs: number;
  readonly size: number;
  readonly rate: number;
  y: Matrix;
  dEdy: Matrix;
  /** Scaled mask m of the last forward pass (batch × size); all ones after an evaluation pass. */
  mask: Matrix;
  private readonly buf: { y: BatchBuffer; dEdy: BatchBuffer; mask: BatchBuffer };
  private readonly rng: Rng;
  private fixed: Float64Array | null = null;

  constructor(spec: DropoutSpec, ctx: LayerContext) {
    const p = spec.rate;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new ConfigError(ctx.where, `layers[${ctx.index}].rate (dropout probability) must be a number in [0, 1), got ${String(p)}`);
    }
    if (spec.seed !== undefined && !Number.isFinite(spec.seed)) throw new ConfigError(ctx.where, `layers[${ctx.index}].seed must be a finite number`);
    this.index = ctx.index;
    this.label = spec.name ?? '';
    this.rate = p;
    this.inputShape = ctx.inputShape.slice();
    this.outputShape = ctx.inputShape.slice();
    this.inputs = shapeSize(ctx.inputShape);
    this.size = this.inputs;
    this.rng = new Rng(spec.seed ?? 1000 + ctx.index);
    this.buf = { y: new BatchBuffer(this.size), dEdy: new BatchBuffer(this.size), mask: new BatchBuffer(this.size) };
    this.y = this.buf.y.view(0);
    this.dEdy = this.buf.dEdy.view(0);
    this.mask = this.buf.mask.view(0);
  }

  setBatch(rows: number): void {
    this.y = this.buf.y.view(rows);
    this.dEdy = this.buf.dEdy.view(rows);
    this.mask = this.buf.mask.view(rows);
  }

  /**
   * Uses `keep` (1 = keep, 0 = drop; one value per case and unit, row-major, for batches of
   * exactly keep.length / size cases) as the mask of every forward pass until fixMask(null).
   */
  fixMask(keep: ArrayLike<number> | null): void {
    if (keep === null) {
      this.fixed = null;
      return;
    }
    if (keep.length === 0 || keep.length % this.size !== 0) {
      throw new ShapeError('DropoutLayer.fixMask', `the mask has ${keep.length} values; it needs a multiple of the layer size ${this.size} (one row per case)`);
    }
    const scale = 1 / (1 - this.rate);
    this.fixed = Float64Array.from(keep, (v) => (v ? scale : 0));
  }

  forward(input: Matrix, training: boolean): void {
    const n = this.y.data.length;
    const m = this.mask.data;
    if (this.fixed) {
      if (this.fixed.length !== n) {
        throw new ShapeError('DropoutLayer.forward', `the fixed mask covers ${this.fixed.length / this.size} cases but the batch has ${this.y.rows}`);
      }
      m.set(this.fixed);
    } else if (training && this.rate > 0) {
      const p = this.rate;
      const scale = 1 / (1 - p);
      for (let k = 0; k < n; k++) m[k] = this.rng.next() < p ? 0 : scale;
    } else {
      m.fill(1); // evaluation: the identity
    }
    const x = input.data;
    const y = this.y.data;
    for (let k = 0; k < n; k++) y[k] = x[k]! * m[k]!;
  }

  backward(_input: Matrix, dEdyBelow: Matrix | null): void {
    if (dEdyBelow === null) return;
    const d = this.dEdy.data;
    const m = this.mask.data;
    const out = dEdyBelow.data;
    for (let k = 0; k < d.length; k++) out[k] = d[k]! * m[k]!;
  }

  params(): LayerParam[] {
    return [];
  }

  describe(): string {
    return `dropout p = ${this.rate} on ${shapeText(this.inputShape)} (inverted: kept values × ${(1 / (1 - this.rate)).toPrecision(3)} while training; identity at evaluation)`;
  }
}
