/**
 * Moving matrices between the library's Float64Array storage, plain nested
 * arrays (for printing, JSON, plots) and mathjs matrices (for checking a small
 * computation by hand in a notebook with mathjs `multiply`, `transpose`, …).
 *
 * mathjs takes most of a second to load, so it is required on first use
 * rather than when the library is imported.
 */
import type * as MathJs from 'mathjs';
import { DataError, ShapeError } from './errors';
import { Matrix, fromRows, toRows, zeros } from './matrix';

let mathjsModule: typeof MathJs | null = null;

/** The mathjs module, loaded on first use. */
export function mathjs(): typeof MathJs {
  if (mathjsModule === null) mathjsModule = require('mathjs') as typeof MathJs;
  return mathjsModule;
}

/** Nested plain arrays, one inner array per row. */
export function toArrays(m: Matrix): number[][] {
  return toRows(m);
}

/** A matrix from nested plain arrays (one per row); ragged rows or NaN throw. */
export function fromArrays(rows: readonly (readonly number[])[]): Matrix {
  if (!Array.isArray(rows)) throw new DataError('fromArrays', 'rows must be an array of rows');
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new ShapeError('fromArrays', `rows[${i}] is not an array; give one array per row`);
  });
  return fromRows(rows);
}

/** A mathjs dense matrix with the same shape and values. */
export function toMathjs(m: Matrix): MathJs.Matrix {
  if (m.rows === 0) return mathjs().zeros(0, m.cols) as MathJs.Matrix;
  return mathjs().matrix(toRows(m));
}

function toNumber(where: string, v: unknown, i: number, j: number): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else {
    const mj = mathjs();
    if (mj.isBigNumber(v) || mj.isFraction(v)) x = mj.number(v as MathJs.BigNumber);
    else throw new DataError(where, `entry [${i}][${j}] is ${String(v)}, not a real number`);
  }
  if (!Number.isFinite(x)) throw new DataError(where, `entry [${i}][${j}] is ${x}; every value must be finite`);
  return x;
}

/**
 * A library matrix from a mathjs matrix (dense or sparse) or nested arrays.
 * A 2-D input keeps its shape; a 1-D vector becomes a column (n×1), as in the
 * lecture's maths; a scalar becomes 1×1.
 */
export function fromMathjs(x: MathJs.Matrix | number | number[] | number[][]): Matrix {
  const where = 'fromMathjs';
  const mj = mathjs();
  let value: unknown;
  if (mj.isMatrix(x)) value = (x as MathJs.Matrix).toArray();
  else value = x;
  if (typeof value === 'number' || mj.isBigNumber(value) || mj.isFraction(value)) {
    const out = zeros(1, 1);
    out.data[0] = toNumber(where, value, 0, 0);
    return out;
  }
  if (!Array.isArray(value)) throw new DataError(where, 'x must be a mathjs matrix, a number, or nested arrays');
  const outer = value as unknown[];
  if (outer.length > 0 && outer.every((v) => !Array.isArray(v))) {
    const out = zeros(outer.length, 1);
    outer.forEach((v, i) => (out.data[i] = toNumber(where, v, i, 0)));
    return out;
  }
  const rows = outer.length;
  const cols = rows === 0 ? 0 : (outer[0] as unknown[]).length;
  const out = zeros(rows, cols);
  outer.forEach((row, i) => {
    if (!Array.isArray(row)) throw new ShapeError(where, `row ${i} is not an array while row 0 is`);
    if (row.length !== cols) throw new ShapeError(where, `row ${i} has ${row.length} values but row 0 has ${cols}`);
    row.forEach((v: unknown, j: number) => {
      if (Array.isArray(v)) throw new ShapeError(where, `entry [${i}][${j}] is an array; only 1-D and 2-D data convert to a matrix`);
      out.data[i * cols + j] = toNumber(where, v, i, j);
    });
  });
  return out;
}
