import { describe, expect, it } from 'vitest';
import { DataError, ShapeError } from '../src/errors';
import { fromArrays, fromMathjs, mathjs, toArrays, toMathjs } from '../src/interop';
import { matmulABtRef } from '../src/kernels';
import { fromRows, zeros } from '../src/matrix';

describe('plain arrays', () => {
  it('round-trips nested arrays', () => {
    const rows = [[1, 2, 3], [4, 5, 6]];
    const m = fromArrays(rows);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toArrays(m)).toEqual(rows);
  });

  it('rejects ragged rows and NaN', () => {
    expect(() => fromArrays([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => fromArrays([[1, NaN]])).toThrow(DataError);
    expect(() => fromArrays([1, 2] as unknown as number[][])).toThrow(/rows\[0\] is not an array/);
  });
});

describe('mathjs matrices', () => {
  const mj = mathjs();

  it('round-trips a matrix through mathjs', () => {
    const m = fromRows([[1, -2.5], [3, 4], [0, 7]]);
    const x = toMathjs(m);
    expect(mj.isMatrix(x)).toBe(true);
    expect(x.size()).toEqual([3, 2]);
    expect(fromMathjs(x)).toEqual(m);
  });

  it('agrees with mathjs on X·Wᵀ', () => {
    const X = fromRows([[1, 2, 3], [4, 5, 6]]);
    const W = fromRows([[0.5, -1, 2], [1, 0, -0.25]]);
    const C = zeros(2, 2);
    matmulABtRef(X, W, C);
    const viaMathjs = fromMathjs(mj.multiply(toMathjs(X), mj.transpose(toMathjs(W))) as ReturnType<typeof toMathjs>);
    expect(viaMathjs).toEqual(C);
  });

  it('turns vectors into columns, scalars into 1×1, and converts BigNumbers', () => {
    expect(fromMathjs(mj.matrix([1, 2, 3]))).toEqual(fromRows([[1], [2], [3]]));
    expect(fromMathjs(5)).toEqual(fromRows([[5]]));
    expect(fromMathjs(mj.matrix([[mj.bignumber(0.5) as unknown as number]]))).toEqual(fromRows([[0.5]]));
    const empty = toMathjs(zeros(0, 3));
    expect(empty.size()).toEqual([0, 3]);
  });

  it('rejects complex entries, ragged and 3-D data', () => {
    expect(() => fromMathjs(mj.matrix([[mj.complex(1, 2) as unknown as number]]))).toThrow(/entry \[0\]\[0\]/);
    expect(() => fromMathjs([[1, 2], [3]])).toThrow(/row 1 has 1 values/);
    expect(() => fromMathjs([[[1]]] as unknown as number[][])).toThrow(/only 1-D and 2-D/);
    expect(() => fromMathjs([[Infinity]])).toThrow(DataError);
  });
});
