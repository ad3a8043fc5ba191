import { ConfigError } from '../errors';
import { matmulAB, matmulABt, matmulAtB } from '../kernels';
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
 *   forward   X = W·colsᵀ          (M × B·P: one row per map)
 *   weights   dE/dW = D·cols       (M × C·kh·kw, summed over all copies and cases)
 *   below     dE/dcols = Dᵀ·W      then scattered back onto the input pixels (col2im)
 * with D = dE/dx as M × B·P. Moving between that and the C×H×W layout of each case copies
 * contiguous blocks of Ho·Wo values. Large batches are processed in
 * chunks of CONV_CHUNK cases, so the im2col buffer stays small (a training batch of up to
 * CONV_CHUNK cases is one chunk, and backward reuses the forward's cols); all buffers grow
 * only with the batch size, so training allocates nothing per batch.
 */
/** Cases per im2col chunk: bounds the cols buffer (LeNet's C1: 64·784·25 values, 10 MB). */
export const CONV_CHUNK = 64;

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
  private readonly buf: { x: BatchBuffer; y: BatchBuffer; dEdx: BatchBuffer; dEdy: BatchBuffer };
  /** im2col matrix of one chunk of cases (chunk·P × K); reused for dE/dcols in backward. */
  private readonly colsStore: Float64Array;
  /** One row per map, one column per output position of a chunk (M × chunk·P): X before re-ordering, then D = dE/dx. */
  private readonly mapsStore: Float64Array;
  /** Matrix views on the two stores, by number of cases in the chunk. */
  private readonly views = new Map<number, { cols: Matrix; maps: Matrix }>();
  /** The cases [colsFrom, colsTo) of the last forward batch whose windows cols holds. */
  private colsFrom = -1;
  private colsTo = -1;
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
    this.buf = { x: new BatchBuffer(this.size), y: new BatchBuffer(this.size), dEdx: new BatchBuffer(this.size), dEdy: new BatchBuffer(this.size) };
    this.x = this.buf.x.view(0);
    this.y = this.buf.y.view(0);
    this.dEdx = this.buf.dEdx.view(0);
    this.dEdy = this.buf.dEdy.view(0);
    this.colsStore = new Float64Array(CONV_CHUNK * P * K);
    this.mapsStore = new Float64Array(CONV_CHUNK * P * M);
  }

  setBatch(rows: number): void {
    this.x = this.buf.x.view(rows);
    this.y = this.buf.y.view(rows);
    this.dEdx = this.buf.dEdx.view(rows);
    this.dEdy = this.buf.dEdy.view(rows);
    this.batch = rows;
    this.colsFrom = this.colsTo = -1;
  }

  /** cols (n·P × K) and maps (M × n·P) matrices for a chunk of n cases (views created once per chunk size). */
  private chunkViews(n: number): { cols: Matrix; maps: Matrix } {
    let v = this.views.get(n);
    if (v === undefined) {
      const P = this.Ho * this.Wo;
      const K = this.W.cols;
      v = {
        cols: { rows: n * P, cols: K, data: this.colsStore.subarray(0, n * P * K) },
        maps: { rows: this.M, cols: n * P, data: this.mapsStore.subarray(0, n * P * this.M) },
      };
      this.views.set(n, v);
    }
    return v;
  }

  forward(input: Matrix): void {
    const B = input.rows;
    const P = this.Ho * this.Wo;
    const M = this.M;
    const x = this.x.data;
    const bias = this.b;
    for (let b0 = 0; b0 < B; b0 += CONV_CHUNK) {
      const n = Math.min(CONV_CHUNK, B - b0);
      const { cols, maps } = this.chunkViews(n);
      this.im2col(input.data, b0, n);
      // maps = W·colsᵀ: row m holds map m for every position of every case of the chunk.
      matmulABt(this.W, cols, maps);
      // To the C×H×W layout of each case (blocks of P values) plus the biases.
      const r = maps.data;
      const nP = n * P;
      for (let b = 0; b < n; b++) {
        for (let m = 0; m < M; m++) {
          const bm = bias[m]!;
          const src = m * nP + b * P;
          const dst = ((b0 + b) * M + m) * P;
          for (let q = 0; q < P; q++) x[dst + q] = r[src + q]! + bm;
        }
      }
      this.colsFrom = b0;
      this.colsTo = b0 + n;
    }
    this.unitFn.forward(this.x, this.y);
  }

  backward(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void {
    this.unitFn.backward(this.y, this.dEdy, this.dEdx);
    this.backwardFromDEdx(input, dEdyBelow, alpha);
  }

  backwardFromDEdx(input: Matrix, dEdyBelow: Matrix | null, alpha: number): void {
    const B = this.batch;
    const P = this.Ho * this.Wo;
    const M = this.M;
    const g = this.dEdx.data;
    const dEdb = this.dEdb;
    if (dEdyBelow !== null) dEdyBelow.data.fill(0, 0, B * this.inputs);
    for (let b0 = 0; b0 < B; b0 += CONV_CHUNK) {
      const n = Math.min(CONV_CHUNK, B - b0);
      const nP = n * P;
      const { cols, maps } = this.chunkViews(n);
      // D = dE/dx as M × n·P (row m: map m at every position of every case), and dE/db_m = Σ of row m.
      const D = maps.data;
      for (let m = 0; m < M; m++) {
        let sum = 0;
        for (let b = 0; b < n; b++) {
          const src = ((b0 + b) * M + m) * P;
          const dst = m * nP + b * P;
          for (let q = 0; q < P; q++) {
            const v = g[src + q]!;
            D[dst + q] = v;
            sum += v;
          }
        }
        dEdb[m] = (b0 === 0 ? 0 : dEdb[m]!) + alpha * sum;
      }
      // The windows of these cases, unless forward left them in cols (one-chunk batches).
      if (this.colsFrom !== b0 || this.colsTo !== b0 + n) this.im2col(input.data, b0, n);
      this.colsFrom = this.colsTo = -1; // cols is overwritten below
      // ∂E/∂w = Σ over every copy (all positions of all cases) of y_below·dE/dx: one GEMM per chunk.
      matmulAB(maps, cols, this.dEdW, alpha, b0 === 0 ? 0 : 1);
      if (dEdyBelow === null) continue;
      matmulAtB(maps, this.W, cols); // dE/dcols = Dᵀ·W
      this.col2im(dEdyBelow.data, b0, n);
    }
  }

  /** Copies every output position's C×kh×kw input window into one row of cols (zeros outside the input). */
  private im2col(src: Float64Array, b0: number, n: number): void {
    const { C, H, Win: W, kh, kw, stride: s, padding: p, Ho, Wo } = this;
    const cols = this.colsStore;
    const HW = H * W;
    let q = 0;
    for (let b = b0; b < b0 + n; b++) {
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
  private col2im(dst: Float64Array, b0: number, n: number): void {
    const { C, H, Win: W, kh, kw, stride: s, padding: p, Ho, Wo } = this;
    const cols = this.colsStore;
    const HW = H * W;
    let q = 0;
    for (let b = b0; b < b0 + n; b++) {
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
