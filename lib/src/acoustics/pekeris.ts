import { ConfigError, DataError } from '../errors';
import type { Complex } from './complex';
import { checkEnvironment, type PekerisEnvironment } from './environment';

/**
 * Normal modes of the Pekeris waveguide (Jensen et al., Computational Ocean Acoustics, ch. 5).
 *
 * Write k_w = ω/c_w, k_b = ω/c_b and, for a horizontal wavenumber k_r,
 *   k_z = √(k_w² − k_r²)   (vertical wavenumber in the water),
 *   γ   = √(k_r² − k_b²)   (decay rate in the bottom).
 * A trapped mode has k_b < k_r < k_w and the shape
 *   Z(z) = A sin(k_z z)                      0 ≤ z ≤ D   (pressure-release surface)
 *   Z(z) = A sin(k_z D) e^(−γ(z − D))        z > D        (decays into the bottom).
 * Pressure and normal particle velocity ∝ (1/ρ) dZ/dz are continuous at z = D:
 *   (1/ρ_w) k_z cos(k_z D) = −(1/ρ_b) γ sin(k_z D),  i.e.  tan(k_z D) = −(ρ_b/ρ_w) k_z/γ,
 * the Pekeris characteristic equation. We solve its pole-free form
 *   g(k_z) = (ρ_b/ρ_w) k_z cos(k_z D) + γ sin(k_z D) = 0
 * by bisection: g changes sign exactly once on each interval k_z D ∈ ((m − ½)π, mπ),
 * so mode m (m = 1, 2, …) exists iff (m − ½)π < D√(k_w² − k_b²), and its k_r lies
 * between ω/c_b and ω/c_w as it must.
 *
 * Modes are normalised under the density-weighted inner product, ∫₀^∞ Z_m Z_n /ρ(z) dz = δ_mn
 * (ρ_w = 1):  1/A² = (1/ρ_w)[D/2 − sin(2k_z D)/(4k_z)] + sin²(k_z D)/(2γρ_b).
 *
 * The field of a unit point source at depth z_s (far-field form of the Hankel function,
 * Jensen et al. ch. 5):
 *   p(r, z) = i/(ρ(z_s)√(8πr)) e^(−iπ/4) Σ_m Z_m(z_s) Z_m(z) e^(i k_rm r)/√k_rm,
 * and transmission loss TL = −20 log₁₀(|p(r, z)| / |p₀(1 m)|) with |p₀(1 m)| = 1/(4π).
 */
export interface ModeSet {
  readonly env: Readonly<PekerisEnvironment>;
  /** Frequency in Hz. */
  readonly frequency: number;
  /** ω/c_w and ω/c_b in rad/m. */
  readonly kWater: number;
  readonly kBottom: number;
  /** Number of trapped modes M. */
  readonly count: number;
  /** Horizontal wavenumbers k_r (rad/m), decreasing with mode number. */
  readonly kr: Float64Array;
  /** Vertical wavenumbers k_z in the water. */
  readonly kz: Float64Array;
  /** Decay rates γ in the bottom. */
  readonly gamma: Float64Array;
  /** Normalisation constants A. */
  readonly amplitude: Float64Array;
  /** Modal attenuation δ_m in nepers/m (0 for a lossless bottom). */
  readonly attenuation: Float64Array;
}

/** Cached per frequency and environment: modes are computed once and shared. */
const cache = new Map<string, ModeSet>();

/** Forgets every cached mode set (the next call recomputes from scratch). */
export function clearModeCache(): void {
  cache.clear();
}

function cacheKey(env: PekerisEnvironment, f: number): string {
  return [env.depth, env.waterSpeed, env.bottomSpeed, env.densityRatio, env.bottomAttenuation ?? 0, f].join('|');
}

/**
 * The Pekeris characteristic function in its pole-free, dimensionless form,
 * [ρ k_z cos(k_z D) + γ sin(k_z D)] / (ρ k_z + γ), as a function of the horizontal
 * wavenumber k_r ∈ [ω/c_b, ω/c_w]: zero exactly at the modal wavenumbers.
 */
export function pekerisCharacteristic(env: PekerisEnvironment, frequency: number, kr: number): number {
  const w = 2 * Math.PI * frequency;
  const kw = w / env.waterSpeed;
  const kb = w / env.bottomSpeed;
  if (!(kr >= kb && kr <= kw)) {
    throw new DataError('pekerisCharacteristic', `kr = ${kr} lies outside [ω/c_b, ω/c_w] = [${kb}, ${kw}]`);
  }
  const kz = Math.sqrt((kw - kr) * (kw + kr));
  const g = Math.sqrt((kr - kb) * (kr + kb));
  const rho = env.densityRatio;
  return (rho * kz * Math.cos(kz * env.depth) + g * Math.sin(kz * env.depth)) / (rho * kz + g);
}

/** Bisection for a sign change of fn on [lo, hi], to the last bit of a double. */
function bisect(fn: (x: number) => number, lo: number, hi: number): number {
  let flo = fn(lo);
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    const fm = fn(mid);
    if (fm === 0) return mid;
    if ((fm < 0) === (flo < 0)) {
      lo = mid;
      flo = fm;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

/** Number of trapped modes at `frequency`: the count of m ≥ 1 with (m − ½)π < D√(k_w² − k_b²). */
export function modeCount(env: PekerisEnvironment, frequency: number): number {
  const w = 2 * Math.PI * frequency;
  const kzMax = w * Math.sqrt(1 / env.waterSpeed ** 2 - 1 / env.bottomSpeed ** 2);
  return Math.max(0, Math.ceil((kzMax * env.depth) / Math.PI - 0.5));
}

/** Cut-off frequency (Hz) of mode m: below it the mode is not trapped (from the mode condition above). */
export function cutoffFrequency(env: PekerisEnvironment, m: number): number {
  return ((m - 0.5) * env.waterSpeed * env.bottomSpeed) / (2 * env.depth * Math.sqrt(env.bottomSpeed ** 2 - env.waterSpeed ** 2));
}

/**
 * All trapped modes of env at `frequency` (Hz). Results are cached per (environment,
 * frequency), so a data generator calls this freely.
 */
export function pekerisModes(env: PekerisEnvironment, frequency: number): ModeSet {
  const where = 'pekerisModes';
  checkEnvironment(where, env);
  if (typeof frequency !== 'number' || !(frequency > 0) || !Number.isFinite(frequency)) {
    throw new ConfigError(where, `frequency must be a positive number of Hz, got ${String(frequency)}`);
  }
  const key = cacheKey(env, frequency);
  const hit = cache.get(key);
  if (hit) return hit;

  const D = env.depth;
  const rho = env.densityRatio;
  const w = 2 * Math.PI * frequency;
  const kw = w / env.waterSpeed;
  const kb = w / env.bottomSpeed;
  const kzMax = Math.sqrt((kw - kb) * (kw + kb));
  const gammaOf = (kz: number): number => Math.sqrt(Math.max(0, (kzMax - kz) * (kzMax + kz)));
  const g = (kz: number): number => rho * kz * Math.cos(kz * D) + gammaOf(kz) * Math.sin(kz * D);

  const M = modeCount(env, frequency);
  const kr = new Float64Array(M);
  const kz = new Float64Array(M);
  const gamma = new Float64Array(M);
  const amplitude = new Float64Array(M);
  const attenuation = new Float64Array(M);
  // Attenuation in dB/λ → nepers/m in the bottom: α = a·f/c_b / (20 log₁₀ e).
  const alphaB = ((env.bottomAttenuation ?? 0) * frequency) / env.bottomSpeed / (20 * Math.LOG10E);
  let count = 0;
  for (let m = 1; m <= M; m++) {
    const lo = ((m - 0.5) * Math.PI) / D;
    const hi = Math.min((m * Math.PI) / D, kzMax);
    if (!(hi > lo)) break;
    const z = bisect(g, lo, hi);
    const gm = gammaOf(z);
    if (!(gm > 0)) break; // a root at cut-off is not a trapped mode
    const k = Math.sqrt((kw - z) * (kw + z));
    kz[count] = z;
    kr[count] = k;
    gamma[count] = gm;
    const s = Math.sin(z * D);
    const inv = D / 2 - Math.sin(2 * z * D) / (4 * z) + (s * s) / (2 * gm * rho);
    const A = 1 / Math.sqrt(inv);
    amplitude[count] = A;
    // δ_m = (1/k_rm) ∫ (ω/c(z)) α(z) Z_m²/ρ dz, only the bottom attenuates:
    //      = (1/k_rm) (ω/c_b) α_b A² sin²(k_z D)/(2γρ_b).
    attenuation[count] = alphaB > 0 ? ((kb * alphaB * A * A * s * s) / (2 * gm * rho)) / k : 0;
    count++;
  }
  const set: ModeSet = Object.freeze({
    env: Object.freeze({ ...env }),
    frequency,
    kWater: kw,
    kBottom: kb,
    count,
    kr: kr.subarray(0, count),
    kz: kz.subarray(0, count),
    gamma: gamma.subarray(0, count),
    amplitude: amplitude.subarray(0, count),
    attenuation: attenuation.subarray(0, count),
  });
  if (cache.size > 512) cache.clear();
  cache.set(key, set);
  return set;
}

/** Z_m(z) for mode index m (0-based) at depth z ≥ 0 (water or bottom). */
export function modeShape(modes: ModeSet, m: number, z: number): number {
  if (!Number.isInteger(m) || m < 0 || m >= modes.count) {
    throw new DataError('modeShape', `mode index ${m} is out of range: this set has modes 0 … ${modes.count - 1}`);
  }
  if (!(z >= 0)) throw new DataError('modeShape', `depth must be ≥ 0 m (measured down from the surface), got ${z}`);
  const D = modes.env.depth;
  const A = modes.amplitude[m]!;
  const kz = modes.kz[m]!;
  if (z <= D) return A * Math.sin(kz * z);
  return A * Math.sin(kz * D) * Math.exp(-modes.gamma[m]! * (z - D));
}

/** Mode shapes at several depths: a count × depths.length row-major array, row m = Z_m(z_0 …). */
export function modeShapes(modes: ModeSet, depths: ArrayLike<number>): Float64Array {
  const out = new Float64Array(modes.count * depths.length);
  for (let m = 0; m < modes.count; m++) for (let k = 0; k < depths.length; k++) out[m * depths.length + k] = modeShape(modes, m, depths[k]!);
  return out;
}

/**
 * The field of a source at depth zs on a fixed set of receiver depths, ready to be
 * evaluated at any range without allocating: the products Z_m(z_s) Z_m(z_l)/√k_rm are
 * computed once here. This is what data generation and matched-field replicas use.
 */
export class ModalField {
  readonly modes: ModeSet;
  readonly sourceDepth: number;
  readonly depths: Float64Array;
  /** count × L products Z_m(z_s) Z_m(z_l)/√k_rm. */
  private readonly coef: Float64Array;
  /** Scratch: e^(i k_rm r − δ_m r), interleaved. */
  private readonly phase: Float64Array;
  private readonly rhoSource: number;

  constructor(modes: ModeSet, sourceDepth: number, depths: ArrayLike<number>) {
    const where = 'ModalField';
    if (!(sourceDepth >= 0)) throw new DataError(where, `source depth must be ≥ 0 m, got ${sourceDepth}`);
    if (depths.length === 0) throw new DataError(where, 'give at least one receiver depth');
    for (let k = 0; k < depths.length; k++) {
      if (!(depths[k]! >= 0)) throw new DataError(where, `receiver depth ${k} is ${depths[k]}; depths must be ≥ 0 m`);
    }
    this.modes = modes;
    this.sourceDepth = sourceDepth;
    this.depths = Float64Array.from(depths);
    const L = depths.length;
    this.coef = new Float64Array(modes.count * L);
    for (let m = 0; m < modes.count; m++) {
      const zs = modeShape(modes, m, sourceDepth) / Math.sqrt(modes.kr[m]!);
      for (let l = 0; l < L; l++) this.coef[m * L + l] = zs * modeShape(modes, m, this.depths[l]!);
    }
    this.phase = new Float64Array(2 * modes.count);
    this.rhoSource = sourceDepth > modes.env.depth ? modes.env.densityRatio : 1;
  }

  /** Number of receivers L. */
  get size(): number {
    return this.depths.length;
  }

  /** Complex pressure at range r (m) on every receiver, written interleaved into out (length 2L). */
  pressureInto(r: number, out: Float64Array): Float64Array {
    if (!(r > 0)) throw new DataError('ModalField.pressure', `range must be > 0 m, got ${r}`);
    const M = this.modes.count;
    const L = this.depths.length;
    const kr = this.modes.kr;
    const att = this.modes.attenuation;
    const ph = this.phase;
    for (let m = 0; m < M; m++) {
      const a = Math.exp(-att[m]! * r);
      const t = kr[m]! * r;
      ph[2 * m] = a * Math.cos(t);
      ph[2 * m + 1] = a * Math.sin(t);
    }
    // Prefactor i e^(−iπ/4)/(ρ_s √(8πr)) = e^(iπ/4)/(ρ_s √(8πr)).
    const s = 1 / (this.rhoSource * Math.sqrt(8 * Math.PI * r));
    const cr = s * Math.SQRT1_2;
    const ci = s * Math.SQRT1_2;
    const coef = this.coef;
    for (let l = 0; l < L; l++) {
      let re = 0;
      let im = 0;
      for (let m = 0; m < M; m++) {
        const c = coef[m * L + l]!;
        re += c * ph[2 * m]!;
        im += c * ph[2 * m + 1]!;
      }
      out[2 * l] = cr * re - ci * im;
      out[2 * l + 1] = ci * re + cr * im;
    }
    return out;
  }

  /** A new interleaved array with the pressure at range r (m). */
  pressure(r: number): Float64Array {
    return this.pressureInto(r, new Float64Array(2 * this.depths.length));
  }
}

/** Complex pressure p(r, z) of a unit source at depth zs (all in m). */
export function pekerisPressure(modes: ModeSet, sourceDepth: number, r: number, z: number): Complex {
  const p = new ModalField(modes, sourceDepth, [z]).pressure(r);
  return { re: p[0]!, im: p[1]! };
}

/** Transmission loss in dB re 1 m: −20 log₁₀(4π|p(r, z)|). */
export function transmissionLoss(modes: ModeSet, sourceDepth: number, r: number, z: number): number {
  const p = pekerisPressure(modes, sourceDepth, r, z);
  return -20 * Math.log10(4 * Math.PI * Math.hypot(p.re, p.im));
}

/**
 * Transmission loss on a grid: rows = depths, columns = ranges (m), for a heatmap.
 * Uses one ModalField for all ranges.
 */
export function transmissionLossGrid(modes: ModeSet, sourceDepth: number, ranges: ArrayLike<number>, depths: ArrayLike<number>): number[][] {
  const field = new ModalField(modes, sourceDepth, depths);
  const p = new Float64Array(2 * depths.length);
  const out: number[][] = Array.from({ length: depths.length }, () => new Array<number>(ranges.length));
  for (let j = 0; j < ranges.length; j++) {
    field.pressureInto(ranges[j]!, p);
    for (let k = 0; k < depths.length; k++) {
      const a = Math.hypot(p[2 * k]!, p[2 * k + 1]!);
      out[k]![j] = -20 * Math.log10(Math.max(4 * Math.PI * a, 1e-300));
    }
  }
  return out;
}
