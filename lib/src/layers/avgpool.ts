import type { Matrix } from '../matrix';
import { BatchBuffer, type Layer, type LayerContext, type LayerParam } from './layer';
import { poolShape, type PoolSpec } from './pool-shape';

/** `{ type: 'avgpool', window: 2 }` */
export interface AvgPoolSpec extends PoolSpec {
  type: 'avgpool';
}

/**
 * Average pooling: "averaging the outputs of nearby replicated units" (Lecture 5, LeNet).
 * Each output is the mean of a k×k window of one map:
 *   y_c(oy, ox) = (1/k²) Σ_{ky,kx} y_below_c(oy·s + ky, ox·s + kx)
 * so every input in the window gets dE/dy_below = (1/k²) dE/dy (summed where windows overlap).
 * No parameters (LeCun's S2/S4 also had a trainable coefficient and bias per map; this is the
 * plain average, as in most modern re-implementations).
 */
export class AvgPoolLayer implements Layer {
  readonly kind = 'avgpool';
  readonly index: number;
  readonly label: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputs: number;
  readonly size: number;
  readonly window: number;
  readonly stride: number;
  y: Matrix;
  dEdy: Matrix;
  private readonly buf: { y: BatchBuffer; dEdy: BatchBuffer };

  constructor(spec: AvgPoolSpec, ctx: LayerContext) {
    const { C, H, W, k, s, Ho, Wo } = poolShape('avgpool', spec, ctx);
    this.index = ctx.index;
    this.label = spec.name ?? '';
    this.inputShape = [C, H, W];
    this.outputShape = [C, Ho, Wo];
    this.inputs = C * H * W;
    this.size = C * Ho * Wo;
    this.window = k;
    this.stride = s;
    this.buf = { y: new BatchBuffer(this.size), dEdy: new BatchBuffer(this.size) };
    this.y = this.buf.y.view(0);
    this.dEdy = this.buf.dEdy.view(0);
  }

  setBatch(rows: number): void {
    this.y = this.buf.y.view(rows);
    this.dEdy = this.buf.dEdy.view(rows);
  }

  forward(input: Matrix): void {
    const [C, H, W] = this.inputShape as [number, number, number];
    const [, Ho, Wo] = this.outputShape as [number, number, number];
    const k = this.window;
    const s = this.stride;
    const inv = 1 / (k * k);
    const src = input.data;
    const y = this.y.data;
    const planes = input.rows * C;
    for (let pl = 0, o = 0; pl < planes; pl++) {
      const base = pl * H * W;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++, o++) {
          let sum = 0;
          for (let ky = 0, r = base + oy * s * W + ox * s; ky < k; ky++, r += W) {
            for (let kx = 0; kx < k; kx++) sum += src[r + kx]!;
          }
          y[o] = sum * inv;
        }
      }
    }
  }

  backward(input: Matrix, dEdyBelow: Matrix | null): void {
    if (dEdyBelow === null) return;
    const [C, H, W] = this.inputShape as [number, number, number];
    const [, Ho, Wo] = this.outputShape as [number, number, number];
    const k = this.window;
    const s = this.stride;
    const inv = 1 / (k * k);
    const g = this.dEdy.data;
    const d = dEdyBelow.data;
    const planes = input.rows * C;
    d.fill(0, 0, planes * H * W);
    for (let pl = 0, o = 0; pl < planes; pl++) {
      const base = pl * H * W;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++, o++) {
          const share = g[o]! * inv;
          for (let ky = 0, r = base + oy * s * W + ox * s; ky < k; ky++, r += W) {
            for (let kx = 0; kx < k; kx++) d[r + kx] = d[r + kx]! + share;
          }
        }
      }
    }
  }

  params(): LayerParam[] {
    return [];
  }

  describe(): string {
    const [C, Ho, Wo] = this.outputShape;
    return `avgpool ${C}@${Ho}×${Wo}, mean of ${this.window}×${this.window} windows${this.stride !== this.window ? `, stride ${this.stride}` : ''}`;
  }
}
