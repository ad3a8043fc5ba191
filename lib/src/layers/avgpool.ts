import type { Matrix } from '../matrix';
import type { LayerContext } from './layer';
import { PoolLayer, type PoolSpec } from './pool-shape';

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
export class AvgPoolLayer extends PoolLayer {
  readonly kind = 'avgpool';

  constructor(spec: AvgPoolSpec, ctx: LayerContext) {
    super('avgpool', spec, ctx);
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

  describe(): string {
    return this.describeAs('mean');
  }
}
