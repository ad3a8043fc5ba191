import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import {
  MNIST_PIXELS,
  fitStandardizer,
  loadMnist,
  mnistDigitsDir,
  nonSeparable2d,
  oneHot,
  separable2d,
  stratifiedSplit,
  takeLabels,
  takeRows,
  xor,
} from '../src/data';
import { DataError, ShapeError } from '../src/errors';
import { fromRows, toRows } from '../src/matrix';

describe('loadMnist', () => {
  const mnist = loadMnist();

  it('packs 10,000 digits as one 10000×784 Float64Array with labels 0–9', () => {
    expect(mnist.images.rows).toBe(10000);
    expect(mnist.images.cols).toBe(MNIST_PIXELS);
    expect(mnist.images.data).toBeInstanceOf(Float64Array);
    expect(mnist.images.data.length).toBe(10000 * 784);
    expect(mnist.labels).toBeInstanceOf(Uint8Array);
    expect(mnist.labels.length).toBe(10000);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of mnist.images.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });

  it('matches the package files exactly, class by class, in file order', () => {
    let row = 0;
    for (let d = 0; d < 10; d++) {
      const values = (JSON.parse(readFileSync(join(mnistDigitsDir(), `${d}.json`), 'utf8')) as { data: number[] }).data;
      const count = values.length / 784;
      for (let r = row; r < row + count; r++) expect(mnist.labels[r]).toBe(d);
      // Every value of this digit's block equals what JSON.parse gives.
      const block = mnist.images.data.subarray(row * 784, (row + count) * 784);
      let mismatches = 0;
      for (let k = 0; k < values.length; k++) if (block[k] !== values[k]) mismatches++;
      expect(mismatches).toBe(0);
      row += count;
    }
    expect(row).toBe(10000);
  });

  it('parses the files once and hands out the same arrays afterwards', () => {
    // (Its speed, about 0.4 s here, is measured by `npm run bench`, not asserted.)
    const again = loadMnist();
    expect(again.images.data).toBe(mnist.images.data);
    expect(again.labels).toBe(mnist.labels);
  });
});

describe('stratifiedSplit', () => {
  const { labels } = loadMnist();

  it('makes a disjoint split covering every case, each class in proportion', () => {
    const { train, test } = stratifiedSplit(labels, { testSize: 2000, seed: 7 });
    expect(test.length).toBe(2000);
    expect(train.length).toBe(8000);
    const seen = new Uint8Array(10000);
    for (const i of test) seen[i]! += 1;
    for (const i of train) seen[i]! += 1;
    expect(seen.every((c) => c === 1)).toBe(true);
    const perClass = new Array<number>(10).fill(0);
    const inTest = new Array<number>(10).fill(0);
    for (const l of labels) perClass[l]!++;
    for (const i of test) inTest[labels[i]!]!++;
    for (let c = 0; c < 10; c++) expect(Math.abs(inTest[c]! - perClass[c]! * 0.2)).toBeLessThanOrEqual(1);
  });

  it('is repeatable from its seed and differs between seeds', () => {
    const a = stratifiedSplit(labels, { testSize: 0.2, seed: 3 });
    const b = stratifiedSplit(labels, { testSize: 0.2, seed: 3 });
    const c = stratifiedSplit(labels, { testSize: 0.2, seed: 4 });
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
  });

  it('keeps a tiny class represented when rounding', () => {
    const small = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    const { train, test } = stratifiedSplit(small, { testSize: 0.5, seed: 1 });
    expect(test.length).toBe(5);
    expect(Array.from(test).filter((i) => small[i] === 1).length).toBe(1);
    expect(Array.from(train).filter((i) => small[i] === 1).length).toBe(1);
  });

  it('rejects bad labels and sizes, naming the argument', () => {
    expect(() => stratifiedSplit([], { testSize: 0.2 })).toThrow(/labels is empty/);
    expect(() => stratifiedSplit([0, 1, -1], { testSize: 1 })).toThrow(/labels\[2\] is -1/);
    expect(() => stratifiedSplit([0, 1.5, 1], { testSize: 1 })).toThrow(DataError);
    expect(() => stratifiedSplit([0, NaN, 1], { testSize: 1 })).toThrow(/labels\[1\] is NaN/);
    expect(() => stratifiedSplit([0, 1, 1], { testSize: 3 })).toThrow(/testSize/);
    expect(() => stratifiedSplit([0, 1, 1], { testSize: NaN })).toThrow(/testSize/);
  });
});

describe('takeRows, takeLabels, oneHot', () => {
  const m = fromRows([[1, 2], [3, 4], [5, 6]]);

  it('copies the chosen rows in the given order', () => {
    const t = takeRows(m, [2, 0, 2]);
    expect(toRows(t)).toEqual([[5, 6], [1, 2], [5, 6]]);
    t.data[0] = 99;
    expect(m.data[4]).toBe(5);
    expect(Array.from(takeLabels(Uint8Array.from([7, 8, 9]), [1, 1, 0]))).toEqual([8, 8, 7]);
  });

  it('rejects indices out of range', () => {
    expect(() => takeRows(m, [0, 3])).toThrow(/idx\[1\] is 3/);
    expect(() => takeLabels(new Uint8Array(2), [-1])).toThrow(DataError);
  });

  it('builds one-hot targets and rejects labels outside the classes', () => {
    expect(toRows(oneHot([2, 0], 3))).toEqual([[0, 0, 1], [1, 0, 0]]);
    expect(() => oneHot([0, 3], 3)).toThrow(/labels\[1\] is 3/);
    expect(() => oneHot([0, NaN], 3)).toThrow(/labels\[1\] is NaN/);
    expect(() => oneHot([], 3)).toThrow(/labels is empty/);
    expect(() => oneHot([0], 0)).toThrow(/classes/);
  });
});

describe('fitStandardizer', () => {
  it('gives training features mean 0 and std 1, using the training statistics for other data', () => {
    const train = fromRows([[1, 10, 5], [3, 30, 5], [5, 20, 5]]);
    const s = fitStandardizer(train);
    expect(Array.from(s.mean)).toEqual([3, 20, 5]);
    const z = s.apply(train);
    for (let j = 0; j < 2; j++) {
      const col = [0, 1, 2].map((i) => z.data[i * 3 + j]!);
      const mean = col.reduce((a, b) => a + b) / 3;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
      expect(mean).toBeCloseTo(0, 12);
      expect(sd).toBeCloseTo(1, 12);
    }
    // The constant third feature divides by the floor, not by 0.
    expect(s.std[2]).toBe(0.1);
    const other = s.apply(fromRows([[3, 20, 6]]));
    expect(other.data[0]).toBe(0);
    expect(other.data[2]).toBeCloseTo(10, 12);
    expect(Number.isFinite(other.data[2]!)).toBe(true);
  });

  it('rejects empty or non-finite data and mismatched widths', () => {
    expect(() => fitStandardizer(fromRows([]))).toThrow(/no rows/);
    const bad = fromRows([[1, 2]]);
    bad.data[1] = NaN;
    expect(() => fitStandardizer(bad)).toThrow(/m\[0\]\[1\] is NaN/);
    expect(() => fitStandardizer(fromRows([[1, 2]])).apply(fromRows([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => fitStandardizer(fromRows([[1, 2]]), { minStd: 0 })).toThrow(/minStd/);
  });
});

describe('small 2-D sets', () => {
  it('xor has the four cases with labels 0, 1, 1, 0 and an n×1 target', () => {
    const d = xor();
    expect(toRows(d.inputs)).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(Array.from(d.labels)).toEqual([0, 1, 1, 0]);
    expect(d.targets.cols).toBe(1);
    expect(Array.from(d.targets.data)).toEqual([0, 1, 1, 0]);
  });

  it('separable2d is seeded, balanced and on the correct side of its line with a margin', () => {
    const a = separable2d(50, 5);
    expect(Array.from(a.inputs.data)).toEqual(Array.from(separable2d(50, 5).inputs.data));
    expect(Array.from(a.inputs.data)).not.toEqual(Array.from(separable2d(50, 6).inputs.data));
    expect(a.labels.reduce((s, l) => s + l, 0)).toBe(25);
    for (let i = 0; i < 50; i++) {
      const [x1, x2] = [a.inputs.data[2 * i]!, a.inputs.data[2 * i + 1]!];
      const d = (x1 + 0.5 * x2 - 0.1) / Math.hypot(1, 0.5);
      expect(Math.abs(d)).toBeGreaterThanOrEqual(0.1);
      expect(d > 0 ? 1 : 0).toBe(a.labels[i]);
    }
  });

  it('nonSeparable2d holds a class-1 point between two class-0 points', () => {
    const d = nonSeparable2d(40, 2);
    expect(Array.from(d.inputs.data)).toEqual(Array.from(nonSeparable2d(40, 2).inputs.data));
    const last = d.labels.lastIndexOf(1);
    expect(d.labels[0]).toBe(0);
    expect(d.labels[2]).toBe(0);
    expect(d.inputs.data[2 * last]).toBeCloseTo((d.inputs.data[0]! + d.inputs.data[4]!) / 2, 12);
    expect(d.inputs.data[2 * last + 1]).toBeCloseTo((d.inputs.data[1]! + d.inputs.data[5]!) / 2, 12);
  });

  it('rejects too few points', () => {
    expect(() => separable2d(1)).toThrow(/n is 1/);
    expect(() => nonSeparable2d(2.5)).toThrow(DataError);
  });
});
