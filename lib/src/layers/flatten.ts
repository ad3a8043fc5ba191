import type { Matrix } from '../matrix';
import { BatchBuffer, shapeSize, shapeText, type LayerContext, type LayerParam, type Layer } from './layer';

/** `{ type: 'flatten' }`: reads C×H×W maps as one vector of C·H·W values. */
export interface FlattenSpec {
  type: 'flatten';
  name?: string;
}

/**
 * Flatten: the maps of a case become one vector. With the C×H×W row layout this is the
 * identity on the numbers (y = input, dE/dy below = dE/dy); only the shape changes.
 * (A dense layer reads maps as a vector by itself; flatten makes the step explicit.)
 */
export class FlattenLayer implements Layer {
  readonly kind = 'flatten';
  readonly index: number;
  readonly label: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputs: number;
  readonly size: number;
  y: Matrix;
  dEdy: Matrix;
  private readonly buf: { y: BatchBuffer; dEdy: BatchBuffer };

  constructor(spec: FlattenSpec, ctx: LayerContext) {
    this.index = ctx.index;
    this.label = spec.name ?? '';
    this.inputShape = ctx.inputShape.slice();
    this.inputs = shapeSize(ctx.inputShape);
    this.size = this.inputs;
    this.outputShape = [this.size];
    this.buf = { y: new BatchBuffer(this.size), dEdy: new BatchBuffer(this.size) };
    this.y = this.buf.y.view(0);
    this.dEdy = this.buf.dEdy.view(0);
  }

  setBatch(rows: number): void {
    this.y = this.buf.y.view(rows);
    this.dEdy = this.buf.dEdy.view(rows);
  }

  forward(input: Matrix): void {
    this.y.data.set(input.data.subarray(0, this.y.data.length));
  }

  backward(_input: Matrix, dEdyBelow: Matrix | null): void {
    if (dEdyBelow !== null) dEdyBelow.data.set(this.dEdy.data);
  }

  params(): LayerParam[] {
    return [];
  }

  describe(): string {
    return `flatten ${shapeText(this.inputShape)} → ${this.size}`;
  }
}
