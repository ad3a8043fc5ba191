/**
 * Messages between the grading parent and the sandbox process. The parent
 * starts the sandbox with one IPC message (SandboxStart), and the sandbox
 * closes that channel before student code runs. The sandbox answers with
 * JSON lines on fd 4, each carrying the nonce. Lines are validated in the
 * parent (validateReport) — a malformed line is ignored and counted, never
 * trusted. One kind of line asks for the conversion of a plan cell
 * ('compile'); the parent answers with one JSON line (CompileReply) on fd 5.
 */
import type { PlainValue } from '@course-kit/lib';
import type { ConvertResult } from 'tslab/dist/converter';
import type { CodeMetadata } from 'tslab/dist/metadata';
import type { CellKind } from './notebook';

/** One cell of the grading notebook, as executed in the sandbox. */
export interface PlanCell {
  /** The source cell id (a test cell split at hidden regions gives several plan cells with the same id). */
  id: string;
  kind: CellKind;
  question?: string;
  /** For test chunks: inside a HIDDEN TESTS region. */
  hidden?: boolean;
  code: string;
}

/**
 * Consecutive test chunks of one source cell merged into one cell, with
 * segment hook calls between them (see segments.ts).
 */
export interface MergedGroup {
  first: number;
  last: number;
  code: string;
}

/** The one message that starts a sandbox. */
export interface SandboxStart {
  nonce: string;
  cells: PlanCell[];
  /** Merged test cells, by their first plan cell (empty when merging is off). */
  groups: MergedGroup[];
  cwd: string;
  /** 'remote': cells are converted by the parent's compile servers; 'local': by tslab's converter in the sandbox. */
  compile: 'remote' | 'local';
}

/**
 * tslab's view of one cell: its metadata (JSDoc tags such as @module) and,
 * for an ordinary node cell, the conversion (type-check + JavaScript).
 */
export interface Compiled {
  meta: CodeMetadata;
  converted?: ConvertResult;
}

/** The parent's answer to a 'compile' report: the conversion and its id (for a later `prev`), or why there is none. */
export type CompileReply = { id: number; compiled: Compiled } | { error: string };

export type Report =
  | { t: 'ready'; ms: number }
  | { t: 'cell'; i: number }
  | { t: 'cell-end'; i: number; ok: boolean; error: string; stdout: string; ms: number }
  | { t: 'test'; id: string }
  | {
      t: 'result';
      id: string;
      ok: boolean;
      value?: PlainValue;
      error?: string;
      description: string;
      tol: number | null;
      rtol: number | null;
      points: number | null;
      expect?: PlainValue;
      ms: number;
    }
  /**
   * Convert plan cell `key` ("c<i>": cell i, "g<i>": the merged group
   * starting at cell i) after the declarations of conversion `prev` (-1:
   * none). Only cells of the sandbox's own plan can be asked for.
   */
  | { t: 'compile'; key: string; prev: number }
  | { t: 'done' }
  | { t: 'fatal'; error: string };

/**
 * Caps on the strings a report carries (characters): everything in a report
 * is student-controlled, and these strings are copied into results and
 * feedback pages. The worker truncates to the same sizes; the parent
 * enforces them whatever the sandbox sent.
 */
export const REPORT_CAPS = { id: 200, description: 300, error: 2000, stdout: 2000 } as const;

/** `s` cut to `max` characters, saying how much was cut. */
export function capText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}… [${s.length - max} more characters not shown]` : s;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Is this a well-formed plain value (the shapes toPlainValue produces)? */
export function isPlainValue(v: unknown, depth = 0): v is PlainValue {
  if (depth > 10) return false;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isPlainValue(x, depth + 1));
  if (typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === '$') return ['NaN', 'Infinity', '-Infinity', 'undefined'].includes(o.$ as string);
  if (keys.length === 1 && keys[0] === '$bad') return isStr(o.$bad);
  if (keys.length === 1 && keys[0] === '$object') {
    const f = o.$object;
    return !!f && typeof f === 'object' && !Array.isArray(f) && Object.values(f).every((x) => isPlainValue(x, depth + 1));
  }
  if (keys.length === 2 && isStr(o.$typed) && Array.isArray(o.data)) return o.data.every((x) => isPlainValue(x, depth + 1));
  return false;
}

/** Parse and validate one report line; undefined when malformed or the nonce is wrong. */
export function validateReport(line: string, nonce: string): Report | undefined {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object' || m.n !== nonce) return undefined;
  switch (m.t) {
    case 'ready':
      return isNum(m.ms) ? { t: 'ready', ms: m.ms } : undefined;
    case 'cell':
      return Number.isInteger(m.i) ? { t: 'cell', i: m.i as number } : undefined;
    case 'cell-end':
      return Number.isInteger(m.i) && typeof m.ok === 'boolean' && isStr(m.error) && isStr(m.stdout) && isNum(m.ms)
        ? { t: 'cell-end', i: m.i as number, ok: m.ok, error: capText(m.error, REPORT_CAPS.error), stdout: capText(m.stdout, REPORT_CAPS.stdout), ms: m.ms }
        : undefined;
    case 'test':
      return isStr(m.id) ? { t: 'test', id: capText(m.id, REPORT_CAPS.id) } : undefined;
    case 'result': {
      const optNum = (v: unknown) => v === null || isNum(v);
      if (!isStr(m.id) || typeof m.ok !== 'boolean' || !isStr(m.description) || !isNum(m.ms)) return undefined;
      if (!optNum(m.tol) || !optNum(m.rtol) || !optNum(m.points)) return undefined;
      if (m.ok ? !isPlainValue(m.value) : !isStr(m.error)) return undefined;
      if ('expect' in m && !isPlainValue(m.expect)) return undefined;
      return {
        t: 'result', id: capText(m.id, REPORT_CAPS.id), ok: m.ok, value: m.value as PlainValue | undefined,
        error: m.ok ? undefined : capText(m.error as string, REPORT_CAPS.error), description: capText(m.description, REPORT_CAPS.description), tol: m.tol as number | null, rtol: m.rtol as number | null, points: m.points as number | null,
        expect: m.expect as PlainValue | undefined, ms: m.ms,
      };
    }
    case 'compile':
      return isStr(m.key) && Number.isInteger(m.prev) ? { t: 'compile', key: m.key, prev: m.prev as number } : undefined;
    case 'done':
      return { t: 'done' };
    case 'fatal':
      return isStr(m.error) ? { t: 'fatal', error: capText(m.error, REPORT_CAPS.error) } : undefined;
  }
  return undefined;
}
