import { ConfigError } from '../errors';

/**
 * The Pekeris waveguide (Jensen, Kuperman, Porter & Schmidt, Computational Ocean
 * Acoustics, 2nd ed., §2.4.5 and ch. 5): an isovelocity water layer of depth D and
 * sound speed c_w over a fluid half-space (the bottom) with sound speed c_b > c_w and
 * density ρ_b = densityRatio·ρ_w. The sea surface is pressure-release.
 * Depths z are measured downwards from the surface, in metres; ranges r in metres
 * unless a name says km.
 */
export interface PekerisEnvironment {
  /** Water depth D in m. */
  depth: number;
  /** Sound speed in the water c_w in m/s. */
  waterSpeed: number;
  /** Sound speed in the bottom c_b in m/s (must exceed c_w for trapped modes). */
  bottomSpeed: number;
  /** ρ_b/ρ_w, the bottom density relative to the water's. */
  densityRatio: number;
  /**
   * Bottom attenuation in dB per wavelength (default 0, a lossless bottom). Added by
   * first-order perturbation theory: each mode's horizontal wavenumber gets an imaginary
   * part δ_m (Jensen et al., ch. 5, perturbation theory), so higher modes, which reach
   * further into the bottom, decay faster with range.
   */
  bottomAttenuation?: number;
}

/** The default: 152 m of 1500 m/s water over a 1600 m/s bottom 1.6 times as dense (no attenuation). */
export const DEFAULT_ENVIRONMENT: Readonly<PekerisEnvironment> = Object.freeze({
  depth: 152,
  waterSpeed: 1500,
  bottomSpeed: 1600,
  densityRatio: 1.6,
  bottomAttenuation: 0,
});

/**
 * A mismatched environment for the matched-field baseline: the processor believes the
 * water is 149 m deep and the bottom 1650 m/s, while the data come from DEFAULT_ENVIRONMENT.
 */
export const MISMATCHED_ENVIRONMENT: Readonly<PekerisEnvironment> = Object.freeze({
  ...DEFAULT_ENVIRONMENT,
  depth: 149,
  bottomSpeed: 1650,
});

/** Default source depth, m. */
export const DEFAULT_SOURCE_DEPTH = 5;

/** Depths of the default vertical line array: 16 hydrophones 1 m apart from 128 m (128 … 143 m). */
export function defaultArrayDepths(): Float64Array {
  return arrayDepths(128, 16, 1);
}

/** Depths first, first + spacing, … of a vertical line array of `count` hydrophones. */
export function arrayDepths(first: number, count: number, spacing: number): Float64Array {
  if (!Number.isInteger(count) || count < 1) throw new ConfigError('arrayDepths', `count must be a positive integer, got ${count}`);
  if (!(first >= 0) || !(spacing > 0)) throw new ConfigError('arrayDepths', `first must be ≥ 0 and spacing > 0, got ${first}, ${spacing}`);
  const z = new Float64Array(count);
  for (let k = 0; k < count; k++) z[k] = first + k * spacing;
  return z;
}

/** The three single frequencies of the issue (Hz). */
export const DEFAULT_FREQUENCIES: readonly number[] = Object.freeze([300, 550, 950]);

/** Frequencies lo, lo + step, …, hi (Hz): a multi-frequency band, e.g. frequencyBand(300, 950, 50) (14 frequencies). */
export function frequencyBand(lo: number, hi: number, step: number): number[] {
  if (!(lo > 0) || !(hi >= lo) || !(step > 0)) {
    throw new ConfigError('frequencyBand', `need 0 < lo ≤ hi and step > 0, got lo ${lo}, hi ${hi}, step ${step}`);
  }
  const out: number[] = [];
  for (let f = lo; f <= hi + 1e-9 * hi; f += step) out.push(Math.round(f * 1e6) / 1e6);
  return out;
}

/** Throws a ConfigError naming the first bad field of env. */
export function checkEnvironment(where: string, env: PekerisEnvironment): void {
  if (env === null || typeof env !== 'object') throw new ConfigError(where, 'environment must be an object {depth, waterSpeed, bottomSpeed, densityRatio}');
  const pos = (name: keyof PekerisEnvironment): void => {
    const v = env[name];
    if (typeof v !== 'number' || !(v > 0)) throw new ConfigError(where, `environment.${name} must be a positive number, got ${String(v)}`);
  };
  pos('depth');
  pos('waterSpeed');
  pos('bottomSpeed');
  pos('densityRatio');
  if (!Number.isFinite(env.depth) || !Number.isFinite(env.waterSpeed)) {
    throw new ConfigError(where, 'environment.depth and waterSpeed must be finite');
  }
  if (!(env.bottomSpeed > env.waterSpeed)) {
    throw new ConfigError(
      where,
      `environment.bottomSpeed (${env.bottomSpeed} m/s) must exceed waterSpeed (${env.waterSpeed} m/s): a Pekeris waveguide traps sound only over a faster bottom`,
    );
  }
  const a = env.bottomAttenuation ?? 0;
  if (typeof a !== 'number' || !(a >= 0) || !Number.isFinite(a)) {
    throw new ConfigError(where, `environment.bottomAttenuation must be a non-negative number of dB per wavelength, got ${String(a)}`);
  }
}
