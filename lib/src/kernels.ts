import { ConfigError, ShapeError } from './errors';
import type { Matrix } from './matrix';
import { wasmGemmAvailable, wasmMatmulAB, wasmMatmulABt, wasmMatmulAtB } from './wasm/gemm';

/**
 * The matrix kernels a fully connected net needs, written by hand for speed.
 *
 * With a batch X (one case per row, B×n_in), weights W (n_out×n_in, row j holds
 * the weights w_ij into unit j) and error derivatives D = dE/dx (B×n_out):
 *
 *   forward      x = X·Wᵀ        → matmulABt(X, W, x)
 *   backward     dE/dy = D·W      → matmulAB(D, W, dEdy)      (dE/dy_i = Σ_j w_ij dE/dx_j)
 *   weights      dE/dW = Dᵀ·X     → matmulAtB(D, X, dEdW)     (dE/dw_ij = Σ_cases y_i dE/dx_j)
 *   biases       x += b per row   → addRowVector(x, b);  dE/db = Σ_cases dE/dx → sumRows(D, dEdb)
 *
 * Every product follows the BLAS convention C ← alpha·op(A, B) + beta·C, so
 * beta = 1 accumulates into C and alpha = 1/B averages over a mini-batch.
 *
 * The fast versions are register-blocked: each step of the innermost loop
 * (over k) loads 4 values from each operand into locals and updates a 4×4
 * block of C held in 16 local accumulators, so C is written once per block
 * and every loaded value is used four times. The `...Ref` versions are the
 * textbook triple loops; tests check that both agree.
 *
 * Large products run instead in hand-written WebAssembly SIMD kernels
 * (src/wasm/gemm.wat, f64x2 lanes, same blocking idea) when the engine supports
 * them; the JavaScript kernels remain the fallback and serve small products,
 * for which copying the operands into wasm memory would cost more than it saves.
 */

/** Which implementation the three matrix products use: 'auto' (wasm for big products), 'js' or 'wasm' (every size). */
export type GemmBackend = 'auto' | 'js' | 'wasm';

/**
 * Products with m·k·n below this many multiply-adds stay in JavaScript under 'auto'.
 * Measured on x86-64 (Node 20): at 8×8×8 (512) both take the same time, at 16×16×16 wasm
 * is already twice as fast, because the copies into wasm memory are then cheap.
 */
export const WASM_MIN_WORK = 1024;

let backend: GemmBackend = 'auto';

/**
 * Chooses the GEMM implementation (default 'auto'). 'wasm' still falls back to the
 * JavaScript kernels when WebAssembly SIMD is not available; see gemmBackendInUse().
 */
export function setGemmBackend(choice: GemmBackend): void {
  if (choice !== 'auto' && choice !== 'js' && choice !== 'wasm') {
    throw new ConfigError('setGemmBackend', `backend must be 'auto', 'js' or 'wasm', got ${String(choice)}`);
  }
  backend = choice;
}

/** The implementation large products actually run on: 'wasm' or 'js'. */
export function gemmBackendInUse(): 'wasm' | 'js' {
  return backend !== 'js' && wasmGemmAvailable() ? 'wasm' : 'js';
}

/** True when a product of m·k·n multiply-adds should go to the wasm kernels. */
function wantWasm(m: number, k: number, n: number): boolean {
  if (backend === 'js') return false;
  if (backend === 'auto' && m * k * n < WASM_MIN_WORK) return false;
  return wasmGemmAvailable();
}

function checkProduct(
  kernel: string,
  A: Matrix,
  B: Matrix,
  C: Matrix,
  m: number,
  k: number,
  kB: number,
  n: number,
  aDesc: string,
  bDesc: string,
): void {
  if (k !== kB || C.rows !== m || C.cols !== n) {
    throw new ShapeError(
      kernel,
      `cannot compute ${aDesc}·${bDesc} with A ${A.rows}×${A.cols}, B ${B.rows}×${B.cols}, C ${C.rows}×${C.cols}` +
        (k !== kB ? ` (inner dimensions ${k} and ${kB} differ)` : ` (C must be ${m}×${n})`),
    );
  }
  if (A.data.length < A.rows * A.cols || B.data.length < B.rows * B.cols || C.data.length < C.rows * C.cols) {
    throw new ShapeError(kernel, 'a matrix has fewer values in data than rows×cols');
  }
}

/** Scales C by beta before a reference product adds into it (beta 0 clears, so NaN in old C cannot leak). */
function scaleC(C: Matrix, beta: number): void {
  const c = C.data;
  const len = C.rows * C.cols;
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) c[i] = c[i]! * beta;
}

// ---------------------------------------------------------------- C = A·Bᵀ

/**
 * C ← alpha·A·Bᵀ + beta·C, i.e. c_ij = Σ_k a_ik b_jk. A is m×k, B is n×k, C is m×n.
 * This is the forward pass x = X·Wᵀ: both operands are read along their rows,
 * contiguous in k.
 */
export function matmulABt(A: Matrix, B: Matrix, C: Matrix, alpha = 1, beta = 0): void {
  const m = A.rows;
  const K = A.cols;
  const n = B.rows;
  checkProduct('matmulABt', A, B, C, m, K, B.cols, n, 'A', 'Bᵀ');
  if (wantWasm(m, K, n) && wasmMatmulABt(A, B, C, alpha, beta)) return;
  const a = A.data;
  const b = B.data;
  const c = C.data;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * K;
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = a[a0 + k]!, x1 = a[a1 + k]!, x2 = a[a2 + k]!, x3 = a[a3 + k]!;
        const w0 = b[b0 + k]!, w1 = b[b1 + k]!, w2 = b[b2 + k]!, w3 = b[b3 + k]!;
        c00 += x0 * w0; c01 += x0 * w1; c02 += x0 * w2; c03 += x0 * w3;
        c10 += x1 * w0; c11 += x1 * w1; c12 += x1 * w2; c13 += x1 * w3;
        c20 += x2 * w0; c21 += x2 * w1; c22 += x2 * w2; c23 += x2 * w3;
        c30 += x3 * w0; c31 += x3 * w1; c32 += x3 * w2; c33 += x3 * w3;
      }
      store4(c, i * n + j, n, alpha, beta,
        c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
    }
    // Leftover columns of C (n not a multiple of 4): one column of B at a time, 4 rows of A.
    for (let j = n4; j < n; j++) {
      const b0 = j * K;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const w = b[b0 + k]!;
        s0 += a[a0 + k]! * w; s1 += a[a1 + k]! * w; s2 += a[a2 + k]! * w; s3 += a[a3 + k]! * w;
      }
      put(c, i * n + j, alpha, beta, s0);
      put(c, (i + 1) * n + j, alpha, beta, s1);
      put(c, (i + 2) * n + j, alpha, beta, s2);
      put(c, (i + 3) * n + j, alpha, beta, s3);
    }
  }
  // Leftover rows of C (m not a multiple of 4): plain dot products.
  for (let i = m4; i < m; i++) {
    const a0 = i * K;
    for (let j = 0; j < n; j++) {
      const b0 = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[a0 + k]! * b[b0 + k]!;
      put(c, i * n + j, alpha, beta, s);
    }
  }
}

/** Reference C ← alpha·A·Bᵀ + beta·C as a plain triple loop. */
export function matmulABtRef(A: Matrix, B: Matrix, C: Matrix, alpha = 1, beta = 0): void {
  checkProduct('matmulABtRef', A, B, C, A.rows, A.cols, B.cols, B.rows, 'A', 'Bᵀ');
  scaleC(C, beta);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < B.rows; j++) {
      let s = 0;
      for (let k = 0; k < A.cols; k++) s += A.data[i * A.cols + k]! * B.data[j * B.cols + k]!;
      C.data[i * C.cols + j] = C.data[i * C.cols + j]! + alpha * s;
    }
  }
}

// ---------------------------------------------------------------- C = A·B

/**
 * C ← alpha·A·B + beta·C, i.e. c_ij = Σ_k a_ik b_kj. A is m×k, B is k×n, C is m×n.
 * This is the backward step dE/dy = D·W (dE/dy_i = Σ_j w_ij dE/dx_j).
 */
export function matmulAB(A: Matrix, B: Matrix, C: Matrix, alpha = 1, beta = 0): void {
  const m = A.rows;
  const K = A.cols;
  const n = B.cols;
  checkProduct('matmulAB', A, B, C, m, K, B.rows, n, 'A', 'B');
  if (wantWasm(m, K, n) && wasmMatmulAB(A, B, C, alpha, beta)) return;
  // a_ik sits at i·K + k: rows of A are K apart, its columns 1 apart.
  gemmStridedB(A.data, K, 1, B.data, C.data, m, K, n, alpha, beta);
}

/**
 * C ← alpha·op(A)·B + beta·C where op(A)_ik = a[i·rs + k·cs]: one register-blocked
 * kernel serves both A·B (rs = K, cs = 1) and Aᵀ·B (rs = 1, cs = m). B is K×n and
 * read along its rows, so each k step loads 4 values of op(A)'s column k and 4
 * contiguous values of row k of B and updates a 4×4 block of C.
 */
function gemmStridedB(
  a: Float64Array, rs: number, cs: number, b: Float64Array, c: Float64Array,
  m: number, K: number, n: number, alpha: number, beta: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  const r2 = 2 * rs;
  const r3 = 3 * rs;
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * rs;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let k = 0, ak = a0, bk = j; k < K; k++, ak += cs, bk += n) {
        const x0 = a[ak]!, x1 = a[ak + rs]!, x2 = a[ak + r2]!, x3 = a[ak + r3]!;
        const w0 = b[bk]!, w1 = b[bk + 1]!, w2 = b[bk + 2]!, w3 = b[bk + 3]!;
        c00 += x0 * w0; c01 += x0 * w1; c02 += x0 * w2; c03 += x0 * w3;
        c10 += x1 * w0; c11 += x1 * w1; c12 += x1 * w2; c13 += x1 * w3;
        c20 += x2 * w0; c21 += x2 * w1; c22 += x2 * w2; c23 += x2 * w3;
        c30 += x3 * w0; c31 += x3 * w1; c32 += x3 * w2; c33 += x3 * w3;
      }
      store4(c, i * n + j, n, alpha, beta,
        c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33);
    }
    for (let j = n4; j < n; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0, ak = a0, bk = j; k < K; k++, ak += cs, bk += n) {
        const w = b[bk]!;
        s0 += a[ak]! * w; s1 += a[ak + rs]! * w; s2 += a[ak + r2]! * w; s3 += a[ak + r3]! * w;
      }
      put(c, i * n + j, alpha, beta, s0);
      put(c, (i + 1) * n + j, alpha, beta, s1);
      put(c, (i + 2) * n + j, alpha, beta, s2);
      put(c, (i + 3) * n + j, alpha, beta, s3);
    }
  }
  // Leftover rows of C (m not a multiple of 4): plain dot products.
  for (let i = m4; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0, ak = i * rs, bk = j; k < K; k++, ak += cs, bk += n) s += a[ak]! * b[bk]!;
      put(c, i * n + j, alpha, beta, s);
    }
  }
}

/** Reference C ← alpha·A·B + beta·C as a plain triple loop. */
export function matmulABRef(A: Matrix, B: Matrix, C: Matrix, alpha = 1, beta = 0): void {
  checkProduct('matmulABRef', A, B, C, A.rows, A.cols, B.rows, B.cols, 'A', 'B');
  scaleC(C, beta);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < B.cols; j++) {
      let s = 0;
      for (let k = 0; k < A.cols; k++) s += A.data[i * A.cols + k]! * B.data[k * B.cols + j]!;
      C.data[i * C.cols + j] = C.data[i * C.cols + j]! + alpha * s;
    }
  }
}

// ---------------------------------------------------------------- C = Aᵀ·B

/**
 * C ← alpha·Aᵀ·B + beta·C, i.e. c_ij = Σ_k a_ki b_kj. A is k×m, B is k×n, C is m×n.
 * This is the weight gradient dE/dW = Dᵀ·Y (dE/dw_ij = Σ_cases y_i dE/dx_j,
 * stored at row j, column i). The sum runs over the cases (rows of both
 * operands).
 */
export function matmulAtB(A: Matrix, B: Matrix, C: Matrix, alpha = 1, beta = 0): void {
  const K = A.rows;
  const m = A.cols;
  const n = B.cols;
  checkProduct('matmulAtB', A, B, C, m, K, B.rows, n, 'Aᵀ', 'B');
  if (wantWasm(m, K, n) && wasmMatmulAtB(A, B, C, alpha, beta)) return;
  // (Aᵀ)_ik = a_ki sits at k·m + i: rows of Aᵀ are 1 apart, its columns m apart.
  gemmStridedB(A.data, 1, m, B.data, C.data, m, K, n, alpha, beta);
}

/** Reference C ← alpha·Aᵀ·B + beta·C as a plain triple loop. */
export function matmulAtBRef(A: Matrix, B: Matrix, C: Matrix, alpha = 1, beta = 0): void {
  checkProduct('matmulAtBRef', A, B, C, A.cols, A.rows, B.rows, B.cols, 'Aᵀ', 'B');
  scaleC(C, beta);
  for (let i = 0; i < A.cols; i++) {
    for (let j = 0; j < B.cols; j++) {
      let s = 0;
      for (let k = 0; k < A.rows; k++) s += A.data[k * A.cols + i]! * B.data[k * B.cols + j]!;
      C.data[i * C.cols + j] = C.data[i * C.cols + j]! + alpha * s;
    }
  }
}

// ---------------------------------------------------------------- biases

/** M ← M + v on every row: adds the bias b_j to the summed input x_j of every case. */
export function addRowVector(M: Matrix, v: ArrayLike<number>): void {
  if (v.length !== M.cols) {
    throw new ShapeError('addRowVector', `vector has ${v.length} values but the matrix (${M.rows}×${M.cols}) has ${M.cols} columns`);
  }
  const d = M.data;
  const n = M.cols;
  for (let i = 0, o = 0; i < M.rows; i++, o += n) {
    for (let j = 0; j < n; j++) d[o + j] = d[o + j]! + v[j]!;
  }
}

/** Reference version of addRowVector (element by element through get-style indexing). */
export function addRowVectorRef(M: Matrix, v: ArrayLike<number>): void {
  if (v.length !== M.cols) {
    throw new ShapeError('addRowVectorRef', `vector has ${v.length} values but the matrix (${M.rows}×${M.cols}) has ${M.cols} columns`);
  }
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) M.data[i * M.cols + j] = M.data[i * M.cols + j]! + v[j]!;
}

/**
 * out ← alpha·(column sums of M) + beta·out: the bias gradient dE/db_j = Σ_cases dE/dx_j
 * (alpha = 1/B for the batch mean). Rows are added four at a time to keep the loop
 * contiguous and the dependency chains short.
 */
export function sumRows(M: Matrix, out: Float64Array, alpha = 1, beta = 0): void {
  if (out.length !== M.cols) {
    throw new ShapeError('sumRows', `output has ${out.length} values but the matrix (${M.rows}×${M.cols}) has ${M.cols} columns`);
  }
  const d = M.data;
  const n = M.cols;
  const m = M.rows;
  for (let j = 0; j < n; j++) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i + 3 < m; i += 4) {
      const o = i * n + j;
      s0 += d[o]!; s1 += d[o + n]!; s2 += d[o + 2 * n]!; s3 += d[o + 3 * n]!;
    }
    for (; i < m; i++) s0 += d[i * n + j]!;
    put(out, j, alpha, beta, (s0 + s1) + (s2 + s3));
  }
}

/** Reference column sums: out ← alpha·Σ_i M[i, :] + beta·out. */
export function sumRowsRef(M: Matrix, out: Float64Array, alpha = 1, beta = 0): void {
  if (out.length !== M.cols) {
    throw new ShapeError('sumRowsRef', `output has ${out.length} values but the matrix (${M.rows}×${M.cols}) has ${M.cols} columns`);
  }
  for (let j = 0; j < M.cols; j++) {
    let s = 0;
    for (let i = 0; i < M.rows; i++) s += M.data[i * M.cols + j]!;
    out[j] = (beta === 0 ? 0 : beta * out[j]!) + alpha * s;
  }
}

// ---------------------------------------------------------------- stores

/** c[o] ← alpha·s + beta·c[o]; beta = 0 overwrites (so stale NaN in C is never read). */
function put(c: Float64Array, o: number, alpha: number, beta: number, s: number): void {
  c[o] = beta === 0 ? alpha * s : alpha * s + beta * c[o]!;
}

/** Writes a 4×4 block of accumulators at offset o of a matrix with n columns. */
function store4(
  c: Float64Array, o: number, n: number, alpha: number, beta: number,
  c00: number, c01: number, c02: number, c03: number,
  c10: number, c11: number, c12: number, c13: number,
  c20: number, c21: number, c22: number, c23: number,
  c30: number, c31: number, c32: number, c33: number,
): void {
  const o1 = o + n;
  const o2 = o1 + n;
  const o3 = o2 + n;
  if (beta === 0) {
    c[o] = alpha * c00; c[o + 1] = alpha * c01; c[o + 2] = alpha * c02; c[o + 3] = alpha * c03;
    c[o1] = alpha * c10; c[o1 + 1] = alpha * c11; c[o1 + 2] = alpha * c12; c[o1 + 3] = alpha * c13;
    c[o2] = alpha * c20; c[o2 + 1] = alpha * c21; c[o2 + 2] = alpha * c22; c[o2 + 3] = alpha * c23;
    c[o3] = alpha * c30; c[o3 + 1] = alpha * c31; c[o3 + 2] = alpha * c32; c[o3 + 3] = alpha * c33;
  } else {
    c[o] = alpha * c00 + beta * c[o]!; c[o + 1] = alpha * c01 + beta * c[o + 1]!;
    c[o + 2] = alpha * c02 + beta * c[o + 2]!; c[o + 3] = alpha * c03 + beta * c[o + 3]!;
    c[o1] = alpha * c10 + beta * c[o1]!; c[o1 + 1] = alpha * c11 + beta * c[o1 + 1]!;
    c[o1 + 2] = alpha * c12 + beta * c[o1 + 2]!; c[o1 + 3] = alpha * c13 + beta * c[o1 + 3]!;
    c[o2] = alpha * c20 + beta * c[o2]!; c[o2 + 1] = alpha * c21 + beta * c[o2 + 1]!;
    c[o2 + 2] = alpha * c22 + beta * c[o2 + 2]!; c[o2 + 3] = alpha * c23 + beta * c[o2 + 3]!;
    c[o3] = alpha * c30 + beta * c[o3]!; c[o3 + 1] = alpha * c31 + beta * c[o3 + 1]!;
    c[o3 + 2] = alpha * c32 + beta * c[o3 + 2]!; c[o3 + 3] = alpha * c33 + beta * c[o3 + 3]!;
  }
}
