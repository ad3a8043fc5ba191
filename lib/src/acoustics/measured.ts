import { readFileSync, writeFileSync } from 'fs';
import { DataError } from '../errors';
import type { SnapshotRecording } from './scm';

/**
 * Measured data: the "vla-snapshots" JSON format (version 1).
 *
 * One file holds the complex snapshots a vertical line array (VLA) recorded at a few
 * frequencies — for instance the FFT bins at 300, 550 and 950 Hz of consecutive 1 s
 * windows — with the source range where it is known. The kit turns them into SCM
 * features exactly as it does simulated snapshots (`recordingScms`), so a team with real
 * recordings swaps the simulator for `readSnapshotFile` and changes nothing else.
 *
 *   {
 *     "format": "vla-snapshots",           // required, exactly this string
 *     "version": 1,                        // required
 *     "description": "…",                  // optional, free text (instrument, site, processing)
 *     "frequencies_hz": [300, 550, 950],   // required, F positive numbers
 *     "sensor_depths_m": [128, 129, …],    // required, L ≥ 2 depths in m
 *     "snapshots": [                       // required, one object per time window
 *       {
 *         "time_s": 0,                     // required, non-decreasing within a track
 *         "track": "A",                    // optional (default "default"); a track's snapshots are contiguous
 *         "range_km": 1.234,               // optional: the ground truth, null or absent if unknown
 *         "data": [[re, im, re, im, …],    // required: F arrays (one per frequency, in order),
 *                  …]                      //   each 2L numbers, hydrophone by hydrophone
 *       }, …
 *     ]
 *   }
 *
 * Pressures are in any consistent unit: every snapshot is normalised before use. Every
 * problem is reported with its JSON path (e.g. `snapshots[12].data[1] has 30 numbers; expected
 * 32 (2 × 16 hydrophones)`), and all problems are listed at once, up to 20.
 */
export const SNAPSHOT_FORMAT = 'vla-snapshots';
export const SNAPSHOT_FORMAT_VERSION = 1;

/** The on-disk (JSON) shape of a snapshot file. */
export interface SnapshotFileJson {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_FORMAT_VERSION;
  description?: string;
  frequencies_hz: number[];
  sensor_depths_m: number[];
  snapshots: { time_s: number; track?: string; range_km?: number | null; data: number[][] }[];
}

const MAX_PROBLEMS = 20;

/** Error for a snapshot file; `problems` lists every issue found (JSON path: message). */
export class SnapshotFileError extends DataError {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    const more = problems.length > MAX_PROBLEMS ? `\n  … and ${problems.length - MAX_PROBLEMS} more` : '';
    super('readSnapshotFile', `${source} is not a valid ${SNAPSHOT_FORMAT} v${SNAPSHOT_FORMAT_VERSION} file:\n  ${shown.join('\n  ')}${more}`);
    this.name = 'SnapshotFileError';
    this.problems = problems;
  }
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validates and converts parsed JSON; `source` names the file in messages. */
export function parseSnapshotJson(json: unknown, source = 'snapshot data'): SnapshotRecording {
  const problems: string[] = [];
  const bad = (path: string, msg: string): void => {
    problems.push(`${path}: ${msg}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SnapshotFileError(source, ['(top level): must be a JSON object']);
  const o = json as Record<string, unknown>;
  const known = new Set(['format', 'version', 'description', 'frequencies_hz', 'sensor_depths_m', 'snapshots']);
  for (const k of Object.keys(o)) if (!known.has(k)) bad(k, `unknown field (known: ${[...known].join(', ')})`);
  if (o.format !== SNAPSHOT_FORMAT) bad('format', `must be "${SNAPSHOT_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== SNAPSHOT_FORMAT_VERSION) bad('version', `must be ${SNAPSHOT_FORMAT_VERSION}, got ${JSON.stringify(o.version)}`);
  if (o.description !== undefined && typeof o.description !== 'string') bad('description', 'must be a string');
  const freqs = o.frequencies_hz;
  let F = 0;
  if (!Array.isArray(freqs) || freqs.length === 0) bad('frequencies_hz', 'must be a non-empty array of frequencies in Hz');
  else {
    F = freqs.length;
    freqs.forEach((f, k) => {
      if (!isNum(f) || f <= 0) bad(`frequencies_hz[${k}]`, `must be a positive number, got ${JSON.stringify(f)}`);
    });
  }
  const depths = o.sensor_depths_m;
  let L = 0;
  if (!Array.isArray(depths) || depths.length < 2) bad('sensor_depths_m', 'must be an array of at least 2 hydrophone depths in m');
  else {
    L = depths.length;
    depths.forEach((z, k) => {
      if (!isNum(z) || z < 0) bad(`sensor_depths_m[${k}]`, `must be a number ≥ 0, got ${JSON.stringify(z)}`);
    });
  }
  const snaps = o.snapshots;
  if (!Array.isArray(snaps) || snaps.length === 0) bad('snapshots', 'must be a non-empty array of {time_s, data, range_km?, track?}');
  if (problems.length > 0 || !Array.isArray(snaps)) throw new SnapshotFileError(source, problems);

  const T = snaps.length;
  const time = new Float64Array(T);
  const rangeKm = new Float64Array(T);
  const track = new Uint16Array(T);
  const trackNames: string[] = [];
  const data = Array.from({ length: F }, () => new Float64Array(T * 2 * L));
  const seen = new Set<string>();
  let prevTrack: string | null = null;
  const snapKeys = new Set(['time_s', 'track', 'range_km', 'data']);
  snaps.forEach((s: unknown, k) => {
    const at = `snapshots[${k}]`;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) return bad(at, 'must be an object {time_s, data, range_km?, track?}');
    const r = s as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!snapKeys.has(key)) bad(`${at}.${key}`, `unknown field (known: ${[...snapKeys].join(', ')})`);
    const name = r.track === undefined ? 'default' : r.track;
    if (typeof name !== 'string' || name.length === 0) bad(`${at}.track`, 'must be a non-empty string');
    else {
      if (name !== prevTrack) {
        if (seen.has(name)) bad(`${at}.track`, `track "${name}" appears again after another track; keep each track's snapshots together`);
        seen.add(name);
        trackNames.push(name);
        prevTrack = name;
      }
      track[k] = trackNames.length - 1;
    }
    if (!isNum(r.time_s)) bad(`${at}.time_s`, `must be a number of seconds, got ${JSON.stringify(r.time_s)}`);
    else {
      time[k] = r.time_s;
      if (k > 0 && track[k] === track[k - 1] && r.time_s < time[k - 1]!) bad(`${at}.time_s`, `${r.time_s} s is earlier than the previous snapshot of the same track (${time[k - 1]} s)`);
    }
    if (r.range_km === undefined || r.range_km === null) rangeKm[k] = NaN;
    else if (!isNum(r.range_km) || r.range_km <= 0) bad(`${at}.range_km`, `must be a positive number of km, or null if unknown; got ${JSON.stringify(r.range_km)}`);
    else rangeKm[k] = r.range_km;
    const d = r.data;
    if (!Array.isArray(d) || d.length !== F) return bad(`${at}.data`, `must be an array of ${F} arrays (one per frequency), got ${Array.isArray(d) ? `${d.length} entries` : JSON.stringify(d)}`);
    d.forEach((row: unknown, f) => {
      if (!Array.isArray(row) || row.length !== 2 * L) {
        return bad(`${at}.data[${f}]`, `has ${Array.isArray(row) ? `${row.length} numbers` : JSON.stringify(row)}; expected ${2 * L} (re, im for each of ${L} hydrophones)`);
      }
      const out = data[f]!;
      for (let q = 0; q < 2 * L; q++) {
        const v = row[q];
        if (!isNum(v)) return bad(`${at}.data[${f}][${q}]`, `must be a finite number, got ${JSON.stringify(v)}`);
        out[k * 2 * L + q] = v;
      }
      return undefined;
    });
    return undefined;
  });
  if (problems.length > 0) throw new SnapshotFileError(source, problems);
  return {
    frequencies: (freqs as number[]).slice(),
    sensorDepths: Float64Array.from(depths as number[]),
    time,
    rangeKm,
    track,
    trackNames,
    data,
  };
}

/** Reads and validates a vla-snapshots JSON file. */
export function readSnapshotFile(path: string): SnapshotRecording {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DataError('readSnapshotFile', `cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SnapshotFileError(path, [`(file): not valid JSON (${(e as Error).message})`]);
  }
  return parseSnapshotJson(json, path);
}

/** The JSON object of a recording in the vla-snapshots format. */
export function snapshotJson(rec: SnapshotRecording, description?: string): SnapshotFileJson {
  const L = rec.sensorDepths.length;
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_FORMAT_VERSION,
    ...(description !== undefined ? { description } : {}),
    frequencies_hz: [...rec.frequencies],
    sensor_depths_m: Array.from(rec.sensorDepths),
    snapshots: Array.from(rec.time, (t, k) => ({
      time_s: t,
      track: rec.trackNames[rec.track[k]!]!,
      range_km: Number.isNaN(rec.rangeKm[k]!) ? null : rec.rangeKm[k]!,
      data: rec.data.map((d) => Array.from(d.subarray(k * 2 * L, (k + 1) * 2 * L))),
    })),
  };
}

/** Writes a recording (e.g. from simulateTracks) as a vla-snapshots file: the kit's example of the format. */
export function writeSnapshotFile(path: string, rec: SnapshotRecording, description?: string): void {
  writeFileSync(path, JSON.stringify(snapshotJson(rec, description)) + '\n');
}
