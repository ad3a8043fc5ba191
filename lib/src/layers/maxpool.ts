import type { Matrix } from '../matrix';
import type { LayerContext } from './layer';
import { PoolLayer, type PoolSpec } from './pool-shape';

/** `{ type: 'maxpool', window: 2 }` */
export interface MaxPoolSpec extends PoolSpec {
  type: 'maxpool';
}

/**
 * Max pooling: each output is the largest value in a k×k window of one map,
 *   y_c(oy, ox) = max_{ky,kx} y_below_c(oy·s + ky, ox·s + kx),
 * and dE/dy flows back only to the winner (the first one on ties). The winners of the
 * last forward pass are kept per output (an Int32Array of input offsets), so backward
 * needs no search.
 */
export class MaxPoolLayer extends PoolLayer {
  readonly kind = 'maxpool';
  /** Offset in the input batch of each output's winner. */
  private argmax = new Int32Array(0);
  private count = 0;

  constructor(spec: MaxPoolSpec, ctx: LayerContext) {
    super('maxpool', spec, ctx);
  }

  override setBatch(rows: number): void {
    super.setBatch(rows);
    this.count = rows * this.size;
    if (this.argmax.length < this.count) this.argmax = new Int32Array(this.count);
  }

  forward(input: Matrix): void {
    const [C, H, W] = this.inputShape as [number, number, number];
    const [, Ho, Wo] = this.outputShape as [number, number, number];
    const k = this.window;
    const s = this.stride;
    const src = input.data;
    const y = this.y.data;
    const arg = this.argmax;
    const planes = input.rows * C;
    for (let pl = 0, o = 0; pl < planes; pl++) {
      const base = pl * H * W;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++, o++) {
          const r0 = base + oy * s * W + ox * s;
          let best = r0;
          let max = src[r0]!;
          for (let ky = 0, r = r0; ky < k; ky++, r += W) {
            for (let kx = 0; kx < k; kx++) {
              const v = src[r + kx]!;
              if (v > max) {
                max = v;
                best = r + kx;
              }
            }
          }
          y[o] = max;
          arg[o] = best;
        }
      }
    }
  }

  backward(input: Matrix, dEdyBelow: Matrix | null): void {
    if (dEdyBelow === null) return;
    const d = dEdyBelow.data;
    const g = this.dEdy.data;
    const arg = this.argmax;
    d.fill(0, 0, input.rows * this.inputs);
    for (let o = 0; o < this.count; o++) d[arg[o]!] = d[arg[o]!]! + g[o]!;
  }

  describe(): string {
    return this.describeAs('max');
  }

  kinks(out: number[]): void {
    for (let o = 0; o < this.count; o++) out.push(this.argmax[o]!);
  }
}
