import { ConfigError, DataError } from '../errors';
import { DEFAULT_SOURCE_DEPTH, checkEnvironment, type PekerisEnvironment } from './environment';
import { featuresPerFrequency, modalFields, type ScmDataset } from './scm';

/**
 * Bartlett matched-field processing (MFP), the classical baseline of Niu et al. (2017):
 * for each candidate range r, the replica w_f(r) is the modelled field at the array for a
 * source at r (unit norm), and the ambiguity
 *     B(r) = (1/F) Σ_f w_f(r)ᴴ C_f w_f(r)
 * measures how well the data's SCM C_f matches it (incoherently averaged over the
 * frequencies). The estimate is the r that maximises B. With the true environment the
 * replicas are exact; with a mismatched one (wrong depth or bottom speed) the ambiguity
 * surface's peak moves or breaks up.
 *
 * B is evaluated straight from the feature vectors (upper triangle of C):
 *     wᴴCw = Σ_i C_ii |w_i|² + 2 Re Σ_{i<j} conj(w_i) C_ij w_j,
 * so MFP runs on the same inputs as the network, simulated or measured.
 */
export interface Replicas {
  env: Readonly<PekerisEnvironment>;
  frequencies: number[];
  sensors: number;
  /** Candidate ranges, km. */
  rangesKm: Float64Array;
  /** Per frequency: candidates × 2L unit-norm replicas (interleaved complex). */
  data: Float64Array[];
}

export interface ReplicaOptions {
  /** Model environment of the processor (true or mismatched). */
  env: PekerisEnvironment;
  frequencies: readonly number[];
  arrayDepths: ArrayLike<number>;
  /** Candidate ranges in km (e.g. a 5 m grid from 0.1 to 2.86 km). */
  rangesKm: ArrayLike<number>;
  /** Assumed source depth, m (default 5). */
  sourceDepth?: number;
}

/** Unit-norm replica vectors on a grid of candidate ranges (modes once per frequency). */
export function bartlettReplicas(options: ReplicaOptions): Replicas {
  const where = 'bartlettReplicas';
  checkEnvironment(where, options.env);
  const R = options.rangesKm.length;
  if (R === 0) throw new ConfigError(where, 'rangesKm is empty');
  const L = options.arrayDepths.length;
  const fields = modalFields(options.env, options.frequencies, options.sourceDepth ?? DEFAULT_SOURCE_DEPTH, options.arrayDepths);
  const data = fields.map((field) => {
    const out = new Float64Array(R * 2 * L);
    for (let k = 0; k < R; k++) {
      const v = out.subarray(k * 2 * L, (k + 1) * 2 * L);
      field.pressureInto(options.rangesKm[k]! * 1000, v);
      let n2 = 0;
      for (let q = 0; q < 2 * L; q++) n2 += v[q]! * v[q]!;
      const s = 1 / Math.sqrt(n2);
      for (let q = 0; q < 2 * L; q++) v[q] = v[q]! * s;
    }
    return out;
  });
  return { env: Object.freeze({ ...options.env }), frequencies: [...options.frequencies], sensors: L, rangesKm: Float64Array.from(options.rangesKm), data };
}

/** wᴴ C w from the upper-triangle features at feat[o …] (L sensors) and an interleaved w. */
function quadraticForm(feat: Float64Array, o: number, L: number, w: Float64Array, wo: number): number {
  const half = (L * (L + 1)) / 2;
  let diag = 0;
  let off = 0;
  let t = o;
  for (let i = 0; i < L; i++) {
    const ar = w[wo + 2 * i]!;
    const ai = w[wo + 2 * i + 1]!;
    diag += feat[t]! * (ar * ar + ai * ai);
    t++;
    for (let j = i + 1; j < L; j++, t++) {
      const cr = feat[t]!;
      const ci = feat[t + half]!;
      const br = w[wo + 2 * j]!;
      const bi = w[wo + 2 * j + 1]!;
      // Re[conj(w_i) C_ij w_j]: conj(w_i) w_j = (ar·br + ai·bi) + i(ar·bi − ai·br)
      const xr = ar * br + ai * bi;
      const xi = ar * bi - ai * br;
      off += cr * xr - ci * xi;
    }
  }
  return diag + 2 * off;
}

function checkCompatible(where: string, data: ScmDataset, rep: Replicas): void {
  if (data.sensors !== rep.sensors) throw new DataError(where, `the data have ${data.sensors} hydrophones but the replicas ${rep.sensors}`);
  if (data.frequencies.length !== rep.frequencies.length || data.frequencies.some((f, k) => Math.abs(f - rep.frequencies[k]!) > 1e-9)) {
    throw new DataError(where, `the data's frequencies (${data.frequencies.join(', ')} Hz) differ from the replicas' (${rep.frequencies.join(', ')} Hz)`);
  }
}

/** The Bartlett ambiguity B(r) of SCM `row` on the replicas' range grid (values in [0, 1]). */
export function bartlettAmbiguity(data: ScmDataset, row: number, rep: Replicas): Float64Array {
  checkCompatible('bartlettAmbiguity', data, rep);
  if (!Number.isInteger(row) || row < 0 || row >= data.features.rows) throw new DataError('bartlettAmbiguity', `row ${row} is out of range`);
  const out = new Float64Array(rep.rangesKm.length);
  ambiguityInto(data, row, rep, out);
  return out;
}

function ambiguityInto(data: ScmDataset, row: number, rep: Replicas, out: Float64Array): void {
  const L = data.sensors;
  const per = featuresPerFrequency(L);
  const F = rep.frequencies.length;
  const R = rep.rangesKm.length;
  out.fill(0);
  for (let f = 0; f < F; f++) {
    const o = row * per * F + f * per;
    const w = rep.data[f]!;
    for (let k = 0; k < R; k++) out[k] = out[k]! + quadraticForm(data.features.data, o, L, w, k * 2 * L) / F;
  }
}

/** MFP range estimates (km), one per SCM: the candidate with the largest Bartlett ambiguity. */
export function bartlettLocalize(data: ScmDataset, rep: Replicas): Float64Array {
  checkCompatible('bartlettLocalize', data, rep);
  const n = data.features.rows;
  const R = rep.rangesKm.length;
  const b = new Float64Array(R);
  const out = new Float64Array(n);
  for (let row = 0; row < n; row++) {
    ambiguityInto(data, row, rep, b);
    let best = 0;
    for (let k = 1; k < R; k++) if (b[k]! > b[best]!) best = k;
    out[row] = rep.rangesKm[best]!;
  }
  return out;
}
