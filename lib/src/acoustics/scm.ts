import { ConfigError, DataError } from '../errors';
import { zeros, type Matrix } from '../matrix';
import { Rng } from '../rng';
import { DEFAULT_ENVIRONMENT, DEFAULT_SOURCE_DEPTH, checkEnvironment, defaultArrayDepths, type PekerisEnvironment } from './environment';
import { ModalField, pekerisModes } from './pekeris';

/**
 * Sample covariance matrix (SCM) features, as in Niu, Reeves & Gerstoft (2017), §II.
 *
 * A snapshot is the complex pressure p ∈ ℂ^L on the L hydrophones at one frequency
 * (one FFT bin of one time window). Each snapshot is normalised to unit norm,
 * p̃ = p/‖p‖, which removes the unknown source level; the SCM averages Ns of them,
 *     C = (1/Ns) Σ_s p̃_s p̃_sᴴ   (Hermitian, unit trace).
 * C is Hermitian, so its upper triangle (diagonal included) holds everything: L(L+1)/2
 * complex numbers, stored as their real parts then their imaginary parts, L(L+1) real
 * features per frequency (272 for L = 16; the diagonal's imaginary parts are 0 but kept, as
 * in the paper). Several frequencies are concatenated, lowest first.
 *
 * Simulated snapshots: p = s·g(r) + n, with g(r) the Pekeris field at the array for a source
 * at range r, s ~ CN(0, 1) a random source amplitude and phase per snapshot and frequency, and
 * n complex white Gaussian noise, independent per hydrophone, with variance set so that
 * SNR = 10 log₁₀(E|s|² · mean_l |g_l(r)|² / σ²) is the requested value at every range.
 */

/** Number of real features per frequency for L hydrophones: L(L + 1). */
export function featuresPerFrequency(sensors: number): number {
  return sensors * (sensors + 1);
}

/** Position t of entry (i, j), i ≤ j, in the row-major upper triangle of an L×L matrix. */
export function upperIndex(L: number, i: number, j: number): number {
  return i * L - (i * (i - 1)) / 2 + (j - i);
}

/** Options shared by the simulators. */
export interface SimulationOptions {
  /** Environment of the simulated data (default DEFAULT_ENVIRONMENT). */
  env?: PekerisEnvironment;
  /** Frequencies in Hz (e.g. DEFAULT_FREQUENCIES or [550]). */
  frequencies: readonly number[];
  /** Hydrophone depths (default: 16 from 128 m, 1 m apart). */
  arrayDepths?: ArrayLike<number>;
  /** Source depth in m (default 5). */
  sourceDepth?: number;
  /** Signal-to-noise ratio in dB per hydrophone (use Infinity for noise-free). */
  snr: number;
  /** Seed of the source terms and the noise. */
  seed?: number;
}

/** An SCM data set: one row of features per SCM, with its labels and where it came from. */
export interface ScmDataset {
  /** n × (L(L+1)·F) features. */
  features: Matrix;
  /** Source range of each SCM in km (mean over its snapshots). */
  rangeKm: Float64Array;
  /** Track index of each SCM (into trackNames). */
  track: Uint16Array;
  /** Time of each SCM's centre, s from the start of its track. */
  time: Float64Array;
  trackNames: string[];
  frequencies: number[];
  /** Number of hydrophones L. */
  sensors: number;
  /** Snapshots per SCM (Ns). */
  snapshots: number;
}

function checkSimulation(where: string, o: SimulationOptions): { env: PekerisEnvironment; depths: Float64Array; zs: number } {
  if (!o || typeof o !== 'object') throw new ConfigError(where, 'options must be an object');
  const env = o.env ?? DEFAULT_ENVIRONMENT;
  checkEnvironment(where, env);
  if (!Array.isArray(o.frequencies) || o.frequencies.length === 0) {
    throw new ConfigError(where, 'frequencies must be a non-empty array of Hz, e.g. [300, 550, 950]');
  }
  o.frequencies.forEach((f, k) => {
    if (typeof f !== 'number' || !(f > 0) || !Number.isFinite(f)) throw new ConfigError(where, `frequencies[${k}] must be a positive number of Hz, got ${String(f)}`);
  });
  if (typeof o.snr !== 'number' || Number.isNaN(o.snr) || o.snr === -Infinity) {
    throw new ConfigError(where, `snr must be a number of dB (Infinity for noise-free), got ${String(o.snr)}`);
  }
  const depths = Float64Array.from(o.arrayDepths ?? defaultArrayDepths());
  if (depths.length < 2) throw new ConfigError(where, 'the array needs at least 2 hydrophones');
  const zs = o.sourceDepth ?? DEFAULT_SOURCE_DEPTH;
  if (!(zs >= 0) || zs > env.depth) throw new ConfigError(where, `sourceDepth must lie in the water, 0 … ${env.depth} m, got ${zs}`);
  return { env, depths, zs };
}

/** One ModalField per frequency: the modes are computed (or taken from the cache) once per frequency and environment. */
export function modalFields(env: PekerisEnvironment, frequencies: readonly number[], sourceDepth: number, depths: ArrayLike<number>): ModalField[] {
  return frequencies.map((f) => new ModalField(pekerisModes(env, f), sourceDepth, depths));
}

/**
 * Writes one noisy snapshot p = s·g + n into out (interleaved, length 2L), given the noise-free
 * field g. noiseStd is the standard deviation of each real and imaginary noise part,
 * √(σ²/2). Allocates nothing.
 */
export function noisySnapshotInto(g: Float64Array, L: number, noiseStd: number, rng: Rng, out: Float64Array): void {
  // s ~ CN(0, 1): real and imaginary parts N(0, ½).
  const sr = rng.normal() * Math.SQRT1_2;
  const si = rng.normal() * Math.SQRT1_2;
  for (let l = 0; l < L; l++) {
    const gr = g[2 * l]!;
    const gi = g[2 * l + 1]!;
    let re = sr * gr - si * gi;
    let im = sr * gi + si * gr;
    if (noiseStd > 0) {
      re += noiseStd * rng.normal();
      im += noiseStd * rng.normal();
    }
    out[2 * l] = re;
    out[2 * l + 1] = im;
  }
}

/** Mean power mean_l |g_l|² of an interleaved vector of L elements. */
function meanPower(g: Float64Array, L: number): number {
  let s = 0;
  for (let k = 0; k < 2 * L; k++) s += g[k]! * g[k]!;
  return s / L;
}

/** Per-part noise standard deviation for a field of mean power P at snr dB (source power E|s|² = 1). */
export function noiseStdFor(power: number, snrDb: number): number {
  if (snrDb === Infinity) return 0;
  return Math.sqrt(power / 10 ** (snrDb / 10) / 2);
}

/**
 * Adds weight · p̃ p̃ᴴ (p̃ = p/‖p‖) to the upper-triangle features at feat[offset …]:
 * real parts at offset + t, imaginary parts at offset + L(L+1)/2 + t. Allocates nothing.
 * A zero snapshot (all hydrophones 0) is skipped: it carries no direction.
 */
export function accumulateSnapshot(p: Float64Array, L: number, feat: Float64Array, offset: number, weight: number): void {
  let n2 = 0;
  for (let k = 0; k < 2 * L; k++) n2 += p[k]! * p[k]!;
  if (!(n2 > 0)) return;
  const w = weight / n2;
  const half = (L * (L + 1)) / 2;
  let t = offset;
  for (let i = 0; i < L; i++) {
    const ar = p[2 * i]!;
    const ai = p[2 * i + 1]!;
    for (let j = i; j < L; j++, t++) {
      const br = p[2 * j]!;
      const bi = p[2 * j + 1]!;
      // p_i · conj(p_j) = (ar + i ai)(br − i bi)
      feat[t] = feat[t]! + w * (ar * br + ai * bi);
      feat[t + half] = feat[t + half]! + w * (ai * br - ar * bi);
    }
  }
}

/** Options of generateScms: SCMs of a stationary source at given ranges. */
export interface ScmOptions extends SimulationOptions {
  /** Source range of each SCM, km. */
  rangesKm: ArrayLike<number>;
  /** Snapshots per SCM Ns (default 10). */
  snapshots?: number;
  /** Track index per SCM (default 0 for all); any grouping the splits should respect. */
  track?: ArrayLike<number>;
  trackNames?: string[];
}

/**
 * SCM features for a source held at each of the given ranges: modes once per frequency,
 * the field once per range and frequency, Ns noisy snapshots per SCM, all into one
 * preallocated feature matrix (nothing allocated per snapshot).
 */
export function generateScms(options: ScmOptions): ScmDataset {
  const where = 'generateScms';
  const { env, depths, zs } = checkSimulation(where, options);
  const ns = options.snapshots ?? 10;
  if (!Number.isInteger(ns) || ns < 1) throw new ConfigError(where, `snapshots must be a positive integer, got ${String(ns)}`);
  const ranges = options.rangesKm;
  const n = ranges.length;
  if (n === 0) throw new DataError(where, 'rangesKm is empty');
  for (let k = 0; k < n; k++) {
    if (!(ranges[k]! > 0) || !Number.isFinite(ranges[k]!)) throw new DataError(where, `rangesKm[${k}] is ${ranges[k]}; ranges must be positive km`);
  }
  const L = depths.length;
  const F = options.frequencies.length;
  const per = featuresPerFrequency(L);
  const fields = modalFields(env, options.frequencies, zs, depths);
  const features = zeros(n, per * F);
  const rng = new Rng(options.seed ?? 1);
  const g = new Float64Array(2 * L);
  const p = new Float64Array(2 * L);
  const w = 1 / ns;
  const feat = features.data;
  for (let k = 0; k < n; k++) {
    const r = ranges[k]! * 1000;
    for (let f = 0; f < F; f++) {
      fields[f]!.pressureInto(r, g);
      const std = noiseStdFor(meanPower(g, L), options.snr);
      const off = k * per * F + f * per;
      for (let s = 0; s < ns; s++) {
        noisySnapshotInto(g, L, std, rng, p);
        accumulateSnapshot(p, L, feat, off, w);
      }
    }
  }
  const track = new Uint16Array(n);
  if (options.track) {
    if (options.track.length !== n) throw new DataError(where, `track has ${options.track.length} entries but rangesKm has ${n}`);
    for (let k = 0; k < n; k++) track[k] = options.track[k]!;
  }
  return {
    features,
    rangeKm: Float64Array.from(ranges),
    track,
    time: new Float64Array(n),
    trackNames: options.trackNames ?? ['stationary'],
    frequencies: [...options.frequencies],
    sensors: L,
    snapshots: ns,
  };
}

/** A straight ship track: the source moves from startKm to endKm at `speed` m/s. */
export interface Track {
  name: string;
  startKm: number;
  endKm: number;
  /** Ship speed in m/s (default 2). */
  speed?: number;
  /** Time between snapshots in s (default 1). */
  snapshotInterval?: number;
  /** Source depth on this track, m (default: the simulation's). */
  sourceDepth?: number;
}

/**
 * Raw (un-normalised) complex snapshots on a vertical array, per frequency, as a
 * measurement would give them: the common currency of simulated and measured data.
 */
export interface SnapshotRecording {
  frequencies: number[];
  sensorDepths: Float64Array;
  /** Time of each snapshot, s. */
  time: Float64Array;
  /** Source range of each snapshot in km (NaN where unknown). */
  rangeKm: Float64Array;
  /** Track index of each snapshot (into trackNames); snapshots of a track are contiguous. */
  track: Uint16Array;
  trackNames: string[];
  /** Per frequency, T × 2L interleaved complex snapshots (row = snapshot). */
  data: Float64Array[];
}

/** Simulates the snapshots a vertical array records while a ship sails each track. */
export function simulateTracks(tracks: readonly Track[], options: SimulationOptions): SnapshotRecording {
  const where = 'simulateTracks';
  const { env, depths, zs } = checkSimulation(where, options);
  if (!Array.isArray(tracks) || tracks.length === 0) throw new ConfigError(where, 'give at least one track {name, startKm, endKm}');
  if (tracks.length > 65535) throw new ConfigError(where, 'at most 65535 tracks');
  const L = depths.length;
  const F = options.frequencies.length;
  const plan = tracks.map((t, k) => {
    if (!t || typeof t.name !== 'string') throw new ConfigError(where, `tracks[${k}] needs a name`);
    const v = t.speed ?? 2;
    const dt = t.snapshotInterval ?? 1;
    if (!(t.startKm > 0) || !(t.endKm > 0)) throw new ConfigError(where, `tracks[${k}] (${t.name}): startKm and endKm must be positive`);
    if (!(v > 0) || !(dt > 0)) throw new ConfigError(where, `tracks[${k}] (${t.name}): speed and snapshotInterval must be positive`);
    const depth = t.sourceDepth ?? zs;
    if (!(depth >= 0) || depth > env.depth) throw new ConfigError(where, `tracks[${k}] (${t.name}): sourceDepth must lie in the water, 0 … ${env.depth} m, got ${String(t.sourceDepth)}`);
    // (+1e-9: 0.2 km at 2 m/s is 100 intervals even when 1.2 − 1 rounds to 0.19999…)
    const count = Math.floor((Math.abs(t.endKm - t.startKm) * 1000) / (v * dt) + 1e-9) + 1;
    return { count, v: Math.sign(t.endKm - t.startKm) * v, dt, zs: depth };
  });
  const T = plan.reduce((s, p) => s + p.count, 0);
  const time = new Float64Array(T);
  const rangeKm = new Float64Array(T);
  const track = new Uint16Array(T);
  const data = options.frequencies.map(() => new Float64Array(T * 2 * L));
  const rng = new Rng(options.seed ?? 1);
  const g = new Float64Array(2 * L);
  let row = 0;
  tracks.forEach((t, k) => {
    const pl = plan[k]!;
    const fields = modalFields(env, options.frequencies, pl.zs, depths);
    for (let s = 0; s < pl.count; s++, row++) {
      const tt = s * pl.dt;
      const r = t.startKm * 1000 + pl.v * tt;
      time[row] = tt;
      rangeKm[row] = r / 1000;
      track[row] = k;
      for (let f = 0; f < F; f++) {
        fields[f]!.pressureInto(r, g);
        const out = data[f]!.subarray(row * 2 * L, (row + 1) * 2 * L);
        noisySnapshotInto(g, L, noiseStdFor(meanPower(g, L), options.snr), rng, out);
      }
    }
  });
  return { frequencies: [...options.frequencies], sensorDepths: depths, time, rangeKm, track, trackNames: tracks.map((t) => t.name), data };
}

/** How snapshots are grouped into SCMs. */
export interface WindowOptions {
  /** Snapshots per SCM, Ns (default 10). */
  snapshots?: number;
  /** Snapshots between the starts of consecutive SCMs (default Ns: no overlap; smaller values overlap). */
  hop?: number;
}

/**
 * SCM features from a recording (simulated or measured): windows of Ns consecutive snapshots
 * within one track, every `hop` snapshots. The label of an SCM is the mean range of its
 * snapshots (NaN if any is unknown) and its time the mean time.
 */
export function recordingScms(rec: SnapshotRecording, options: WindowOptions = {}): ScmDataset {
  const where = 'recordingScms';
  const ns = options.snapshots ?? 10;
  const hop = options.hop ?? ns;
  if (!Number.isInteger(ns) || ns < 1) throw new ConfigError(where, `snapshots must be a positive integer, got ${String(ns)}`);
  if (!Number.isInteger(hop) || hop < 1) throw new ConfigError(where, `hop must be a positive integer, got ${String(hop)}`);
  const L = rec.sensorDepths.length;
  const F = rec.frequencies.length;
  const T = rec.time.length;
  const per = featuresPerFrequency(L);
  // Window starts: within a track, every hop snapshots, while a full window fits.
  const starts: number[] = [];
  let a = 0;
  while (a < T) {
    let b = a;
    while (b < T && rec.track[b] === rec.track[a]) b++;
    for (let s = a; s + ns <= b; s += hop) starts.push(s);
    a = b;
  }
  if (starts.length === 0) throw new DataError(where, `no track has ${ns} snapshots, so no SCM can be formed; lower snapshots or record longer tracks`);
  const n = starts.length;
  const features = zeros(n, per * F);
  const rangeKm = new Float64Array(n);
  const time = new Float64Array(n);
  const track = new Uint16Array(n);
  const w = 1 / ns;
  for (let k = 0; k < n; k++) {
    const s0 = starts[k]!;
    let rs = 0;
    let ts = 0;
    for (let s = s0; s < s0 + ns; s++) {
      rs += rec.rangeKm[s]!;
      ts += rec.time[s]!;
      for (let f = 0; f < F; f++) {
        accumulateSnapshot(rec.data[f]!.subarray(s * 2 * L, (s + 1) * 2 * L), L, features.data, k * per * F + f * per, w);
      }
    }
    rangeKm[k] = rs / ns;
    time[k] = ts / ns;
    track[k] = rec.track[s0]!;
  }
  return { features, rangeKm, track, time, trackNames: [...rec.trackNames], frequencies: [...rec.frequencies], sensors: L, snapshots: ns };
}

/** The columns of the frequencies with indices `keep` (into data.frequencies), as a new data set (e.g. [1] for 550 Hz alone). */
export function selectFrequencies(data: ScmDataset, keep: readonly number[]): ScmDataset {
  const per = featuresPerFrequency(data.sensors);
  const F = data.frequencies.length;
  keep.forEach((f) => {
    if (!Number.isInteger(f) || f < 0 || f >= F) throw new DataError('selectFrequencies', `frequency index ${f} is out of range 0 … ${F - 1} (${data.frequencies.join(', ')} Hz)`);
  });
  const n = data.features.rows;
  const out = zeros(n, per * keep.length);
  for (let k = 0; k < n; k++) {
    keep.forEach((f, j) => out.data.set(data.features.data.subarray(k * per * F + f * per, k * per * F + (f + 1) * per), k * per * keep.length + j * per));
  }
  return { ...data, features: out, frequencies: keep.map((f) => data.frequencies[f]!) };
}

/**
 * The full Hermitian SCM of row `row`, frequency index f, as an interleaved L×L complex
 * matrix (for heatmaps and checks).
 */
export function scmMatrix(data: ScmDataset, row: number, f = 0): Float64Array {
  const L = data.sensors;
  const per = featuresPerFrequency(L);
  const half = per / 2;
  const F = data.frequencies.length;
  if (!Number.isInteger(row) || row < 0 || row >= data.features.rows) throw new DataError('scmMatrix', `row ${row} is out of range 0 … ${data.features.rows - 1}`);
  if (!Number.isInteger(f) || f < 0 || f >= F) throw new DataError('scmMatrix', `frequency index ${f} is out of range 0 … ${F - 1}`);
  const o = row * per * F + f * per;
  const C = new Float64Array(2 * L * L);
  for (let i = 0; i < L; i++) {
    for (let j = i; j < L; j++) {
      const t = upperIndex(L, i, j);
      const re = data.features.data[o + t]!;
      const im = data.features.data[o + half + t]!;
      C[2 * (i * L + j)] = re;
      C[2 * (i * L + j) + 1] = im;
      if (j > i) {
        C[2 * (j * L + i)] = re;
        C[2 * (j * L + i) + 1] = -im;
      }
    }
  }
  return C;
}

/** The SCMs with indices idx (e.g. split.train), as a new data set (rows copied). */
export function takeScms(data: ScmDataset, idx: ArrayLike<number>): ScmDataset {
  const c = data.features.cols;
  const n = idx.length;
  const features = zeros(n, c);
  const rangeKm = new Float64Array(n);
  const time = new Float64Array(n);
  const track = new Uint16Array(n);
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.features.rows) throw new DataError('takeScms', `index ${i} is out of range 0 … ${data.features.rows - 1}`);
    features.data.set(data.features.data.subarray(i * c, (i + 1) * c), k * c);
    rangeKm[k] = data.rangeKm[i]!;
    time[k] = data.time[i]!;
    track[k] = data.track[i]!;
  }
  return { ...data, features, rangeKm, time, track, trackNames: [...data.trackNames] };
}
