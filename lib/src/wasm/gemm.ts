import type { Matrix } from '../matrix';
import { GEMM_WASM_BASE64 } from './gemm-wasm.generated';

/**
 * WebAssembly SIMD (f64x2) versions of the three GEMM kernels, from the hand-written
 * src/wasm/gemm.wat. A wasm kernel can only read its own linear memory, so every call
 * copies A, B (and C when beta ≠ 0) into that memory, runs, and copies C back: about
 * (mk + kn + mn) copies against 2mkn flops, worth it once the product is big enough
 * (kernels.ts decides). Shapes are checked by the callers in kernels.ts, not here.
 *
 * The kernels work on 4×4 (A·B, Aᵀ·B) or 2×4 (A·Bᵀ) blocks of C; m and n are rounded
 * up and the extra rows/columns of C are computed from whatever lies behind the
 * operands and then dropped, so no padding has to be written.
 */

/**
 * The parts of the WebAssembly JS API used here. The project compiles without the DOM
 * type library (where TypeScript declares WebAssembly), so they are declared locally.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface GemmExports {
  memory: WasmMemory;
  gemm_nn(
    m: number, n: number, K: number,
    pA: number, saI: number, saK: number,
    pB: number, ldb: number,
    pC: number, ldc: number,
    alpha: number, beta: number,
  ): void;
  gemm_nt(m: number, n: number, K: number, pA: number, pB: number, pC: number, ldc: number, alpha: number, beta: number): void;
}

/** Largest linear memory we are willing to use (i32 byte offsets stay far from 2³¹). */
const MAX_BYTES = 1 << 30;

let state: 'untried' | 'ready' | 'unavailable' = 'untried';
let ex: GemmExports | null = null;
let heap = new Float64Array(0);
let whyUnavailable = '';

function decodeBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Compiles and instantiates the module once (synchronously); false when WebAssembly SIMD is missing. */
export function wasmGemmAvailable(): boolean {
  if (state === 'untried') {
    state = 'unavailable';
    try {
      const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      if (typeof wasm !== 'object' || wasm === null) {
        whyUnavailable = 'WebAssembly is not available';
      } else {
        const bytes = decodeBase64(GEMM_WASM_BASE64);
        // validate() is false when the engine lacks the SIMD instructions the module uses.
        if (!wasm.validate(bytes)) {
          whyUnavailable = 'this engine does not support WebAssembly SIMD';
        } else {
          const instance = new wasm.Instance(new wasm.Module(bytes), {});
          ex = instance.exports as unknown as GemmExports;
          heap = new Float64Array(ex.memory.buffer);
          state = 'ready';
        }
      }
    } catch (err) {
      whyUnavailable = `instantiating the wasm kernels failed: ${(err as Error).message}`;
    }
  }
  return state === 'ready';
}

/** Why wasmGemmAvailable() is false ('' when it is true or was not tried yet). */
export function wasmGemmUnavailableReason(): string {
  return whyUnavailable;
}

/** Makes linear memory hold at least `doubles` values; false if that would exceed MAX_BYTES. */
function reserve(doubles: number): boolean {
  const mem = ex!.memory;
  const bytes = doubles * 8;
  if (bytes > MAX_BYTES) return false;
  const have = mem.buffer.byteLength;
  if (bytes > have) mem.grow(Math.ceil((bytes - have) / 65536));
  // grow() detaches the old ArrayBuffer, so the view is renewed whenever the buffer changed.
  if (heap.buffer !== mem.buffer) {
    heap = new Float64Array(mem.buffer);
    views.clear();
  }
  return true;
}

/**
 * heap.subarray(off, off + len), remembered: training repeats the same few shapes every
 * mini-batch, so after the first batch copying C out allocates nothing.
 */
const views = new Map<number, Float64Array>();
function heapView(off: number, len: number): Float64Array {
  const key = off * 2 ** 27 + len; // off, len < 2²⁷ values (1 GiB of memory)
  let v = views.get(key);
  if (v === undefined) {
    if (views.size >= 64) views.clear();
    v = heap.subarray(off, off + len);
    views.set(key, v);
  }
  return v;
}

const up = (x: number, q: number): number => Math.ceil(x / q) * q;

/** Copies the first rows·cols values of M to heap[off…]. */
function copyIn(M: Matrix, off: number): void {
  const len = M.rows * M.cols;
  heap.set(M.data.length === len ? M.data : M.data.subarray(0, len), off);
}

/** Copies C (m×n, beta ≠ 0 only) into a block with row stride ldc (values). */
function copyCIn(C: Matrix, off: number, ldc: number): void {
  const { rows: m, cols: n, data: c } = C;
  if (ldc === n) {
    copyIn(C, off);
    return;
  }
  for (let i = 0; i < m; i++) for (let j = 0, s = i * n, d = off + i * ldc; j < n; j++) heap[d + j] = c[s + j]!;
}

/** Copies the m×n result from heap (row stride ldc values) back into C. */
function copyCOut(C: Matrix, off: number, ldc: number): void {
  const { rows: m, cols: n, data: c } = C;
  if (ldc === n) {
    c.set(heapView(off, m * n));
    return;
  }
  for (let i = 0; i < m; i++) for (let j = 0, d = i * n, s = off + i * ldc; j < n; j++) c[d + j] = heap[s + j]!;
}

/** C ← alpha·A·Bᵀ + beta·C in wasm (A m×k, B n×k). Returns false (nothing done) if memory is insufficient. */
export function wasmMatmulABt(A: Matrix, B: Matrix, C: Matrix, alpha: number, beta: number): boolean {
  const m = A.rows, K = A.cols, n = B.rows;
  const m2 = up(m, 2), n4 = up(n, 4);
  const offA = 0;
  const offB = up(offA + m2 * K, 2);
  const offC = up(offB + n4 * K, 2);
  if (!reserve(offC + m2 * n4)) return false;
  copyIn(A, offA);
  copyIn(B, offB);
  if (beta !== 0) copyCIn(C, offC, n4);
  ex!.gemm_nt(m2, n4, K, offA * 8, offB * 8, offC * 8, n4 * 8, alpha, beta);
  copyCOut(C, offC, n4);
  return true;
}

/** C ← alpha·A·B + beta·C in wasm (A m×k, B k×n). */
export function wasmMatmulAB(A: Matrix, B: Matrix, C: Matrix, alpha: number, beta: number): boolean {
  const m = A.rows, K = A.cols, n = B.cols;
  const m4 = up(m, 4), n4 = up(n, 4);
  const offA = 0;
  const offB = up(offA + m4 * K, 2);
  const offC = up(offB + K * n + 4, 2);
  if (!reserve(offC + m4 * n4)) return false;
  copyIn(A, offA);
  copyIn(B, offB);
  if (beta !== 0) copyCIn(C, offC, n4);
  ex!.gemm_nn(m4, n4, K, offA * 8, K * 8, 8, offB * 8, n * 8, offC * 8, n4 * 8, alpha, beta);
  copyCOut(C, offC, n4);
  return true;
}

/** C ← alpha·Aᵀ·B + beta·C in wasm (A k×m, B k×n). */
export function wasmMatmulAtB(A: Matrix, B: Matrix, C: Matrix, alpha: number, beta: number): boolean {
  const K = A.rows, m = A.cols, n = B.cols;
  const m4 = up(m, 4), n4 = up(n, 4);
  const offA = 0;
  const offB = up(offA + K * m + 4, 2);
  const offC = up(offB + K * n + 4, 2);
  if (!reserve(offC + m4 * n4)) return false;
  copyIn(A, offA);
  copyIn(B, offB);
  if (beta !== 0) copyCIn(C, offC, n4);
  ex!.gemm_nn(m4, n4, K, offA * 8, 8, m * 8, offB * 8, n * 8, offC * 8, n4 * 8, alpha, beta);
  copyCOut(C, offC, n4);
  return true;
}
