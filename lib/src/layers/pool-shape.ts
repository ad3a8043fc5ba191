import { ConfigError } from '../errors';
import { shapeText, type LayerContext } from './layer';

/** `{ type: 'avgpool' | 'maxpool', window: 2 }` (stride defaults to the window: non-overlapping). */
export interface PoolSpec {
  /** Side of the square window. */
  window: number;
  /** Step between windows (default: window). */
  stride?: number;
  name?: string;
}

/** Shapes of a pooling layer, with ConfigErrors that name the layer, the argument and the numbers. */
export function poolShape(kind: string, spec: PoolSpec, ctx: LayerContext): { C: number; H: number; W: number; k: number; s: number; Ho: number; Wo: number } {
  const at = `layers[${ctx.index}] (${kind}${spec.name ? ` ${spec.name}` : ''})`;
  const bad = (what: string): never => {
    throw new ConfigError(ctx.where, `${at}: ${what}`);
  };
  if (ctx.inputShape.length !== 3) {
    bad(`needs C×H×W maps as input, but the layer below gives ${shapeText(ctx.inputShape)} values`);
  }
  const [C, H, W] = ctx.inputShape as [number, number, number];
  const k = spec.window;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) bad(`window must be an integer ≥ 1, got ${String(k)}`);
  const s = spec.stride ?? k;
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 1) bad(`stride must be an integer ≥ 1, got ${String(s)}`);
  if (k > H || k > W) bad(`window ${k}×${k} is larger than the input maps ${H}×${W}`);
  if ((H - k) % s !== 0 || (W - k) % s !== 0) {
    bad(`stride ${s} does not tile the ${H}×${W} input with ${k}×${k} windows: (H − window) = ${H - k} and (W − window) = ${W - k} must be multiples of ${s}`);
  }
  return { C, H, W, k, s, Ho: (H - k) / s + 1, Wo: (W - k) / s + 1 };
}
