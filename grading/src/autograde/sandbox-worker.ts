/**
 * The sandbox process: runs one submission's grading cells with the course's
 * in-process tslab executor and reports what student code produced.
 *
 * Started by sandbox.ts under Node's permission model (reads limited to its
 * work folder, node_modules, lib/dist and grading/dist; no writes, no child
 * processes, no workers, no addons). Trust model:
 * - Everything this file needs is captured before any student code runs.
 * - Reports go to file descriptor 4 (a pipe to the parent), one JSON line each,
 *   carrying a nonce that arrives over the IPC channel, which is closed before
 *   student code runs. Student code can write to fd 4 or stdout, but cannot
 *   know the nonce, so it cannot forge a report.
 * - The sandbox never receives expected values; the parent judges.
 * - Network modules are unloadable here (Node 20's permission model has no
 *   network switch); see README.md for the residual risk.
 */
// Load order matters: the lib's check module captures its primitives at load.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const check = require('@course-kit/lib/dist/check') as typeof import('@course-kit/lib/dist/check');
import type { PlainValue, TestOptions } from '@course-kit/lib/dist/check';
import type { PlanCell } from './protocol';

/* eslint-disable @typescript-eslint/no-var-requires */
const fs = require('fs') as typeof import('fs');
const ModuleCtor = require('module') as { _load: (...a: unknown[]) => unknown };
const writeSync = fs.writeSync;
const JSONStringify = JSON.stringify;
const StringCtor = String;
const ObjectKeys = Object.keys;
const ObjectHasOwn = Object.hasOwn;
const ObjectDefineProperty = Object.defineProperty;
const ObjectCreate = Object.create;
const ArrayIsArray = Array.isArray;
const ReflectApply = Reflect.apply;
const perfNow = performance.now.bind(performance);
const toPlainValue = check.toPlainValue;
const sliceOf = Function.prototype.call.bind(String.prototype.slice) as (s: string, a: number, b?: number) => string;
const REPORT_FD = 4;

let nonce = '';

/** JSON text of plain data, without JSON.stringify on objects (Object.prototype.toJSON may be patched). */
function encode(v: PlainValue): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return StringCtor(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSONStringify(v);
  if (ArrayIsArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + encode(v[i]);
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = ObjectKeys(o);
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!ObjectHasOwn(o, k)) continue;
    s += (i ? ',' : '') + JSONStringify(k) + ':' + encode(o[k] as PlainValue);
  }
  return s + '}';
}

function str(s: unknown, max = 2000): string {
  const t = typeof s === 'string' ? s : '';
  return JSONStringify(t.length > max ? sliceOf(t, 0, max) + '…' : t);
}

/** Send one report line; `fields` is pre-encoded JSON members. */
function send(type: string, fields: string): void {
  const line = '{"n":' + JSONStringify(nonce) + ',"t":' + JSONStringify(type) + (fields ? ',' + fields : '') + '}\n';
  let off = 0;
  while (off < line.length) {
    try {
      off += writeSync(REPORT_FD, sliceOf(line, off));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

interface Registered {
  id: string;
  description: string;
  produce: () => unknown;
  options: TestOptions;
}

let registered: Registered[] = [];

// The grader: test() in the notebook hands over its value producer.
check.installGrader((id, description, produce, options) => {
  const r = ObjectCreate(null) as Registered;
  r.id = typeof id === 'string' ? id : StringCtor(id);
  r.description = typeof description === 'string' ? description : '';
  r.produce = produce;
  r.options = options && typeof options === 'object' ? options : {};
  registered[registered.length] = r;
});

const BLOCKED: Record<string, true> = ObjectCreate(null);
for (const m of ['net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'child_process', 'cluster',
  'worker_threads', 'inspector', 'inspector/promises', 'tty', '_http_agent', '_http_client', '_http_common',
  '_http_incoming', '_http_outgoing', '_http_server', '_tls_common', '_tls_wrap', 'undici', 'diagnostics_channel', 'trace_events']) {
  BLOCKED[m] = true;
}

/** Make network and process modules unloadable and remove fetch & co. */
function lockDown(): void {
  const load = ModuleCtor._load;
  const guarded = function (this: unknown, ...args: unknown[]) {
    const request = args[0];
    const name = typeof request === 'string' && sliceOf(request, 0, 5) === 'node:' ? sliceOf(request, 5) : request;
    if (typeof name === 'string' && BLOCKED[name] === true) {
      throw new Error(`the grading sandbox does not allow module "${name}"`);
    }
    return ReflectApply(load, this, args);
  };
  ObjectDefineProperty(ModuleCtor, '_load', { value: guarded, writable: false, configurable: false });
  for (const g of ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest']) {
    ObjectDefineProperty(globalThis, g, {
      get() {
        throw new Error(`the grading sandbox does not allow ${g}`);
      },
      configurable: false,
    });
  }
}

function errorText(e: unknown): string {
  try {
    if (e instanceof Error) return StringCtor(e.name) + ': ' + StringCtor(e.message);
    if (typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean') return 'threw ' + StringCtor(e);
    return 'threw a non-Error value';
  } catch {
    return 'threw a value that cannot be printed';
  }
}

/** Run the tests registered since the last call (after their cell or segment), one report pair each. */
function runRegistered(): void {
  const tests = registered;
  registered = [];
  for (let k = 0; k < tests.length; k++) {
    const t = tests[k];
    send('test', '"id":' + str(t.id, 200));
    const tStart = perfNow();
    let head: string;
    try {
      const value = t.produce();
      head = '"ok":true,"value":' + encode(toPlainValue(value));
    } catch (e) {
      head = '"ok":false,"error":' + str(errorText(e), 500);
    }
    const o = t.options;
    const opt = (name: string) => {
      const v = ObjectHasOwn(o, name) ? (o as Record<string, unknown>)[name] : undefined;
      return typeof v === 'number' ? StringCtor(v) : 'null';
    };
    const expect = ObjectHasOwn(o, 'expect') ? ',"expect":' + encode(toPlainValue((o as Record<string, unknown>).expect)) : '';
    send('result', '"id":' + str(t.id, 200) + ',' + head + ',"description":' + str(t.description, 300) +
      ',"tol":' + opt('tol') + ',"rtol":' + opt('rtol') + ',"points":' + opt('points') + expect + ',"ms":' + StringCtor(perfNow() - tStart));
  }
}

function sendCellEnd(i: number, ok: boolean, error: string, stdout: string, ms: number): void {
  send('cell-end', '"i":' + StringCtor(i) + ',"ok":' + (ok ? 'true' : 'false') + ',"error":' + str(error) +
    ',"stdout":' + str(stdout) + ',"ms":' + StringCtor(ms));
}

interface Executed {
  ok: boolean;
  error: string;
  stdout: string;
}

type Execute = (code: string) => Promise<Executed>;

/** One plan cell as its own notebook cell: run it, then the tests it registered. */
async function runOne(execute: Execute, cells: PlanCell[], i: number): Promise<void> {
  send('cell', '"i":' + StringCtor(i));
  registered = [];
  const started = perfNow();
  const r = await execute(cells[i].code);
  sendCellEnd(i, r.ok, r.error, r.stdout, perfNow() - started);
  runRegistered();
}

/**
 * The trusted segment hook of a merged test cell (see runMerged). Student
 * code can see the global it is published under, but calls without this
 * run's token, out of order or re-entrant ones are ignored.
 */
const segment = { token: '', first: -1, last: -1, current: -1, entered: false, busy: false, started: 0 };

function segmentHook(k: unknown, token: unknown): void {
  const s = segment;
  if (s.token === '' || token !== s.token || s.busy || typeof k !== 'number') return;
  if (k === 0) {
    if (s.current === s.first) s.entered = true;
    return;
  }
  if (!s.entered || k !== s.current - s.first + 1 || s.current >= s.last) return;
  s.busy = true;
  try {
    // What separate cells would report: the chunk ended, its tests run, the next chunk starts.
    sendCellEnd(s.current, true, '', '', perfNow() - s.started);
    runRegistered();
    s.current++;
    send('cell', '"i":' + StringCtor(s.current));
    s.started = perfNow();
  } finally {
    s.busy = false;
  }
}

const SEGMENT_HOOK = '__courseKitSegment';

/**
 * A test cell split into chunks (visible / hidden / visible) runs as ONE
 * notebook cell (one compilation instead of one per chunk): the worker puts
 * a hook call between the chunks that reports the end of one chunk, runs the
 * tests it registered and starts the next, so the parent sees the same
 * reports, in the same order, as for separate cells. If the merged cell
 * fails before it starts (compile error) its chunks run separately from the
 * first; if it fails while chunk j runs, chunk j ends there (as it would
 * alone) and the chunks after it run separately. No chunk runs twice.
 */
async function runMerged(execute: Execute, cells: PlanCell[], merged: MergedGroup): Promise<void> {
  const s = segment;
  s.token = merged.token;
  s.first = merged.first;
  s.last = merged.last;
  s.current = merged.first;
  s.entered = false;
  s.busy = false;
  send('cell', '"i":' + StringCtor(merged.first));
  registered = [];
  s.started = perfNow();
  let r: Executed;
  try {
    r = await execute(merged.code);
  } finally {
    s.token = '';
  }
  const current = s.current;
  let next: number;
  if (!r.ok && !s.entered) {
    // Nothing ran (e.g. a type error somewhere in the cell): the first chunk alone, as a cell of its own.
    const alone = await execute(cells[merged.first].code);
    sendCellEnd(merged.first, alone.ok, alone.error, alone.stdout, perfNow() - s.started);
    next = merged.first + 1;
  } else if (r.ok && current !== merged.last) {
    // A hook call never happened (student code replaced globalThis?): the remaining chunks did not report.
    sendCellEnd(current, true, '', r.stdout, perfNow() - s.started);
    runRegistered();
    for (let i = current + 1; i <= merged.last; i++) {
      send('cell', '"i":' + StringCtor(i));
      sendCellEnd(i, false, 'the grading segment marker of this test cell was not reached', '', 0);
    }
    return;
  } else {
    sendCellEnd(current, r.ok, r.error, r.stdout, perfNow() - s.started);
    next = current + 1;
  }
  runRegistered();
  for (let i = next; i <= merged.last; i++) await runOne(execute, cells, i);
}

interface MergedGroup {
  first: number;
  last: number;
  token: string;
  code: string;
}

/**
 * Consecutive test chunks of one source cell, merged with hook calls between
 * them. Built when the plan arrives, before any student code runs (student
 * code may patch Array.prototype, String.prototype, …).
 */
function mergeGroups(cells: PlanCell[], makeToken: () => string): (MergedGroup | undefined)[] {
  const groups: (MergedGroup | undefined)[] = [];
  let i = 0;
  while (i < cells.length) {
    let j = i;
    while (j + 1 < cells.length && cells[i].kind === 'tests' && cells[j + 1].kind === 'tests' && cells[j + 1].id === cells[i].id) j++;
    if (j > i) {
      const token = makeToken();
      const call = (k: number) => `;(globalThis as any).${SEGMENT_HOOK}(${k}, ${JSONStringify(token)});`;
      let code = call(0) + '\n';
      for (let k = i; k <= j; k++) code += (k > i ? '\n' + call(k - i) + '\n' : '') + cells[k].code;
      groups[i] = { first: i, last: j, token, code };
    }
    i = j + 1;
  }
  return groups;
}

async function runCells(cells: PlanCell[], cwd: string, merge: boolean): Promise<void> {
  const t0 = perfNow();
  const { createCellExecutor } = require('../notebook/executor') as typeof import('../notebook/executor');
  const { randomBytes } = require('crypto') as typeof import('crypto');
  const groups = merge ? mergeGroups(cells, () => randomBytes(18).toString('hex')) : [];
  const executor = createCellExecutor({ cwd, stayInCwd: true });
  const execute: Execute = async (code) => {
    try {
      const r = await executor.execute(code);
      return {
        ok: r.ok === true,
        error: typeof r.error === 'string' ? r.error : '',
        stdout: typeof r.stdout === 'string' ? r.stdout : '',
      };
    } catch (e) {
      return { ok: false, error: errorText(e), stdout: '' };
    }
  };
  ObjectDefineProperty(globalThis, SEGMENT_HOOK, { value: segmentHook, writable: false, configurable: false, enumerable: false });
  lockDown();
  send('ready', '"ms":' + StringCtor(perfNow() - t0));
  let i = 0;
  while (i < cells.length) {
    const g = groups[i];
    if (g) {
      await runMerged(execute, cells, g);
      i = g.last + 1;
    } else {
      await runOne(execute, cells, i);
      i++;
    }
  }
  send('done', '');
}

// The plan and the nonce arrive as the one and only IPC message; the channel
// is closed before any student code runs.
process.once('message', (msg: { nonce: string; cells: PlanCell[]; cwd: string; merge?: boolean }) => {
  nonce = StringCtor(msg.nonce);
  const cells = msg.cells;
  const cwd = msg.cwd;
  const merge = msg.merge !== false;
  process.disconnect();
  runCells(cells, cwd, merge).catch((e) => {
    try {
      send('fatal', '"error":' + str(errorText(e)));
    } catch {
      // The parent treats a missing "done" as a crash.
    }
  });
});
