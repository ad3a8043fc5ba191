import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors';
import {
  gemmBackendInUse,
  matmulAB,
  matmulABRef,
  matmulABt,
  matmulABtRef,
  matmulAtB,
  matmulAtBRef,
  setGemmBackend,
  type GemmBackend,
} from '../src/kernels';
import { zeros, type Matrix } from '../src/matrix';
import { createNetwork } from '../src/network';
import { Rng } from '../src/rng';
import { train } from '../src/train';
import { wasmGemmAvailable, wasmGemmUnavailableReason } from '../src/wasm/gemm';

function random(rows: number, cols: number, rng: Rng): Matrix {
  const m = zeros(rows, cols);
  for (let k = 0; k < m.data.length; k++) m.data[k] = rng.uniform(-1, 1);
  return m;
}

function expectClose(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!) / (1 + Math.abs(b[k]!)));
  expect(worst).toBeLessThanOrEqual(1e-12);
}

// (m, k, n): C is m×n, inner dimension k. Odd m, k, n exercise the rounded-up blocks and the odd-k tail.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 2], [2, 2, 4], [4, 4, 4], [17, 33, 9], [33, 17, 31], [65, 129, 7], [32, 784, 100], [7, 3, 130], [100, 32, 61],
];

type Kernel = (A: Matrix, B: Matrix, C: Matrix, alpha?: number, beta?: number) => void;
/** Each product with the operand shapes it takes for (m, k, n). */
const PRODUCTS: { name: string; fast: Kernel; ref: Kernel; a: (m: number, k: number) => [number, number]; b: (k: number, n: number) => [number, number] }[] = [
  { name: 'matmulABt (A·Bᵀ)', fast: matmulABt, ref: matmulABtRef, a: (m, k) => [m, k], b: (k, n) => [n, k] },
  { name: 'matmulAB (A·B)', fast: matmulAB, ref: matmulABRef, a: (m, k) => [m, k], b: (k, n) => [k, n] },
  { name: 'matmulAtB (Aᵀ·B)', fast: matmulAtB, ref: matmulAtBRef, a: (m, k) => [k, m], b: (k, n) => [k, n] },
];

/** Runs every product on every shape in overwrite and accumulate modes under the given backend. */
function checkAgainstReference(backend: GemmBackend, seed: number): void {
  setGemmBackend(backend);
  const rng = new Rng(seed);
  for (const p of PRODUCTS) {
    for (const [m, k, n] of SHAPES) {
      const A = random(...p.a(m, k), rng);
      const B = random(...p.b(k, n), rng);
      // Overwrite: C starts as NaN, which must not leak into the result when beta = 0.
      const C = zeros(m, n);
      C.data.fill(Number.NaN);
      const R = zeros(m, n);
      p.fast(A, B, C, 0.37, 0);
      p.ref(A, B, R, 0.37, 0);
      expectClose(C.data, R.data);
      // Accumulate: C ← alpha·op + beta·C from the same random start.
      const C2 = random(m, n, rng);
      const R2 = { rows: m, cols: n, data: C2.data.slice() };
      p.fast(A, B, C2, -1.5, 0.75);
      p.ref(A, B, R2, -1.5, 0.75);
      expectClose(C2.data, R2.data);
    }
  }
}

afterEach(() => setGemmBackend('auto'));

describe('WebAssembly SIMD GEMM kernels', () => {
  it('are available on this Node version (SIMD validated)', () => {
    expect(wasmGemmAvailable(), wasmGemmUnavailableReason()).toBe(true);
    expect(gemmBackendInUse()).toBe('wasm');
  });

  it('equal the reference kernels on odd shapes when forced for every size', () => {
    checkAgainstReference('wasm', 11);
  });

  it('equal the reference kernels under the automatic size threshold', () => {
    checkAgainstReference('auto', 12);
  });

  it('handle operands whose data arrays are longer than rows×cols', () => {
    setGemmBackend('wasm');
    const rng = new Rng(5);
    const big = random(40, 30, rng);
    const A: Matrix = { rows: 9, cols: 30, data: big.data }; // first 9 rows of a longer buffer
    const B = random(6, 30, rng);
    const C = zeros(9, 6);
    const R = zeros(9, 6);
    matmulABt(A, B, C, 1, 0);
    matmulABtRef(A, B, R, 1, 0);
    expectClose(C.data, R.data);
  });

  it('grow their memory for large products and keep giving correct results afterwards', () => {
    setGemmBackend('wasm');
    const rng = new Rng(6);
    const A = random(300, 700, rng); // ~3 MB of operands: more than the initial 64 KiB page
    const B = random(700, 50, rng);
    const C = zeros(300, 50);
    const R = zeros(300, 50);
    matmulAB(A, B, C);
    matmulABRef(A, B, R);
    expectClose(C.data, R.data);
    const a = random(3, 5, rng);
    const b = random(5, 2, rng);
    const c = zeros(3, 2);
    const r = zeros(3, 2);
    matmulAB(a, b, c);
    matmulABRef(a, b, r);
    expectClose(c.data, r.data);
  });

  it('fall back to the JavaScript kernels when forced to, with the same results', () => {
    checkAgainstReference('js', 13);
    setGemmBackend('js');
    expect(gemmBackendInUse()).toBe('js');
  });

  it('train a network to the same weights as the JavaScript kernels', () => {
    // 24-16-3 with batch 12: the products (12·24·16, 16·12·24, …) are above the wasm threshold.
    const rng = new Rng(21);
    const inputs = random(60, 24, rng);
    const targets = zeros(60, 3);
    for (let r = 0; r < 60; r++) targets.data[r * 3 + (r % 3)] = 1;
    const run = (backend: GemmBackend): Float64Array => {
      setGemmBackend(backend);
      const net = createNetwork({ inputs: 24, layers: [{ size: 16, unit: 'tanh' }, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 3 });
      train(net, { inputs, targets }, { epochs: 3, batchSize: 12, learningRate: 0.1, momentum: 0.9, seed: 4 });
      return net.getParams();
    };
    const viaJs = run('js');
    const viaWasm = run('auto');
    expectClose(viaWasm, viaJs);
    expect(viaWasm).not.toEqual(createNetwork({ inputs: 24, layers: [{ size: 16, unit: 'tanh' }, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 3 }).getParams());
  });

  it('reject an unknown backend name', () => {
    expect(() => setGemmBackend('gpu' as GemmBackend)).toThrow(ConfigError);
  });
});
