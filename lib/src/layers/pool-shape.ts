import { ConfigError } from '../errors';
import type { Matrix } from '../matrix';
import { BatchBuffer, shapeText, type Layer, type LayerContext, type LayerParam } from './layer';

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

/**
 * What average and max pooling share: the shapes (C maps of H×W in, C of Ho×Wo out), the
 * window and stride, the batch buffers of y and dE/dy, and no parameters. A subclass says
 * how a window becomes one output (forward) and how dE/dy flows back to it (backward).
 */
export abstract class PoolLayer implements Layer {
  abstract readonly kind: string;
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

  constructor(kind: string, spec: PoolSpec, ctx: LayerContext) {
    const { C, H, W, k, s, Ho, Wo } = poolShape(kind, spec, ctx);
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

  abstract forward(input: Matrix): void;
  abstract backward(input: Matrix, dEdyBelow: Matrix | null): void;
  abstract describe(): string;

  params(): LayerParam[] {
    return [];
  }

  /** "avgpool 6@14×14, mean of 2×2 windows" */
  protected describeAs(what: string): string {
    const [C, Ho, Wo] = this.outputShape;
    return `${this.kind} ${C}@${Ho}×${Wo}, ${what} of ${this.window}×${this.window} windows${this.stride !== this.window ? `, stride ${this.stride}` : ''}`;
  }
}
