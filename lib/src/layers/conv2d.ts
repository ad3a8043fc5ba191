import { ConfigError } from '../errors';
import { matmulAB, matmulABt, matmulAtB, sumRows } from '../kernels';
import { zeros, type Matrix } from '../matrix';
import { getUnit, isUnitName, UNIT_NAMES, type Unit, type UnitName } from '../units';
import { BatchBuffer, shapeText, type LayerContext, type LayerParam, type UnitLayer } from './layer';

/** `{ type: 'conv2d', maps: 6, kernel: 5, padding: 2, unit: 'tanh' }` */
export interface Conv2dSpec {
  type: 'conv2d';
  /** Number of output maps (pools of replicated units), M. */
  maps: number;
  /** Kernel side k (k×k), or [kh, kw]. */
  kernel: number | readonly [number, number];
  /** Step between neighbouring replicated units, in input pixels (default 1). */
  stride?: number;
  /** Zero pixels added on every side of each input map (default 0). */
  padding?: number;
  /** Neuron type of the replicated units (softmax is not allowed here). */
  unit: UnitName;
  name?: string;
}

/**
 * 2-D convolution: "replicated units" (Lecture 5, LeNet). Map m is a pool of units that
 * all use the same weights w_m (a C×kh×kw kernel) and bias b_m, each looking at a
 * different kh×kw window of the C input maps:
 *
 *   x_m(oy, ox) = b_m + Σ_c Σ_ky Σ_kx w_m(c, ky, kx) · y_c(oy·s + ky − p, ox·s + kx − p)
 *   y_m(oy, ox) = f(x_m(oy, ox))           (pixels outside the input count as 0: zero padding)
 *
 * Output side: Ho = (H + 2p − kh)/s + 1, Wo = (W + 2p − kw)/s + 1 (must be whole numbers).
 *
 * Weight sharing in backprop: every copy c of a shared weight w has its own derivative
 * ∂E/∂w_c = y_below · dE/dx at that copy's position, and since all copies are the same
 * weight, ∂E/∂w = Σ_copies ∂E/∂w_c (lib/test/conv.test.ts checks this by hand).
 *
 * Fast path ("im2col"): every output position's input window is copied into one row of a
 * matrix `cols` (B·Ho·Wo rows, C·kh·kw columns). Then the whole batch is three GEMMs on
 * the same kernels as the dense layers (blocked JS / WebAssembly SIMD):
 *   forward   X = cols·Wᵀ          (B·P × M)
 *   weights   dE/dW = Dᵀ·cols      (M × C·kh·kw, summed over all copies and cases)
 *   below     dE/dcols = D·W       then scattered back onto the input pixels (col2im)
 * with D = dE/dx re-ordered to one row per output position. All buffers grow only with
 * the batch size, so training allocates nothing per batch.
 */
export class Conv2dLayer implements UnitLayer {
  readonly kind = 'conv2d';
  readonly index: number;
  readonly label: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputs: number;
  readonly size: number;
  readonly unit: UnitName;
  readonly unitFn: Unit;
  /** Input maps C, height H, width W. */
  readonly C: number;
  readonly H: number;
  readonly Win: number;
  /** Output maps M, height Ho, width Wo. */
  readonly M: number;
  readonly Ho: number;
  readonly Wo: number;
  readonly kh: number;
  readonly kw: number;
  readonly stride: number;
  readonly padding: number;
  /** Kernels, M × (C·kh·kw): W.data[m·K + (c·kh + ky)·kw + kx] = w_m(c, ky, kx). */
  readonly W: Matrix;
  readonly b: Float64Array;
  readonly dEdW: Matrix;
  readonly dEdb: Float64Array;
  x: Matrix;
  y: Matrix;
  dEdx: Matrix;
  dEdy: Matrix;
  private readonly buf: { x: BatchBuffer; y: BatchBuffer; dEdx: BatchBuffer; dEdy: BatchBuffer; cols: BatchBuffer; rows: BatchBuffer };
  /** im2col matrix (B·P × K); reused for dE/dcols in backward. */
  private cols: Matrix;
  /** One row per output position (B·P × M): X before re-ordering, then D = dE/dx. */
  private rowsM: Matrix;
  private batch = 0;

  constructor(spec: Conv2dSpec, ctx: LayerContext) {
    const at = `layers[${ctx.index}] (conv2d${spec.name ? ` ${spec.name}` : ''})`;
    const bad = (what: string): never => {
      throw new ConfigError(ctx.where, `${at}: ${what}`);
    };
    if (ctx.inputShape.length !== 3) {
      bad(`needs C×H×W maps as input, but the layer below gives ${shapeText(ctx.inputShape)} values; give the network inputs: [C, H, W] (e.g. [1, 28, 28])`);
    }
    const [C, H, W] = ctx.inputShape as [number, number, number];
    const posInt = (v: unknown, name: string, min = 1): number => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) bad(`${name} must be an integer ≥ ${min}, got ${String(v)}`);
      return v as number;
    };
    const M = posInt(spec.maps, 'maps');
    let kh: number;
    let kw: number;
    if (Array.isArray(spec.kernel)) {
      if (spec.kernel.length !== 2) bad(`kernel must be a number k or [kh, kw], got [${spec.kernel.join(', ')}]`);
      kh = posInt(spec.kernel[0], 'kernel[0]');
      kw = posInt(spec.kernel[1], 'kernel[1]');
    } else {
      kh = kw = posInt(spec.kernel, 'kernel');
    }
    const s = posInt(spec.stride ?? 1, 'stride');
    const p = posInt(spec.padding ?? 0, 'padding', 0);
    if (!isUnitName(spec.unit)) bad(`unit "${String(spec.unit)}" is unknown; known units: ${UNIT_NAMES.join(', ')}`);
    if (spec.unit === 'softmax') bad('softmax units normalise over a whole layer; use them in a dense output layer, not in a convolution');
    if (kh > H + 2 * p || kw > W + 2 * p) {
      bad(`kernel ${kh}×${kw} is larger than the padded input ${H + 2 * p}×${W + 2 * p} (input ${H}×${W}, padding ${p})`);
    }
    if ((H + 2 * p - kh) % s !== 0 || (W + 2 * p - kw) % s !== 0) {
      bad(
        `stride ${s} does not tile the padded input: (H + 2·padding − kernel) = ${H + 2 * p - kh} and (W + 2·padding − kernel) = ${W + 2 * p - kw} must be multiples of ${s}`,
      );
    }
    this.index = ctx.index;
    this.label = spec.name ?? '';
    this.inputShape = [C, H, W];
    this.C = C;
    this.H = H;
    this.Win = W;
    this.M = M;
    this.kh = kh;
    this.kw = kw;
    this.stride = s;
    this.padding = p;
    this.Ho = (H + 2 * p - kh) / s + 1;
    this.Wo = (W + 2 * p - kw) / s + 1;
    this.outputShape = [M, this.Ho, this.Wo];
    this.inputs = C * H * W;
    this.size = M * this.Ho * this.Wo;
    this.unit = spec.unit;
    this.unitFn = getUnit(spec.unit);
    const K = C * kh * kw;
    this.W = zeros(M, K);
    // w ~ N(0, 1)/√fan-in with fan-in = C·kh·kw, as for the dense layers.
    const scale = 1 / Math.sqrt(K);
    for (let k = 0; k < this.W.data.length; k++) this.W.data[k] = ctx.rng.normal() * scale;
    this.b = new Float64Array(M);
    this.dEdW = zeros(M, K);
    this.dEdb = new Float64Array(M);
    const P = this.Ho * this.Wo;
    this.buf = {
      x: new BatchBuffer(this.size),
      y: new BatchBuffer(this.size),
      dEdx: new BatchBuffer(this.size),
      dEdy: new BatchBuffer(this.size),
      cols: new BatchBuffer(P * K),
      rows: new BatchBuffer(P * M),
    };
    this.x = this.buf.x.view(0);
    this.y = this.buf.y.view(0);
    this.dEdx = this.buf.dEdx.view(0);
    this.dEdy = this.buf.dEdy.view(0);
    this.cols = { rows: 0, cols: K, data: this.buf.cols.view(0).data };
    this.rowsM = { rows: 0, cols: M, data: this.buf.rows.view(0).data };
  }

  setBatch(rows: number): void {
    this.x = this.buf.x.view(rows);
    this.y = this.buf.y.view(rows);
    this.dEdx = this.buf.dEdx.view(rows);
    this.dEdy = this.buf.dEdy.view(rows);
    const P = this.Ho * this.Wo;
    const c = this.buf.cols.view(rows).data;
    const r = this.buf.rows.view(rows).data;
    if (rows !== this.batch || c !== this.cols.data || r !== this.rowsM.data) {
      this.cols = { rows: rows * P, cols: this.W.cols, data: c };
      this.rowsM = { rows: rows * P, cols: this.M, data: r };
      this.batch = rows;
    }
  }

  forward(input: Matrix): void {
    const B = input.rows;
    this.im2col(input.data, B);
    matmulABt(this.cols, this.W, this.rowsM); // row (b, p): x_m = Σ_k cols_k w_mk
    // Re-order to C×H×W per case and add the biases: x[b][m][p] = rows[b·P + p][m] + b_m.
    const P = this.Ho * this.Wo;
    const M = this.M;
    const r = this.rowsM.data;
    const x = this.x.data;
    const bias = this.b;
    for (let b = 0; b < B; b++) {
      const rb = b * P * M;
      for (let m = 0; m < M; m++) {
        const bm = bias[m]!;
        const xo = (b * M + m) * P;
        for (let q = 0, ro = rb + m; q < P; q++, ro += M) x[xo + q] = r[ro]! + bm;
      }
    }
    this.unitFn.forward(this.x, this.y);
  }

  backward(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void {
    this.unitFn.backward(this.y, this.dEdy, this.dEdx);
    this.backwardFromDEdx(input, dEdyBelow, alpha);
  }

  backwardFromDEdx(_input: Matrix, dEdyBelow: Matrix | null, alpha: number): void {
    const B = this.batch;
    const P = this.Ho * this.Wo;
    const M = this.M;
    // D: one row per output position, one column per map (the layout of cols·Wᵀ).
    const g = this.dEdx.data;
    const D = this.rowsM.data;
    for (let b = 0; b < B; b++) {
      const db = b * P * M;
      for (let m = 0; m < M; m++) {
        const go = (b * M + m) * P;
        for (let q = 0, o = db + m; q < P; q++, o += M) D[o] = g[go + q]!;
      }
    }
    // ∂E/∂w = Σ over every copy (all positions of all cases) of y_below·dE/dx: one GEMM.
    matmulAtB(this.rowsM, this.cols, this.dEdW, alpha);
    sumRows(this.rowsM, this.dEdb, alpha);
    if (dEdyBelow === null) return;
    matmulAB(this.rowsM, this.W, this.cols); // dE/dcols (cols is free now)
    this.col2im(dEdyBelow.data, B);
  }

  /** Copies every output position's C×kh×kw input window into one row of cols (zeros outside the input). */
  private im2col(src: Float64Array, B: number): void {
    const { C, H, Win: W, kh, kw, stride: s, padding: p, Ho, Wo } = this;
    const cols = this.cols.data;
    const HW = H * W;
    let q = 0;
    for (let b = 0; b < B; b++) {
      const inOff = b * C * HW;
      for (let oy = 0; oy < Ho; oy++) {
        const iy0 = oy * s - p;
        for (let ox = 0; ox < Wo; ox++) {
          const ix0 = ox * s - p;
          const inside = ix0 >= 0 && ix0 + kw <= W;
          for (let c = 0; c < C; c++) {
            const cOff = inOff + c * HW;
            for (let ky = 0; ky < kh; ky++) {
              const iy = iy0 + ky;
              if (iy < 0 || iy >= H) {
                for (let kx = 0; kx < kw; kx++) cols[q++] = 0;
                continue;
              }
              const rOff = cOff + iy * W + ix0;
              if (inside) {
                for (let kx = 0; kx < kw; kx++) cols[q++] = src[rOff + kx]!;
              } else {
                for (let kx = 0; kx < kw; kx++) {
                  const ix = ix0 + kx;
                  cols[q++] = ix >= 0 && ix < W ? src[rOff + kx]! : 0;
                }
              }
            }
          }
        }
      }
    }
  }

  /** Adds every row of dE/dcols back onto the input pixels its window came from (padding dropped). */
  private col2im(dst: Float64Array, B: number): void {
    const { C, H, Win: W, kh, kw, stride: s, padding: p, Ho, Wo } = this;
    const cols = this.cols.data;
    const HW = H * W;
    dst.fill(0, 0, B * C * HW);
    let q = 0;
    for (let b = 0; b < B; b++) {
      const inOff = b * C * HW;
      for (let oy = 0; oy < Ho; oy++) {
        const iy0 = oy * s - p;
        for (let ox = 0; ox < Wo; ox++) {
          const ix0 = ox * s - p;
          const inside = ix0 >= 0 && ix0 + kw <= W;
          for (let c = 0; c < C; c++) {
            const cOff = inOff + c * HW;
            for (let ky = 0; ky < kh; ky++) {
              const iy = iy0 + ky;
              if (iy < 0 || iy >= H) {
                q += kw;
                continue;
              }
              const rOff = cOff + iy * W + ix0;
              if (inside) {
                for (let kx = 0; kx < kw; kx++) dst[rOff + kx] = dst[rOff + kx]! + cols[q++]!;
              } else {
                for (let kx = 0; kx < kw; kx++, q++) {
                  const ix = ix0 + kx;
                  if (ix >= 0 && ix < W) dst[rOff + kx] = dst[rOff + kx]! + cols[q]!;
                }
              }
            }
          }
        }
      }
    }
  }

  params(): LayerParam[] {
    return [
      { name: 'W', kind: 'weights', values: this.W.data, grads: this.dEdW.data },
      { name: 'b', kind: 'biases', values: this.b, grads: this.dEdb },
    ];
  }

  describe(): string {
    const extra = `${this.stride !== 1 ? `, stride ${this.stride}` : ''}${this.padding ? `, padding ${this.padding}` : ''}`;
    return `conv2d ${this.M}@${this.Ho}×${this.Wo}, ${this.kh}×${this.kw} kernels over ${this.C} map${this.C > 1 ? 's' : ''}${extra}, ${this.unit} units (weights shared across positions)`;
  }

  kinks(out: number[]): void {
    if (this.unit !== 'relu') return;
    const d = this.x.data;
    for (let k = 0; k < d.length; k++) out.push(d[k]! > 0 ? 1 : 0);
  }
}
