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
import type { Compiled, CompileReply, MergedGroup, PlanCell, SandboxStart } from './protocol';
import { SEGMENT_HOOK, TOKEN_PLACEHOLDER } from './segments';

/* eslint-disable @typescript-eslint/no-var-requires */
const fs = require('fs') as typeof import('fs');
const ModuleCtor = require('module') as {
  _load: (...a: unknown[]) => unknown;
  _cache: Record<string, unknown>;
  new (id: string): { filename: string; loaded: boolean; exports: unknown };
};
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
/** The secret of the merged test cells' segment hook (see segments.ts). */
let segmentToken = '';

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
  // tslab's executor runs every cell through vm.runInThisContext, looked up at each call:
  // student code must not be able to replace it (and with it the instructor's test cells).
  Object.freeze(require('vm'));
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

/** Run plan cell `key` ("c<i>" or "g<first>"), whose source is `code`, as the next notebook cell. */
type Execute = (key: string, code: string) => Promise<Executed>;

/** One plan cell as its own notebook cell: run it, then the tests it registered. */
async function runOne(execute: Execute, cells: PlanCell[], i: number): Promise<void> {
  send('cell', '"i":' + StringCtor(i));
  registered = [];
  const started = perfNow();
  const r = await execute('c' + StringCtor(i), cells[i].code);
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
  s.token = segmentToken;
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
    r = await execute('g' + StringCtor(merged.first), merged.code);
  } finally {
    s.token = '';
  }
  const current = s.current;
  let next: number;
  if (!r.ok && !s.entered) {
    // Nothing ran (e.g. a type error somewhere in the cell): the first chunk alone, as a cell of its own.
    const alone = await execute('c' + StringCtor(merged.first), cells[merged.first].code);
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

const replaceAll = Function.prototype.call.bind(String.prototype.replaceAll) as (s: string, a: string, b: string) => string;
const REPLY_FD = 5;
const readSync = fs.readSync;
const JSONParse = JSON.parse;
const utf8 = new TextDecoder();
const decode = utf8.decode.bind(utf8) as (b: Uint8Array) => string;
const pause = new Int32Array(new SharedArrayBuffer(4));
const AtomicsWait = Atomics.wait;

/** An object's own properties on a null prototype (student code may have added getters to Object.prototype). */
function ownRecord<T>(o: T): T {
  const r = ObjectCreate(null) as Record<string, unknown>;
  if (o && typeof o === 'object') {
    const keys = ObjectKeys(o);
    for (let i = 0; i < keys.length; i++) r[keys[i]] = (o as Record<string, unknown>)[keys[i]];
  }
  return r as T;
}

/**
 * Ask the parent for the conversion of plan cell `key` after the
 * declarations of conversion `prev` (-1: none), and wait for it.
 *
 * The request is a report line (it carries the nonce, so student code
 * cannot forge one); the reply arrives on fd 5, a pipe only the parent
 * writes, and is read synchronously: no student code (not even a timer) runs
 * between the request and the end of the reply, so none can see, steal or
 * replace a conversion.
 */
function requestCompile(key: string, prev: number): { id: number; compiled: Compiled } {
  send('compile', '"key":' + JSONStringify(key) + ',"prev":' + StringCtor(prev));
  const chunk = new Uint8Array(1 << 16);
  let text = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(REPLY_FD, chunk, 0, chunk.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      AtomicsWait(pause, 0, 0, 1);
      continue;
    }
    if (n === 0) throw new Error('the parent closed the conversion channel');
    text += decode(chunk.subarray(0, n));
    // One reply is one JSON line, and nothing follows it before the next request.
    if (chunk[n - 1] === 10) break;
  }
  const r = JSONParse(text) as CompileReply;
  if (ObjectHasOwn(r, 'error')) throw new Error(StringCtor((r as { error: unknown }).error));
  const { id, compiled } = r as { id: number; compiled: Compiled };
  const meta = ownRecord(compiled.meta);
  const converted = compiled.converted ? ownRecord(compiled.converted) : undefined;
  // A merged test cell carries the placeholder where the hook's token goes (segments.ts).
  if (key[0] === 'g' && converted?.output) converted.output = replaceAll(converted.output, TOKEN_PLACEHOLDER, segmentToken);
  return { id, compiled: { meta, converted } };
}

/** Put `exports` in Node's module cache as the module `id` resolves to (before anything requires it). */
function seedModule(id: string, exports: unknown): void {
  const filename = require.resolve(id);
  const m = new ModuleCtor(filename);
  m.filename = filename;
  m.loaded = true;
  m.exports = exports;
  ModuleCtor._cache[filename] = m;
}

/**
 * tslab's executor, fed with conversions made elsewhere: a stand-in
 * converter returns the conversion fetched for the cell about to run, and a
 * stand-in of tslab's metadata module returns that conversion's metadata
 * (the real one loads TypeScript). The executor itself — how cells are
 * wrapped, run, awaited and their last expression printed — is tslab's.
 * What a cell declares becomes the `prev` of the next request exactly when
 * tslab's executor takes its declarations (a converted cell that succeeded).
 */
function remoteExecute(cwd: string): Execute {
  const decls = ObjectCreate(null) as Record<number, string>;
  decls[-1] = '';
  let prev = -1;
  let current: { key: string; code: string } | undefined;
  let fetched: { code: string; id: number; compiled: Compiled; used: boolean } | undefined;
  /** The conversion of the cell being run (fetched once, when tslab first asks). */
  const conversion = (src: string) => {
    if (fetched && fetched.code === src) return fetched;
    if (!current || current.code !== src) throw new Error('the grading sandbox was asked to convert code that is not in its plan (internal error)');
    const { id, compiled } = requestCompile(current.key, prev);
    decls[id] = compiled.converted?.declOutput || '';
    fetched = { code: src, id, compiled, used: false };
    return fetched;
  };
  const diagnostic = (messageText: string) => ({ start: { offset: 0, line: 0, character: 0 }, end: { offset: 0, line: 0, character: 0 }, messageText, category: 1, code: 0 });
  const converter = {
    convert(prevDecl: string, src: string) {
      const f = conversion(src);
      if (prevDecl !== decls[prev] || !f.compiled.converted) throw new Error('the grading sandbox has no conversion for this cell (internal error)');
      f.used = true;
      return f.compiled.converted;
    },
    addModule: () => [diagnostic('module cells (@module) are not supported by the autograder')],
    inspect: () => {
      throw new Error('not available in the grading sandbox');
    },
    complete: () => {
      throw new Error('not available in the grading sandbox');
    },
    close: () => undefined,
  };
  seedModule('tslab/dist/metadata', { getCodeMetadata: (src: string) => conversion(src).compiled.meta });
  // The display hook lives in tslab's jupyter module (which loads TypeScript); the executor sets it per cell.
  seedModule('tslab/dist/jupyter', { lastWriteDisplayData: null });
  const { createCellExecutor } = require('../notebook/executor') as typeof import('../notebook/executor');
  const executor = createCellExecutor({ cwd, stayInCwd: true, converter: converter as unknown as import('../notebook/executor').Converter });
  return async (key, code) => {
    current = { key, code };
    fetched = undefined;
    try {
      const r = await executor.execute(code);
      // tslab's executor takes a cell's declarations exactly when it converted the cell and the cell succeeded.
      const f = fetched as { id: number; used: boolean } | undefined;
      if (r.ok === true && f?.used) prev = f.id;
      return executed(r);
    } catch (e) {
      return { ok: false, error: errorText(e), stdout: '' };
    } finally {
      current = undefined;
      fetched = undefined;
    }
  };
}

/** What the worker reports of an executor's cell result (fields checked: student code may have patched prototypes). */
function executed(r: import('../notebook/executor').CellResult): Executed {
  return { ok: r.ok === true, error: typeof r.error === 'string' ? r.error : '', stdout: typeof r.stdout === 'string' ? r.stdout : '' };
}

/** tslab's executor with its own converter, created in this process (slow: loads TypeScript). */
function localExecute(cwd: string): Execute {
  const { createCellExecutor } = require('../notebook/executor') as typeof import('../notebook/executor');
  const executor = createCellExecutor({ cwd, stayInCwd: true });
  return async (key, code) => {
    try {
      const r = await executor.execute(key[0] === 'g' ? replaceAll(code, TOKEN_PLACEHOLDER, segmentToken) : code);
      return executed(r);
    } catch (e) {
      return { ok: false, error: errorText(e), stdout: '' };
    }
  };
}

async function runCells(start: SandboxStart): Promise<void> {
  const t0 = perfNow();
  const { cells, cwd } = start;
  segmentToken = (require('crypto') as typeof import('crypto')).randomBytes(18).toString('hex');
  const groups: (MergedGroup | undefined)[] = [];
  for (const g of start.groups) groups[g.first] = g;
  const execute = start.compile === 'local' ? localExecute(cwd) : remoteExecute(cwd);
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
process.once('message', (msg: SandboxStart) => {
  nonce = StringCtor(msg.nonce);
  process.disconnect();
  runCells(msg).catch((e) => {
    try {
      send('fatal', '"error":' + str(errorText(e)));
    } catch {
      // The parent treats a missing "done" as a crash.
    }
  });
});
