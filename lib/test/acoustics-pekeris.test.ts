import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENVIRONMENT, ModalField, cabs, cadd, cdiv, cexp, cmul, complex, csqrt, clearModeCache, cutoffFrequency, expi,
  modeCount, modeShape, pekerisCharacteristic, pekerisModes, transmissionLoss, type PekerisEnvironment,
} from '../src/acoustics';

/** Composite Simpson rule of fn on [a, b] with n (even) intervals. */
function simpson(fn: (x: number) => number, a: number, b: number, n: number): number {
  const h = (b - a) / n;
  let s = fn(a) + fn(b);
  for (let k = 1; k < n; k++) s += (k % 2 ? 4 : 2) * fn(a + k * h);
  return (s * h) / 3;
}

/** Sign changes of fn over a fine grid of [a, b]: an independent count of roots. */
function signChanges(fn: (x: number) => number, a: number, b: number, n: number): number {
  let c = 0;
  let prev = fn(a);
  for (let k = 1; k <= n; k++) {
    const v = fn(a + ((b - a) * k) / n);
    if (v !== 0 && prev !== 0 && v < 0 !== prev < 0) c++;
    if (v !== 0) prev = v;
  }
  return c;
}

describe('complex numbers (only what the acoustics needs)', () => {
  it('multiplies, divides, takes roots and exponentials', () => {
    const a = complex(3, -4);
    const b = complex(-1, 2);
    expect(cmul(a, b)).toEqual({ re: 5, im: 10 });
    const q = cdiv(cmul(a, b), b);
    expect(q.re).toBeCloseTo(3, 14);
    expect(q.im).toBeCloseTo(-4, 14);
    expect(cabs(a)).toBe(5);
    const r = csqrt(complex(-4, 0));
    expect(r.re).toBeCloseTo(0, 15);
    expect(r.im).toBeCloseTo(2, 15);
    const s = csqrt(a);
    const back = cmul(s, s);
    expect(back.re).toBeCloseTo(3, 13);
    expect(back.im).toBeCloseTo(-4, 13);
    const e = cexp(complex(0, Math.PI));
    expect(e.re).toBeCloseTo(-1, 15);
    expect(cadd(expi(0.3), expi(-0.3)).re).toBeCloseTo(2 * Math.cos(0.3), 15);
  });
});

describe('Pekeris modes', () => {
  const env = DEFAULT_ENVIRONMENT;

  it.each([300, 550, 950])('every mode at %d Hz solves the characteristic equation, with ω/c_b < k_r < ω/c_w', (f) => {
    const m = pekerisModes(env, f);
    expect(m.count).toBeGreaterThan(10);
    for (let k = 0; k < m.count; k++) {
      const kr = m.kr[k]!;
      expect(kr).toBeGreaterThan(m.kBottom);
      expect(kr).toBeLessThan(m.kWater);
      if (k > 0) expect(kr).toBeLessThan(m.kr[k - 1]!);
      expect(Math.abs(pekerisCharacteristic(env, f, kr))).toBeLessThan(1e-9);
      // The textbook form tan(k_z D) = −(ρ_b/ρ_w) k_z/γ, relative to its right-hand side.
      const kz = Math.sqrt(m.kWater ** 2 - kr ** 2);
      const g = Math.sqrt(kr ** 2 - m.kBottom ** 2);
      const rhs = (-env.densityRatio * kz) / g;
      expect(Math.abs(Math.tan(kz * env.depth) - rhs) / Math.abs(rhs)).toBeLessThan(1e-7);
    }
    // No mode missed: the characteristic function changes sign exactly count times between ω/c_b and ω/c_w.
    const changes = signChanges((kr) => pekerisCharacteristic(env, f, kr), m.kBottom, m.kWater, 200_000);
    expect(changes).toBe(m.count);
  });

  it.each([300, 950])('modes at %d Hz are orthonormal under ∫ Z_m Z_n / ρ dz (numerical integration)', (f) => {
    const m = pekerisModes(env, f);
    const M = m.count;
    const D = env.depth;
    // Sample every mode once on Simpson grids: [0, D] in the water; in the bottom, doubling
    // segments [D + 2^k, D + 2^(k+1)] out to 60 decay lengths of the slowest-decaying mode.
    const segments: [number, number, number][] = [[0, D, 20_000], [D, D + 1, 400]];
    const gMin = Math.min(...m.gamma);
    for (let lo = 1; lo < 60 / gMin; lo *= 2) segments.push([D + lo, D + 2 * lo, 400]);
    const z: number[] = [];
    const wgt: number[] = [];
    for (const [a, b, n] of segments) {
      const h = (b - a) / n;
      const inWater = a < D;
      for (let k = 0; k <= n; k++) {
        z.push(a + k * h);
        wgt.push(((k === 0 || k === n ? 1 : k % 2 ? 4 : 2) * h) / 3 / (inWater ? 1 : env.densityRatio));
      }
    }
    const shapes = Array.from({ length: M }, (_, a) => Float64Array.from(z, (x) => modeShape(m, a, x)));
    const gram = new Float64Array(M * M);
    for (let a = 0; a < M; a++) {
      for (let b = a; b < M; b++) {
        let s = 0;
        const za = shapes[a]!;
        const zb = shapes[b]!;
        for (let k = 0; k < z.length; k++) s += wgt[k]! * za[k]! * zb[k]!;
        gram[a * M + b] = gram[b * M + a] = s;
      }
    }
    let worst = 0;
    for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) worst = Math.max(worst, Math.abs(gram[a * M + b]! - (a === b ? 1 : 0)));
    expect(worst).toBeLessThan(1e-6);
  });

  it('a rigid, very fast bottom gives the ideal waveguide: k_z = (m − ½)π/D, Z = √(2/D) sin(k_z z)', () => {
    const rigid: PekerisEnvironment = { depth: 100, waterSpeed: 1500, bottomSpeed: 1e9, densityRatio: 1e9 };
    const f = 150;
    const kw = (2 * Math.PI * f) / 1500;
    const m = pekerisModes(rigid, f);
    const expected = Math.floor((kw * 100) / Math.PI + 0.5);
    expect(m.count).toBe(expected);
    const ideal = (k: number) => ((k + 0.5) * Math.PI) / 100;
    for (let k = 0; k < m.count; k++) {
      expect(Math.abs(m.kr[k]! - Math.sqrt(kw ** 2 - ideal(k) ** 2))).toBeLessThan(1e-6);
      for (const z of [3, 37.5, 71, 99]) expect(modeShape(m, k, z)).toBeCloseTo(Math.sqrt(2 / 100) * Math.sin(ideal(k) * z), 6);
    }
    // Closed-form ideal-waveguide field: p = e^(iπ/4)/√(8πr) Σ Z_m(z_s) Z_m(z) e^(i k_r r)/√k_r.
    const zs = 20;
    for (const [r, z] of [[500, 50], [2000, 80], [7000, 10]] as const) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < expected; k++) {
        const kz = ideal(k);
        const kr = Math.sqrt(kw ** 2 - kz ** 2);
        const c = ((2 / 100) * Math.sin(kz * zs) * Math.sin(kz * z)) / Math.sqrt(kr);
        re += c * Math.cos(kr * r + Math.PI / 4);
        im += c * Math.sin(kr * r + Math.PI / 4);
      }
      const tlIdeal = -20 * Math.log10((4 * Math.PI * Math.hypot(re, im)) / Math.sqrt(8 * Math.PI * r));
      expect(Math.abs(transmissionLoss(m, zs, r, z) - tlIdeal)).toBeLessThan(0.01);
    }
  });

  it('the mode count grows with frequency, one new mode at each cut-off frequency', () => {
    let prev = 0;
    for (let f = 5; f <= 1000; f += 5) {
      const n = pekerisModes(env, f).count;
      expect(n).toBeGreaterThanOrEqual(prev);
      prev = n;
    }
    expect(modeCount(env, 5)).toBe(0); // below the first cut-off (≈ 7.1 Hz) nothing is trapped
    for (let k = 1; k <= 6; k++) {
      const fc = cutoffFrequency(env, k);
      expect(pekerisModes(env, fc * 0.999).count).toBe(k - 1);
      expect(pekerisModes(env, fc * 1.001).count).toBe(k);
    }
    // k_z,max D/π + ½ rounded down, checked against the independent sign-change count.
    for (const f of [40, 123, 300, 777]) {
      const m = pekerisModes(env, f);
      expect(signChanges((kr) => pekerisCharacteristic(env, f, kr), m.kBottom, m.kWater, 100_000)).toBe(m.count);
    }
    expect([300, 550, 950].map((f) => pekerisModes(env, f).count)).toEqual([21, 39, 67]);
  });

  it('transmission loss at a few points is stable to 0.01 dB between runs and agrees with an independent solver', () => {
    const points = [
      [300, 1000, 130],
      [550, 2000, 135],
      [950, 2860, 143],
      [300, 5000, 60],
    ] as const;
    const run = () => points.map(([f, r, z]) => {
      clearModeCache();
      return transmissionLoss(pekerisModes({ ...env }, f), 5, r, z);
    });
    const first = run();
    const second = run();
    first.forEach((tl, k) => expect(Math.abs(tl - second[k]!)).toBeLessThan(0.01));
    // Independent reference: regula falsi on the characteristic equation, normalisation by
    // numerical integration of sin² over the water, the field summed here from scratch.
    points.forEach(([f, r, z], k) => {
      const w = 2 * Math.PI * f;
      const kw = w / env.waterSpeed;
      const kb = w / env.bottomSpeed;
      const D = env.depth;
      const rho = env.densityRatio;
      const h = (kz: number) => rho * kz * Math.cos(kz * D) + Math.sqrt(Math.max(0, kw * kw - kb * kb - kz * kz)) * Math.sin(kz * D);
      let re = 0;
      let im = 0;
      const kzMax = Math.sqrt(kw * kw - kb * kb);
      for (let mode = 1; (mode - 0.5) * Math.PI < kzMax * D; mode++) {
        // Regula falsi (Illinois variant) on the bracket ((m − ½)π/D, mπ/D).
        let a = ((mode - 0.5) * Math.PI) / D;
        let b = Math.min((mode * Math.PI) / D, kzMax);
        let ha = h(a);
        let hb = h(b);
        for (let it = 0; it < 200 && Math.abs(b - a) > 1e-14 * b; it++) {
          const c = (a * hb - b * ha) / (hb - ha);
          const hc = h(c);
          if (hc === 0) { a = b = c; break; }
          if (Math.sign(hc) === Math.sign(hb)) { ha /= 2; } else { a = b; ha = hb; }
          b = c;
          hb = hc;
        }
        const kz = 0.5 * (a + b);
        const g = Math.sqrt(kw * kw - kb * kb - kz * kz);
        const kr = Math.sqrt(kw * kw - kz * kz);
        const norm = simpson((x) => Math.sin(kz * x) ** 2, 0, D, 4000) + Math.sin(kz * D) ** 2 / (2 * g * rho);
        const c = (Math.sin(kz * 5) * Math.sin(kz * z)) / norm / Math.sqrt(kr);
        re += c * Math.cos(kr * r + Math.PI / 4);
        im += c * Math.sin(kr * r + Math.PI / 4);
      }
      const tl = -20 * Math.log10((4 * Math.PI * Math.hypot(re, im)) / Math.sqrt(8 * Math.PI * r));
      expect(Math.abs(first[k]! - tl)).toBeLessThan(0.01);
      expect(first[k]!).toBeGreaterThan(30);
      expect(first[k]!).toBeLessThan(110);
    });
  });

  it('a lossy bottom attenuates the higher modes more', () => {
    const lossy = { ...env, bottomAttenuation: 0.5 };
    const m = pekerisModes(lossy, 300);
    expect(m.attenuation[0]!).toBeGreaterThan(0);
    for (let k = 1; k < m.count; k++) expect(m.attenuation[k]!).toBeGreaterThan(m.attenuation[k - 1]!);
    expect(transmissionLoss(m, 5, 5000, 130)).toBeGreaterThan(transmissionLoss(pekerisModes(env, 300), 5, 5000, 130) - 3);
  });

  it('ModalField gives the same field as the point-by-point function and rejects bad input', () => {
    const m = pekerisModes(env, 550);
    const field = new ModalField(m, 5, [128, 135, 143]);
    const p = field.pressure(1500);
    expect(-20 * Math.log10(4 * Math.PI * Math.hypot(p[2]!, p[3]!))).toBeCloseTo(transmissionLoss(m, 5, 1500, 135), 10);
    expect(() => field.pressure(0)).toThrow(/range must be > 0/);
    expect(() => pekerisModes({ ...env, bottomSpeed: 1400 }, 300)).toThrow(/must exceed waterSpeed/);
    expect(() => pekerisModes(env, -3)).toThrow(/frequency must be a positive number/);
    expect(() => modeShape(m, 99, 10)).toThrow(/mode index 99 is out of range/);
  });
});
