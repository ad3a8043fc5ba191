import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENVIRONMENT, MISMATCHED_ENVIRONMENT, RANGE_CLASSES, Rng, accumulateSnapshot, bartlettAmbiguity, bartlettLocalize, bartlettReplicas,
  classCenterKm, defaultArrayDepths, featuresPerFrequency, generateScms, mape, noiseStdFor, noisySnapshotInto, outputsToRangeKm,
  randomSplit, rangeAccuracy, rangeClass, rangeTargetsOneHot, recordingScms, scmMatrix, scoreRanges, selectFrequencies, simulateTracks,
  splitByGroup, splitByTimeBlocks, takeScms, trainLocalizer, upperIndex, wrap, zeros, ModalField, pekerisModes,
} from '../src';

const F3 = [300, 550, 950];

describe('SCM features', () => {
  it('a hand example: p = (1 + i, 2) gives C = p pᴴ/‖p‖² stored as Re then Im of the upper triangle', () => {
    const feat = new Float64Array(6);
    accumulateSnapshot(Float64Array.from([1, 1, 2, 0]), 2, feat, 0, 1);
    // ‖p‖² = 6; C00 = 2/6, C01 = (1 + i)·2/6, C11 = 4/6
    const want = [2 / 6, 2 / 6, 4 / 6, 0, 2 / 6, 0];
    want.forEach((v, k) => expect(feat[k]).toBeCloseTo(v, 15));
    expect(upperIndex(4, 0, 0)).toBe(0);
    expect(upperIndex(4, 1, 1)).toBe(4);
    expect(upperIndex(4, 3, 3)).toBe(9);
    expect(featuresPerFrequency(16)).toBe(272);
  });

  it('has L(L + 1) = 272 features per frequency, concatenated; unit trace, Hermitian, positive semidefinite', () => {
    const d = generateScms({ frequencies: F3, snr: 0, rangesKm: [0.5, 1.7, 2.8], seed: 3 });
    expect(d.features.cols).toBe(816);
    const rng = new Rng(1);
    for (let row = 0; row < 3; row++) {
      for (let f = 0; f < 3; f++) {
        const C = scmMatrix(d, row, f);
        let trace = 0;
        for (let i = 0; i < 16; i++) {
          trace += C[2 * (i * 17)]!;
          expect(C[2 * (i * 17) + 1]).toBe(0);
          for (let j = 0; j < 16; j++) {
            expect(C[2 * (i * 16 + j)]).toBe(C[2 * (j * 16 + i)]);
            expect(C[2 * (i * 16 + j) + 1]! + C[2 * (j * 16 + i) + 1]!).toBe(0);
          }
        }
        expect(trace).toBeCloseTo(1, 12); // every snapshot has unit norm
        for (let trial = 0; trial < 5; trial++) {
          const x = Float64Array.from({ length: 32 }, () => rng.normal());
          let q = 0;
          for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) {
            const cr = C[2 * (i * 16 + j)]!, ci = C[2 * (i * 16 + j) + 1]!;
            const xr = x[2 * i]!, xi = x[2 * i + 1]!, yr = x[2 * j]!, yi = x[2 * j + 1]!;
            // conj(x_i) C_ij x_j, real part
            q += (xr * cr + xi * ci) * yr - (xr * ci - xi * cr) * yi;
          }
          expect(q).toBeGreaterThanOrEqual(-1e-12);
        }
      }
    }
  });

  it('without noise the SCM is the projector ĝĝᴴ whatever the source amplitude, phase or Ns', () => {
    const a = generateScms({ frequencies: [550], snr: Infinity, rangesKm: [1.234], seed: 1, snapshots: 1 });
    const b = generateScms({ frequencies: [550], snr: Infinity, rangesKm: [1.234], seed: 77, snapshots: 25 });
    Array.from(a.features.data).forEach((v, k) => expect(b.features.data[k]).toBeCloseTo(v, 12));
    const g = new ModalField(pekerisModes(DEFAULT_ENVIRONMENT, 550), 5, defaultArrayDepths()).pressure(1234);
    const n2 = g.reduce((s, v) => s + v * v, 0);
    const C = scmMatrix(a, 0, 0);
    // C_03 = g_0 conj(g_3)/‖g‖²
    expect(C[2 * 3]).toBeCloseTo((g[0]! * g[6]! + g[1]! * g[7]!) / n2, 12);
    expect(C[2 * 3 + 1]).toBeCloseTo((g[1]! * g[6]! - g[0]! * g[7]!) / n2, 12);
  });

  it('draws noise at the requested SNR and lower SNR whitens the SCM', () => {
    const g = new ModalField(pekerisModes(DEFAULT_ENVIRONMENT, 300), 5, defaultArrayDepths()).pressure(900);
    const L = 16;
    const power = g.reduce((s, v) => s + v * v, 0) / L;
    const rng = new Rng(4);
    const p = new Float64Array(32);
    let noise = 0;
    const trials = 20000;
    for (let k = 0; k < trials; k++) {
      noisySnapshotInto(new Float64Array(32), L, noiseStdFor(power, -3), rng, p); // zero field: noise only
      for (let q = 0; q < 32; q++) noise += p[q]! * p[q]!;
    }
    const snr = 10 * Math.log10(power / (noise / trials / L));
    expect(snr).toBeCloseTo(-3, 1);
    const offDiag = (snrDb: number) => {
      const d = generateScms({ frequencies: [300], snr: snrDb, rangesKm: Array(200).fill(0.9), seed: 5 });
      let s = 0;
      for (let r = 0; r < 200; r++) {
        const C = scmMatrix(d, r, 0);
        for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) s += Math.hypot(C[2 * (i * L + j)]!, C[2 * (i * L + j) + 1]!);
      }
      return s / 200;
    };
    const o = [20, 0, -10].map(offDiag);
    expect(o[0]).toBeGreaterThan(o[1]!);
    expect(o[1]).toBeGreaterThan(o[2]!);
  });

  it('forms SCMs from track recordings in windows that never cross tracks', () => {
    const rec = simulateTracks(
      [{ name: 'out', startKm: 1, endKm: 1.2, speed: 2 }, { name: 'back', startKm: 2, endKm: 1.9, speed: 4, snapshotInterval: 2 }],
      { frequencies: [300, 950], snr: 10, seed: 2 },
    );
    expect(rec.time.length).toBe(101 + 13);
    const d = recordingScms(rec, { snapshots: 10, hop: 5 });
    // Track 1: starts 0, 5, …, 90 (19 windows); track 2 (13 snapshots): start 0 (1 window).
    expect(d.features.rows).toBe(20);
    expect(Array.from(d.track)).toEqual([...Array(19).fill(0), 1]);
    expect(d.rangeKm[0]).toBeCloseTo(1.009, 12); // mean of 1.000 … 1.018 km
    expect(d.rangeKm[19]).toBeCloseTo(2 - (4.5 * 8) / 1000, 12);
    // Windows are built from exactly the recorded snapshots.
    const manual = new Float64Array(272);
    for (let s = 5; s < 15; s++) accumulateSnapshot(rec.data[1]!.subarray(s * 32, (s + 1) * 32), 16, manual, 0, 0.1);
    const row1 = d.features.data.subarray(544 + 272, 544 + 544);
    manual.forEach((v, k) => expect(row1[k]).toBeCloseTo(v, 14));
    const one = selectFrequencies(d, [1]);
    expect(one.features.cols).toBe(272);
    expect(Array.from(one.features.data.subarray(272, 544))).toEqual(Array.from(row1));
    expect(() => recordingScms(rec, { snapshots: 500 })).toThrow(/no track has 500 snapshots/);
    expect(() => simulateTracks([{ name: 'deep', startKm: 1, endKm: 2, sourceDepth: 400 }], { frequencies: [300], snr: 0 })).toThrow(/tracks\[0\] \(deep\): sourceDepth must lie in the water/);
  });
});

describe('range labels, metrics and splits', () => {
  it('138 classes of 20 m between 0.1 and 2.86 km', () => {
    expect(RANGE_CLASSES).toBe(138);
    expect(rangeClass(0.1)).toBe(0);
    expect(rangeClass(0.1199)).toBe(0);
    expect(rangeClass(0.12)).toBe(1);
    expect(rangeClass(2.86)).toBe(137);
    expect(rangeClass(5)).toBe(137);
    expect(classCenterKm(0)).toBeCloseTo(0.11, 12);
    expect(classCenterKm(137)).toBeCloseTo(2.85, 12);
    for (let k = 0; k < 138; k++) expect(rangeClass(classCenterKm(k))).toBe(k);
    const t = rangeTargetsOneHot([0.5, 2]);
    expect(t.data[rangeClass(0.5)]).toBe(1);
    expect(t.data.reduce((s, v) => s + v, 0)).toBe(2);
    expect(Array.from(outputsToRangeKm(t))).toEqual([classCenterKm(rangeClass(0.5)), classCenterKm(rangeClass(2))]);
    expect(outputsToRangeKm(wrap(2, 1, Float64Array.from([1.5, 0.2])))[0]).toBe(1.5);
    expect(() => outputsToRangeKm(zeros(1, 7))).toThrow(/expected 1 \(regression, km\) or 138/);
  });

  it('MAPE and accuracy on a worked example', () => {
    // |1.1 − 1|/1 = 10 %, |0.45 − 0.5|/0.5 = 10 %, |2 − 2|/2 = 0 → 20/3 %
    expect(mape([1.1, 0.45, 2], [1, 0.5, 2])).toBeCloseTo(20 / 3, 12);
    expect(rangeAccuracy([1.1, 0.505, 2], [1, 0.5, 2])).toBeCloseTo(2 / 3, 12);
    expect(() => mape([1], [0])).toThrow(/MAPE needs positive ranges/);
  });

  it('splits by track and by time block never share a case; the random split is disjoint too', () => {
    const groups = [0, 0, 1, 1, 2, 2, 2];
    const s = splitByGroup(groups, [2]);
    expect(Array.from(s.test)).toEqual([4, 5, 6]);
    expect(Array.from(s.train)).toEqual([0, 1, 2, 3]);
    expect(() => splitByGroup(groups, [9])).toThrow(/leaves 7 training and 0 test/);
    const time = Array.from({ length: 100 }, (_, k) => k);
    const b = splitByTimeBlocks(time, { blockSeconds: 20, testEvery: 5, phase: 2, gapSeconds: 5 });
    expect(Array.from(b.test)).toEqual(time.filter((t) => t >= 45 && t <= 55));
    for (const k of b.train) expect(k < 40 || k > 60).toBe(true);
    const r = randomSplit(50, 0.2, 3);
    expect(r.test.length).toBe(10);
    expect(new Set([...r.train, ...r.test]).size).toBe(50);
  });
});

describe('Bartlett matched-field processing', () => {
  const grid = Float64Array.from({ length: 277 }, (_, k) => 0.1 + 0.01 * k);
  const truth = [0.33, 1.01, 1.77, 2.5];

  it('finds noise-free sources exactly with the true environment (ambiguity 1 at the source)', () => {
    const d = generateScms({ frequencies: F3, snr: Infinity, rangesKm: truth, seed: 1 });
    const rep = bartlettReplicas({ env: DEFAULT_ENVIRONMENT, frequencies: F3, arrayDepths: defaultArrayDepths(), rangesKm: grid });
    const est = bartlettLocalize(d, rep);
    truth.forEach((r, k) => expect(est[k]).toBeCloseTo(r, 9));
    const amb = bartlettAmbiguity(d, 1, rep);
    expect(Math.max(...amb)).toBeCloseTo(1, 9);
    expect(Math.min(...amb)).toBeGreaterThanOrEqual(0);
  });

  it('degrades with a mismatched environment (149 m, 1650 m/s) and at low SNR', () => {
    const rng = new Rng(8);
    const ranges = Array.from({ length: 60 }, () => rng.uniform(0.1, 2.86));
    const hi = generateScms({ frequencies: F3, snr: 10, rangesKm: ranges, seed: 2 });
    const lo = generateScms({ frequencies: F3, snr: -10, rangesKm: ranges, seed: 2 });
    const matched = bartlettReplicas({ env: DEFAULT_ENVIRONMENT, frequencies: F3, arrayDepths: defaultArrayDepths(), rangesKm: grid });
    const wrong = bartlettReplicas({ env: MISMATCHED_ENVIRONMENT, frequencies: F3, arrayDepths: defaultArrayDepths(), rangesKm: grid });
    const mHi = mape(bartlettLocalize(hi, matched), ranges);
    const mLo = mape(bartlettLocalize(lo, matched), ranges);
    const wHi = mape(bartlettLocalize(hi, wrong), ranges);
    expect(mHi).toBeLessThan(2);
    expect(mLo).toBeGreaterThan(mHi);
    expect(wHi).toBeGreaterThan(5 * Math.max(mHi, 1));
    expect(() => bartlettLocalize(selectFrequencies(hi, [0]), matched)).toThrow(/frequencies \(300 Hz\) differ/);
  });
});

describe('the localiser end to end (small and quick)', () => {
  // Training: SCMs at random ranges; test: a ship track the network never saw.
  const rng = new Rng(11);
  const ranges = Array.from({ length: 1500 }, () => rng.uniform(0.1, 2.86));
  const trainSet = generateScms({ frequencies: [550], snr: 10, rangesKm: ranges, seed: 12 });
  const testSet = recordingScms(simulateTracks([{ name: 'test', startKm: 2.8, endKm: 0.15, speed: 2 }], { frequencies: [550], snr: 10, seed: 13 }), { snapshots: 10 });

  it('classification (sigmoid hidden layer, dropout, softmax, Adam) localises a test track', () => {
    const loc = trainLocalizer(trainSet, { hidden: 48, dropout: 0.2, epochs: 8, seed: 1 });
    const s = scoreRanges(loc.predictKm(testSet), testSet);
    expect(s.mape).toBeLessThan(10);
    expect(loc.net.layers.map((l) => l.kind)).toEqual(['dense', 'dropout', 'dense']);
  });

  it('regression (one linear output, squared error, range in km) works on the same features', () => {
    const loc = trainLocalizer(trainSet, { mode: 'regression', hidden: 48, dropout: 0, epochs: 15, seed: 1 });
    expect(loc.net.outputs).toBe(1);
    const pred = loc.predictKm(testSet);
    const s = scoreRanges(pred, testSet);
    expect(s.mape).toBeLessThan(40);
    // Better than always answering the mean training range.
    const mean = ranges.reduce((a, b) => a + b, 0) / ranges.length;
    expect(s.mape).toBeLessThan(mape(new Float64Array(pred.length).fill(mean), testSet.rangeKm) / 2);
  });

  it('takeScms keeps rows and labels together', () => {
    const sub = takeScms(testSet, [3, 1]);
    expect(sub.rangeKm[0]).toBe(testSet.rangeKm[3]);
    expect(Array.from(sub.features.data.subarray(0, 272))).toEqual(Array.from(testSet.features.data.subarray(3 * 272, 4 * 272)));
  });
});
