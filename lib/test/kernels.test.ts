import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import {
  addRowVector,
  addRowVectorRef,
  matmulAB,
  matmulABRef,
  matmulABt,
  matmulABtRef,
  matmulAtB,
  matmulAtBRef,
  sumRows,
  sumRowsRef,
} from '../src/kernels';
import { zeros, type Matrix } from '../src/matrix';
import { Rng } from '../src/rng';

function random(rows: number, cols: number, rng: Rng): Matrix {
  const m = zeros(rows, cols);
  for (let k = 0; k < m.data.length; k++) m.data[k] = rng.uniform(-1, 1);
  return m;
}

function filled(rows: number, cols: number, v: number): Matrix {
  const m = zeros(rows, cols);
  m.data.fill(v);
  return m;
}

function expectClose(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(b[k]!)));
}

// (m, k, n) triples: C is m×n and the inner dimension is k. Odd sizes exercise every leftover path of the 4×4 blocks.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 2], [5, 1, 7], [17, 33, 9], [4, 4, 4], [8, 3, 12], [9, 16, 5], [13, 7, 1], [1, 20, 13], [33, 17, 31],
];

describe('blocked kernels agree with the reference triple loops', () => {
  const rng = new Rng(42);
  for (const [m, k, n] of SHAPES) {
    it(`A·Bᵀ, A·B, Aᵀ·B for m=${m}, k=${k}, n=${n}`, () => {
      const A = random(m, k, rng);
      const Bt = random(n, k, rng);
      const B = random(k, n, rng);
      const At = random(k, m, rng);
      const cases: [string, (C: Matrix, alpha?: number, beta?: number) => void, (C: Matrix, alpha?: number, beta?: number) => void][] = [
        ['ABt', (C, a, b) => matmulABt(A, Bt, C, a, b), (C, a, b) => matmulABtRef(A, Bt, C, a, b)],
        ['AB', (C, a, b) => matmulAB(A, B, C, a, b), (C, a, b) => matmulABRef(A, B, C, a, b)],
        ['AtB', (C, a, b) => matmulAtB(At, B, C, a, b), (C, a, b) => matmulAtBRef(At, B, C, a, b)],
      ];
      for (const [, fast, ref] of cases) {
        // Overwrite: stale NaN in C must not leak through beta = 0.
        const C1 = filled(m, n, NaN);
        const C2 = filled(m, n, NaN);
        fast(C1);
        ref(C2);
        expectClose(C1.data, C2.data);
        // Accumulate with scaling: C ← alpha·op + beta·C.
        const start = random(m, n, rng);
        const C3 = { ...start, data: start.data.slice() };
        const C4 = { ...start, data: start.data.slice() };
        fast(C3, 0.25, 1);
        ref(C4, 0.25, 1);
        expectClose(C3.data, C4.data);
        expect(C3.data).not.toEqual(start.data);
      }
    });
  }

  it('computes known products (2×3 · 3×2)', () => {
    const A: Matrix = { rows: 2, cols: 3, data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
    const B: Matrix = { rows: 3, cols: 2, data: Float64Array.from([7, 8, 9, 10, 11, 12]) };
    const C = zeros(2, 2);
    matmulAB(A, B, C);
    expect(Array.from(C.data)).toEqual([58, 64, 139, 154]);
    const Bt: Matrix = { rows: 2, cols: 3, data: Float64Array.from([7, 9, 11, 8, 10, 12]) };
    matmulABt(A, Bt, C);
    expect(Array.from(C.data)).toEqual([58, 64, 139, 154]);
    const At: Matrix = { rows: 3, cols: 2, data: Float64Array.from([1, 4, 2, 5, 3, 6]) };
    matmulAtB(At, B, C);
    expect(Array.from(C.data)).toEqual([58, 64, 139, 154]);
  });

  it('bias add and bias sum agree with the references on odd shapes', () => {
    for (const [r, c] of [[1, 1], [3, 5], [17, 33], [5, 7], [4, 1]] as const) {
      const M = random(r, c, rng);
      const v = random(1, c, rng).data;
      const M1 = { ...M, data: M.data.slice() };
      const M2 = { ...M, data: M.data.slice() };
      addRowVector(M1, v);
      addRowVectorRef(M2, v);
      expectClose(M1.data, M2.data);
      const s1 = new Float64Array(c).fill(NaN);
      const s2 = new Float64Array(c).fill(NaN);
      sumRows(M, s1);
      sumRowsRef(M, s2);
      expectClose(s1, s2);
      const a1 = v.slice();
      const a2 = v.slice();
      sumRows(M, a1, 0.5, 1);
      sumRowsRef(M, a2, 0.5, 1);
      expectClose(a1, a2);
    }
    const M: Matrix = { rows: 2, cols: 2, data: Float64Array.from([1, 2, 3, 4]) };
    const out = new Float64Array(2);
    sumRows(M, out);
    expect(Array.from(out)).toEqual([4, 6]);
  });
});

describe('kernel shape checks', () => {
  it('throw ShapeError naming the kernel and the shapes', () => {
    const A = zeros(3, 5);
    const B = zeros(4, 6);
    const C = zeros(3, 4);
    expect(() => matmulABt(A, B, C)).toThrow(ShapeError);
    expect(() => matmulABt(A, B, C)).toThrow(/matmulABt.*A 3×5, B 4×6, C 3×4.*inner dimensions 5 and 6/);
    expect(() => matmulAB(A, zeros(5, 2), C)).toThrow(/matmulAB: .*C must be 3×2/);
    expect(() => matmulAtB(A, zeros(4, 2), zeros(5, 2))).toThrow(/matmulAtB: .*inner dimensions 3 and 4/);
    expect(() => matmulABtRef(A, B, C)).toThrow(/matmulABtRef/);
    expect(() => matmulABRef(A, B, C)).toThrow(/matmulABRef/);
    expect(() => matmulAtBRef(A, B, C)).toThrow(/matmulAtBRef/);
    expect(() => addRowVector(A, new Float64Array(4))).toThrow(/addRowVector: vector has 4 values .*3×5.* 5 columns/);
    expect(() => sumRows(A, new Float64Array(3))).toThrow(/sumRows: output has 3 values/);
  });
});
