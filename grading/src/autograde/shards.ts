/**
 * Batches across processes and machines: the results-folder lock, stale
 * scratch folders left by a killed grader, shards of the class by student
 * id, the answer key shipped with the shards, and merging shard outputs.
 *
 * A shard is a pure function of the student id (sha256(id) mod n): every
 * machine computes the same split from the same manifest, with no
 * coordinator. Each results folder carries `.autograde-batch` (JSON; no
 * .json suffix so that importers of *.json never read it) naming the source
 * notebook's hash, the answer key's sha256, the grader version, the limits
 * and the shard; `merge` refuses folders that differ in any of them.
 */
import { createHash } from 'crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'fs';
import { hostname, tmpdir } from 'os';
import { join } from 'path';
import type { AnswerKey } from './grade';

export const BATCH_INFO = '.autograde-batch';
export const LOCK_FILE = '.autograde.lock';
/** Scratch folders are named <prefix><pid>-<random>: a later run removes those whose process is gone. */
export const SCRATCH_PREFIX = 'course-kit-autograde-';

export interface Shard {
  /** 0-based index. */
  index: number;
  count: number;
}

/** Parses "i/n" (1-based i, as people count: 1/3, 2/3, 3/3) into a 0-based shard. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(i >= 1 && i <= n)) throw new Error(`--shard: "${text}" must be i/n with 1 ≤ i ≤ n (e.g. 2/3)`);
  return { index: i - 1, count: n };
}

/** The 0-based shard a student belongs to: sha256 of the id, first 48 bits, mod n. */
export function shardOf(studentId: string, count: number): number {
  return Number(BigInt('0x' + createHash('sha256').update(studentId).digest('hex').slice(0, 12)) % BigInt(count));
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The answer key's identity: sha256 of its canonical JSON (the same whether built here or shipped). */
export function keyDigest(key: AnswerKey): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

export interface BatchInfo {
  assignment: string;
  grader: string;
  source_hash: string;
  key_sha256: string;
  limits: unknown;
  /** 0-based shard, or null for a whole (or merged) batch. */
  shard: Shard | null;
  /** Students this folder holds results for. */
  students: string[];
  /** For a merged folder: the shards it was merged from. */
  merged_from?: string[];
}

export function readBatchInfo(dir: string): BatchInfo {
  const p = join(dir, BATCH_INFO);
  if (!existsSync(p)) throw new Error(`${dir}: not an autograde results folder (no ${BATCH_INFO}; it is written by autograde)`);
  return JSON.parse(readFileSync(p, 'utf8')) as BatchInfo;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the results folder's lock (an O_EXCL file with pid and host). A lock held by a live process
 * refuses with a message naming it; a lock left by a dead process on this host is taken over.
 * Returns the release function.
 */
export function lockResults(outDir: string): () => void {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, LOCK_FILE);
  const me = JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, me);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8') === me) rmSync(path, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid?: number; host?: string; started?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // a lock being written this instant: read again
      }
      const sameHost = holder.host === hostname();
      if (typeof holder.pid === 'number' && sameHost && !alive(holder.pid)) {
        rmSync(path, { force: true }); // its grader was killed: take it over
        continue;
      }
      if (holder.pid === undefined && attempt < 2) continue;
      throw new Error(`${outDir} is being graded by another autograde (pid ${holder.pid ?? '?'} on ${holder.host ?? '?'}, since ${holder.started ?? '?'}): ` +
        `wait for it to finish, or give this batch another --out. If that process is gone, delete ${path}.`);
    }
  }
  throw new Error(`could not take the lock ${path}`);
}

/** Removes scratch folders of graders that were killed (kill -9 runs no cleanup). Returns what was removed. */
export function sweepScratch(root = tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const p = join(root, name);
    try {
      if (statSync(p).isDirectory()) {
        rmSync(p, { recursive: true, force: true });
        removed.push(p);
      }
    } catch {
      // another run removed it
    }
  }
  return removed;
}

export interface MergeSummary {
  outDir: string;
  shards: number;
  students: number;
}

/**
 * Merges shard results folders into `outDir`: every folder must come from the same assignment, source
 * notebook, answer key, grader and limits, be a shard of the same n, and together they must be shards
 * 1…n exactly once. Result files are copied as they are.
 */
export function mergeShards(outDir: string, dirs: string[]): MergeSummary {
  if (dirs.length === 0) throw new Error('merge: no shard folders given');
  const infos = dirs.map((d) => ({ dir: d, info: readBatchInfo(d) }));
  const first = infos[0]!;
  for (const { dir, info } of infos) {
    if (!info.shard) throw new Error(`merge: ${dir} is not a shard (graded without --shard)`);
    for (const [field, what] of [['assignment', 'assignment'], ['source_hash', 'source notebook'], ['key_sha256', 'answer key'], ['grader', 'grader version']] as const) {
      if (info[field] !== first.info[field]) {
        throw new Error(`merge: ${dir} was graded from a different ${what} than ${first.dir} (${field} ${String(info[field]).slice(0, 16)} ≠ ${String(first.info[field]).slice(0, 16)}); regrade it with the same source and key`);
      }
    }
    if (JSON.stringify(info.limits) !== JSON.stringify(first.info.limits)) throw new Error(`merge: ${dir} was graded with other limits than ${first.dir}`);
    if (info.shard.count !== first.info.shard!.count) throw new Error(`merge: ${dir} is shard ${info.shard.index + 1}/${info.shard.count}, ${first.dir} is one of ${first.info.shard!.count}`);
  }
  const n = first.info.shard!.count;
  const seen = new Map<number, string>();
  for (const { dir, info } of infos) {
    const other = seen.get(info.shard!.index);
    if (other) throw new Error(`merge: ${dir} and ${other} are both shard ${info.shard!.index + 1}/${n}`);
    seen.set(info.shard!.index, dir);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new Error(`merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i + 1}/${n}`).join(', ')} missing`);
  mkdirSync(outDir, { recursive: true });
  const students: string[] = [];
  for (const { dir, info } of infos) {
    for (const id of info.students) {
      if (shardOf(id, n) !== info.shard!.index) throw new Error(`merge: ${dir} holds ${id}, who belongs to shard ${shardOf(id, n) + 1}/${n}`);
      const file = join(dir, `${id}.json`);
      if (!existsSync(file)) throw new Error(`merge: ${file} is missing (the shard did not finish?)`);
      copyFileSync(file, join(outDir, `${id}.json`));
      students.push(id);
    }
  }
  students.sort();
  const merged: BatchInfo = { ...first.info, shard: null, students, merged_from: infos.map((i) => i.dir) };
  writeFileJson(join(outDir, BATCH_INFO), merged);
  return { outDir, shards: n, students: students.length };
}

export function writeFileJson(path: string, value: unknown): void {
  const fd = openSync(path, 'w');
  writeSync(fd, JSON.stringify(value, null, 1) + '\n');
  closeSync(fd);
}
