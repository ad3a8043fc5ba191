import { describe, expect, it } from 'vitest';
import { DataError, ShapeError } from '../src/errors';
import { fromRows } from '../src/matrix';
import { accuracy, argmaxRows, confusionMatrix } from '../src/metrics';

describe('argmaxRows', () => {
  it('returns the column of each row maximum, the first on ties', () => {
    const y = fromRows([[0.1, 0.7, 0.2], [0.5, 0.2, 0.5], [-3, -1, -2]]);
    expect(Array.from(argmaxRows(y))).toEqual([1, 0, 1]);
  });

  it('rejects NaN and rows without columns', () => {
    const y = fromRows([[0.1, 0.7]]);
    y.data[1] = NaN;
    expect(() => argmaxRows(y)).toThrow(/m\[0\]\[1\] is NaN/);
    expect(() => argmaxRows({ rows: 2, cols: 0, data: new Float64Array(0) })).toThrow(ShapeError);
  });
});

describe('accuracy', () => {
  it('is the fraction of matching entries', () => {
    expect(accuracy([1, 2, 3, 4], [1, 2, 0, 4])).toBe(0.75);
    expect(accuracy(Uint32Array.from([0]), Uint8Array.from([1]))).toBe(0);
  });

  it('rejects mismatched lengths, empty input and bad labels', () => {
    expect(() => accuracy([1, 2], [1])).toThrow(/pred has 2 entries but labels has 1/);
    expect(() => accuracy([], [])).toThrow(DataError);
    expect(() => accuracy([1, NaN], [1, 1])).toThrow(/pred\[1\] is NaN/);
  });
});

describe('confusionMatrix', () => {
  it('counts true classes by row and predictions by column', () => {
    const labels = [0, 0, 1, 2, 2, 2];
    const pred = [0, 1, 1, 2, 0, 2];
    const cm = confusionMatrix(pred, labels, 3);
    expect(cm).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    // Row sums are class sizes; the diagonal sum over the total is the accuracy.
    expect(cm.map((r) => r.reduce((a, b) => a + b))).toEqual([2, 1, 3]);
    expect((cm[0]![0]! + cm[1]![1]! + cm[2]![2]!) / 6).toBe(accuracy(pred, labels));
  });

  it('rejects classes outside the range', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/pred\[1\] is 3/);
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).toThrow(/labels\[1\] is -1/);
    expect(() => confusionMatrix([0], [0], 0)).toThrow(/classes/);
  });
});
