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
 * - The process runs under bubblewrap (isolation.ts): no network, no other
 *   process, no file beyond the code it runs. Network, process, inspector and
 *   v8 modules are unloadable here as a further layer (also through
 *   process.getBuiltinModule and process.binding).
 * - Student code and the harness share one realm, hardened before any cell
 *   runs (realm.ts: SES lockdown freezes every intrinsic, global bindings are
 *   pinned, the course library's modules hardened). Beneath that the harness
 *   never looks anything up at run time that student code could replace: it uses
 *   the built-ins captured below (no prototype method calls, no array index
 *   writes, no property reads that could reach a getter on a prototype), and
 *   instructor cells are bound by references captured in advance (see
 *   `instructorExports`): a student's declaration of `test`, `JSON` or
 *   `globalThis`, or a later write to tslab's shared exports, never reaches
 *   them. Registrations made outside instructor test cells are dropped.
 */
// The realm's intrinsics are frozen (realm.ts) when the plan has arrived, before any cell runs.
/* eslint-disable @typescript-eslint/no-var-requires */
const realm = require('./realm') as typeof import('./realm');
const check = require('@course-kit/lib/dist/check') as typeof import('@course-kit/lib/dist/check');
import type { PlainValue, TestOptions } from '@course-kit/lib/dist/check';
import type { Compiled, MergedGroup, PlanCell, SandboxStart } from './protocol';
import { SEGMENT_HOOK } from './segments';

const fs = require('fs') as typeof import('fs');
const { dirname: pathDirname, sep: pathSep } = require('path') as typeof import('path');
const ModuleCtor = require('module') as {
  _load: (...a: unknown[]) => unknown;
  _cache: Record<string, unknown>;
  prototype: object;
  new (id: string): { filename: string; loaded: boolean; exports: unknown };
};
const writeSync = fs.writeSync;
const JSONStringify = JSON.stringify;
const StringCtor = String;
const ObjectKeys = Object.keys;
const ObjectHasOwn = Object.hasOwn;
const ObjectDefineProperty = Object.defineProperty;
const ObjectCreate = Object.create;
const ObjectFreeze = Object.freeze;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ArrayIsArray = Array.isArray;
const ReflectApply = Reflect.apply;
const ReflectGet = Reflect.get;
const ReflectSet = Reflect.set;
const ReflectHas = Reflect.has;
const ReflectDefineProperty = Reflect.defineProperty;
const ReflectDeleteProperty = Reflect.deleteProperty;
const ReflectOwnKeys = Reflect.ownKeys;
const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const ProxyCtor = Proxy;
const ErrorCtor = Error;
const startsWith = Function.prototype.call.bind(String.prototype.startsWith) as (s: string, p: string) => boolean;
const endsWith = Function.prototype.call.bind(String.prototype.endsWith) as (s: string, p: string) => boolean;
const subarray = Function.prototype.call.bind(Uint8Array.prototype.subarray) as (a: Uint8Array, b: number, e: number) => Uint8Array;
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

/** Tests registered since the last report, on a null prototype with a count (no array: an index setter on Array.prototype would see them). */
interface Registry {
  n: number;
  [k: number]: Registered;
}
const newRegistry = (): Registry => {
  const r = ObjectCreate(null) as Registry;
  r.n = 0;
  return r;
};
let registered = newRegistry();
/** Registrations count only while an instructor test cell runs (a student's own test() calls elsewhere are dropped). */
let acceptTests = false;

/**
 * The library's test() as instructor cells see it (instructorExports,
 * instructorRequire): a wrapper that marks the call as theirs. A test
 * registers only through it, so student code an instructor test cell calls
 * (at its top level, say) cannot register a test, even while the cell's
 * registrations are accepted. No student code runs while the flag is set:
 * test() only hands its arguments to the grader below.
 */
const libTest = check.test;
let instructorCalling = false;
const instructorTest = function (...args: unknown[]): unknown {
  instructorCalling = true;
  try {
    return ReflectApply(libTest, undefined, args);
  } finally {
    instructorCalling = false;
  }
};

// The grader: test() in the notebook hands over its value producer.
check.installGrader((id, description, produce, options) => {
  if (!acceptTests || !instructorCalling) return;
  const r = ObjectCreate(null) as Registered;
  r.id = typeof id === 'string' ? id : 'non-string test id';
  r.description = typeof description === 'string' ? description : '';
  r.produce = typeof produce === 'function' ? produce : () => undefined;
  r.options = options && typeof options === 'object' ? options : ObjectCreate(null);
  registered[registered.n] = r;
  registered.n++;
});

const BLOCKED: Record<string, true> = ObjectCreate(null);
for (const m of ['net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'child_process', 'cluster',
  'worker_threads', 'inspector', 'inspector/promises', 'tty', 'v8', 'vm', 'repl', 'wasi', 'module', '_http_agent', '_http_client', '_http_common',
  '_http_incoming', '_http_outgoing', '_http_server', '_tls_common', '_tls_wrap', 'undici', 'diagnostics_channel', 'trace_events']) {
  BLOCKED[m] = true;
}

/** The web network API on the global object (fetch and the classes around it). */
const NETWORK_GLOBALS = ['fetch', 'WebSocket', 'EventSource', 'XMLHttpRequest', 'FormData', 'Headers', 'Request', 'Response', 'MessageEvent', 'CloseEvent'];

/**
 * Replace the network globals by getters that refuse. First, before anything
 * reads the global object's properties: on Node 22 and 24 several are lazy
 * properties whose first read (even of the descriptor) or redefinition loads
 * undici, which starts instantiating its WebAssembly HTTP parser; under the
 * sandbox's address-space cap that fails, and the rejection ends the process
 * at the next turn of the event loop (a cell awaiting a timer crashed). A
 * delete does not load it.
 */
function removeNetworkGlobals(): void {
  for (const g of NETWORK_GLOBALS) {
    ReflectDeleteProperty(globalThis, g);
    ObjectDefineProperty(globalThis, g, {
      get() {
        throw new ErrorCtor(`the grading sandbox does not allow ${g}`);
      },
      configurable: false,
    });
  }
}

/** Make network and process modules unloadable. */
function lockDown(): void {
  const load = ModuleCtor._load;
  // The course library's modules are hardened as they finish loading (instructor cells call them too).
  const libDir = pathDirname(require.resolve('@course-kit/lib/package.json')) + pathSep + 'dist' + pathSep;
  const hardenLib = () => realm.hardenLoadedModules(ModuleCtor._cache as Parameters<typeof realm.hardenLoadedModules>[0], [libDir]);
  const guarded = function (this: unknown, ...args: unknown[]) {
    const request = args[0];
    const name = typeof request === 'string' && sliceOf(request, 0, 5) === 'node:' ? sliceOf(request, 5) : request;
    if (typeof name === 'string' && BLOCKED[name] === true) {
      throw new Error(`the grading sandbox does not allow module "${name}"`);
    }
    const exported = ReflectApply(load, this, args);
    hardenLib();
    return exported;
  };
  ObjectDefineProperty(ModuleCtor, '_load', { value: guarded, writable: false, configurable: false });
  hardenLib();
  // The module system itself (resolution, loaders, Module.prototype.require) and what the library reads files and
  // builds paths with: none of those functions can be replaced (shallow: Node's own state behind them stays live).
  ObjectFreeze(ModuleCtor.prototype);
  ObjectFreeze((ModuleCtor as unknown as { _extensions: object })._extensions);
  ObjectFreeze(ModuleCtor);
  ObjectFreeze(fs);
  ObjectFreeze(require('path'));

  // process.getBuiltinModule loads built-ins without Module._load; process.binding & co reach native bindings.
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltin === 'function') {
    const guardedBuiltin = function (this: unknown, id: unknown) {
      const name = typeof id === 'string' && sliceOf(id, 0, 5) === 'node:' ? sliceOf(id, 5) : id;
      if (typeof name !== 'string' || BLOCKED[name] === true) throw new ErrorCtor(`the grading sandbox does not allow module "${StringCtor(name)}"`);
      return ReflectApply(getBuiltin, process, [id]);
    };
    ObjectDefineProperty(process, 'getBuiltinModule', { value: guardedBuiltin, writable: false, configurable: false });
  }
  for (const name of ['binding', '_linkedBinding', 'dlopen', 'setSourceMapsEnabled']) {
    const refuse = () => {
      throw new ErrorCtor(`the grading sandbox does not allow process.${name}`);
    };
    try {
      ObjectDefineProperty(process, name, { value: refuse, writable: false, configurable: false });
    } catch {
      // not configurable in this Node: the permission model and the blocklist still apply
    }
  }
  // Built-ins and their prototypes are frozen since the plan arrived (realm.ts); from here on the global
  // bindings to them (and to everything else defined so far) cannot be reassigned either.
  // Not `__tslab__` and `console`: the cell executor sets them around every cell (the worker never reads
  // `__tslab__` back; `console` only writes the cell's own output).
  realm.freezeGlobalBindings(['__tslab__', 'console']);
}

/** An own data property of a thrown value as a string (no getter, no toString of student objects runs). */
function ownString(o: object, key: string): string | undefined {
  const d = ObjectGetOwnPropertyDescriptor(o, key);
  if (!d || !ObjectHasOwn(d, 'value')) return undefined;
  const v = d.value as unknown;
  return typeof v === 'string' ? v : undefined;
}

/**
 * The built-in error prototypes and their names, captured at start: after
 * lockdown their `name` is an accessor (SES lets `err.name = …` override it),
 * which the harness does not call.
 */
const BUILTIN_ERROR_NAMES = new Map<object, string>();
for (const C of [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError]) BUILTIN_ERROR_NAMES.set(C.prototype, C.name);
const builtinErrorName = Function.prototype.call.bind(Map.prototype.get) as (m: Map<object, string>, k: object) => string | undefined;

const ErrorProtoName = (o: object): string | undefined => {
  // The name of an Error subclass lives on its prototype chain (data properties, or a built-in error's name).
  for (let p: object | null = o, depth = 0; p !== null && depth < 8; p = ObjectGetPrototypeOf(p), depth++) {
    const n = ownString(p, 'name') ?? builtinErrorName(BUILTIN_ERROR_NAMES, p);
    if (n !== undefined) return n;
  }
  return undefined;
};

function errorText(e: unknown): string {
  try {
    if (typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean') return 'threw ' + StringCtor(e);
    if (e !== null && typeof e === 'object') {
      const message = ownString(e, 'message');
      const name = ErrorProtoName(e);
      if (message !== undefined && name !== undefined) return name + ': ' + message;
    }
    return 'threw a non-Error value';
  } catch {
    return 'threw a value that cannot be printed';
  }
}

/** Run the tests registered since the last call (after their cell or segment), one report pair each. */
function runRegistered(): void {
  const tests = registered;
  registered = newRegistry();
  for (let k = 0; k < tests.n; k++) {
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
    // Own data properties only: an options object's getters (or Object.prototype's) never run here.
    const own = (name: string): { v: unknown } | undefined => {
      const d = ObjectGetOwnPropertyDescriptor(o, name);
      return d && ObjectHasOwn(d, 'value') ? { v: d.value } : undefined;
    };
    const opt = (name: string) => {
      const v = own(name)?.v;
      return typeof v === 'number' ? StringCtor(v) : 'null';
    };
    const e = own('expect');
    const expect = e ? ',"expect":' + encode(toPlainValue(e.v)) : '';
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
  registered = newRegistry();
  const kind = cells[i].kind;
  running = kind === 'solution' ? 'student' : 'instructor';
  acceptTests = kind === 'tests';
  const started = perfNow();
  let r: Executed;
  try {
    r = await execute('c' + StringCtor(i), cells[i].code);
  } finally {
    acceptTests = false;
    running = 'none';
  }
  sendCellEnd(i, r.ok, r.error, r.stdout, perfNow() - started);
  if (kind === 'tests') runRegistered();
  else registered = newRegistry();
}

/**
 * The segment hook of a merged test cell (see runMerged). Student code can
 * see the global it is published under, but calls outside a merged cell,
 * out of order or re-entrant ones are ignored; a call made early by student
 * code only moves its own tests to the wrong chunk, which the parent sees
 * (tests reported where the plan has none) and marks for review. No secret
 * is involved.
 */
const segment = ObjectCreate(null) as { active: boolean; first: number; last: number; current: number; entered: boolean; busy: boolean; started: number };
segment.active = false;

function segmentHook(k: unknown): void {
  const s = segment;
  if (!s.active || s.busy || typeof k !== 'number') return;
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
  s.active = true;
  s.first = merged.first;
  s.last = merged.last;
  s.current = merged.first;
  s.entered = false;
  s.busy = false;
  send('cell', '"i":' + StringCtor(merged.first));
  registered = newRegistry();
  s.started = perfNow();
  let r: Executed;
  running = 'instructor';
  acceptTests = true;
  try {
    r = await execute('g' + StringCtor(merged.first), merged.code);
  } finally {
    s.active = false;
    acceptTests = false;
    running = 'none';
  }
  const current = s.current;
  let next: number;
  if (!r.ok && !s.entered) {
    // Nothing ran (e.g. a type error somewhere in the cell): the first chunk alone, as a cell of its own.
    running = 'instructor';
    acceptTests = true;
    let alone: Executed;
    try {
      alone = await execute('c' + StringCtor(merged.first), cells[merged.first].code);
    } finally {
      acceptTests = false;
      running = 'none';
    }
    sendCellEnd(merged.first, alone.ok, alone.error, alone.stdout, perfNow() - s.started);
    next = merged.first + 1;
  } else if (r.ok && current !== merged.last) {
    // A hook call never happened: the remaining chunks did not report.
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

/** An own property's value, or undefined (never a prototype's getter). */
function ownValue(o: unknown, key: string): unknown {
  if (!o || typeof o !== 'object') return undefined;
  const d = ObjectGetOwnPropertyDescriptor(o, key);
  return d && ObjectHasOwn(d, 'value') ? d.value : undefined;
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
    text += decode(subarray(chunk, 0, n));
    // One reply is one JSON line, and nothing follows it before the next request.
    if (chunk[n - 1] === 10) break;
  }
  // Own properties only: a getter on Object.prototype (say, for `converted`) must not supply a conversion.
  const r = JSONParse(text) as unknown;
  if (ObjectHasOwn(r as object, 'error')) throw new ErrorCtor(StringCtor(ownValue(r, 'error')));
  const id = ownValue(r, 'id') as number;
  const compiled = ownValue(r, 'compiled');
  const meta = ownRecord(ownValue(compiled, 'meta') as Compiled['meta']);
  const conv = ownValue(compiled, 'converted') as Compiled['converted'];
  const converted = conv ? ownRecord(conv) : undefined;
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
  const error = ownValue(r, 'error');
  const stdout = ownValue(r, 'stdout');
  return { ok: ownValue(r, 'ok') === true, error: typeof error === 'string' ? error : '', stdout: typeof stdout === 'string' ? stdout : '' };
}

/** tslab's executor with its own converter, created in this process (slow: loads TypeScript). */
function localExecute(cwd: string): Execute {
  const { createCellExecutor } = require('../notebook/executor') as typeof import('../notebook/executor');
  const executor = createCellExecutor({ cwd, stayInCwd: true });
  return async (_key, code) => {
    try {
      const r = await executor.execute(code);
      return executed(r);
    } catch (e) {
      return { ok: false, error: errorText(e), stdout: '' };
    }
  };
}

/** Whose cell runs now: instructor cells (setup, tests) are bound to captured references, student cells are not. */
let running: 'none' | 'student' | 'instructor' = 'none';

/** Global names and values as they were before any student code ran (what instructor cells mean by `JSON`, `globalThis`...). */
const GLOBALS = ObjectCreate(null) as Record<string, { v: unknown } | 'live'>;

/** What instructor cells declared, as they declared it (student writes to tslab's exports never change these). */
const instructorBindings = ObjectCreate(null) as Record<string | symbol, unknown>;
/** Modules instructor cells loaded before student code ran, by request (student code can edit require.cache). */
const instructorModules = ObjectCreate(null) as Record<string, unknown>;
let studentRan = false;
let sharedExports: object = ObjectCreate(null);
let sharedRequire: (id: string) => unknown = () => undefined;

/**
 * tslab's `exports` as instructor cells see it. tslab compiles a reference
 * to an earlier cell's declaration as `exports.name`, looked up when it runs,
 * and student cells write the same object: a student's `function test`,
 * `const JSON = …` or `exports.exampleNet = …` would otherwise change what
 * an instructor test cell calls. Here a name an instructor cell declared
 * reads as the instructor cell set it, a standard global's name as the
 * global was before student code ran, and only other names (the student's
 * solutions) from the shared exports. Writes go to both.
 */
const instructorHandler = ObjectCreate(null) as ProxyHandler<object>;
instructorHandler.get = (_t, k) => {
  if (ObjectHasOwn(instructorBindings, k)) return instructorBindings[k];
  if (typeof k === 'string' && ObjectHasOwn(GLOBALS, k)) {
    const g = GLOBALS[k];
    return g === 'live' ? ReflectGet(globalThis, k) : g.v;
  }
  return ReflectGet(sharedExports, k);
};
const bind = (k: string | symbol, v: unknown) => {
  const d = ObjectCreate(null) as PropertyDescriptor;
  d.value = v === libTest ? instructorTest : v;
  d.writable = true;
  d.enumerable = true;
  d.configurable = true;
  ReflectDefineProperty(instructorBindings, k, d);
};
instructorHandler.set = (_t, k, v) => {
  bind(k, v);
  return ReflectSet(sharedExports, k, v);
};
instructorHandler.defineProperty = (_t, k, desc) => {
  if (k === '__esModule') return true;
  // tslab's exports take a getter's value at definition (named imports stay rewritable).
  bind(k, ObjectHasOwn(desc, 'get') && typeof desc.get === 'function' ? ReflectApply(desc.get, undefined, []) : desc.value);
  return ReflectDefineProperty(sharedExports, k, desc);
};
instructorHandler.has = (_t, k) => ObjectHasOwn(instructorBindings, k) || ReflectHas(sharedExports, k);
instructorHandler.deleteProperty = (_t, k) => ReflectDeleteProperty(sharedExports, k);
instructorHandler.ownKeys = () => ReflectOwnKeys(sharedExports);
instructorHandler.getOwnPropertyDescriptor = (_t, k) => {
  const d = ReflectGetOwnPropertyDescriptor(sharedExports, k);
  if (d) d.configurable = true;
  return d;
};
const instructorExports = new ProxyCtor(ObjectCreate(null), instructorHandler);

/**
 * `require` for instructor cells (tslab's, with its `cache` and `resolve`):
 * a module they loaded before student code ran is that same module object,
 * whatever student code did to require.cache since.
 */
let instructorRequire: (id: string) => unknown = () => undefined;
function makeInstructorRequire(shared: (id: string) => unknown): (id: string) => unknown {
  const handler = ObjectCreate(null) as ProxyHandler<(id: string) => unknown>;
  handler.apply = (_t, self, args: unknown[]) => {
    const id = args[0];
    if (typeof id === 'string' && ObjectHasOwn(instructorModules, id)) return instructorView(instructorModules[id]);
    const m = ReflectApply(shared, self, args);
    if (!studentRan && typeof id === 'string') {
      const d = ObjectCreate(null) as PropertyDescriptor;
      d.value = m;
      ReflectDefineProperty(instructorModules, id, d);
    }
    return instructorView(m);
  };
  return new ProxyCtor(shared, handler);
}

/** The library modules that export test() (the package's index and its check module), loaded before student code. */
const TEST_MODULES = new Map<unknown, object>();
const mapGet = Function.prototype.call.bind(Map.prototype.get) as (m: Map<unknown, object>, k: unknown) => object | undefined;

/**
 * A library module as instructor cells get it: its own exports, but `test`
 * is instructorTest. (A view on a target of its own: the module is frozen,
 * and a proxy of it could not answer `test` differently.)
 */
function makeTestModuleView(real: object): object {
  const h = ObjectCreate(null) as ProxyHandler<object>;
  const get = (k: string | symbol) => (k === 'test' ? instructorTest : ReflectGet(real, k));
  h.get = (_t, k) => get(k);
  h.has = (_t, k) => ReflectHas(real, k);
  h.ownKeys = () => ReflectOwnKeys(real);
  h.getOwnPropertyDescriptor = (_t, k) => {
    const d = ReflectGetOwnPropertyDescriptor(real, k);
    if (!d) return undefined;
    const v = ObjectCreate(null) as PropertyDescriptor;
    v.value = get(k);
    v.enumerable = d.enumerable;
    v.writable = false;
    v.configurable = true;
    return v;
  };
  h.set = () => false;
  h.defineProperty = () => false;
  h.deleteProperty = () => false;
  return new ProxyCtor(ObjectCreate(null), h);
}

function instructorView(m: unknown): unknown {
  return mapGet(TEST_MODULES, m) ?? m;
}

/** Load the library before any cell (its modules are then hardened, see lockDown) and prepare the instructor views. */
function prepareTestModules(): void {
  for (const id of ['@course-kit/lib', '@course-kit/lib/dist/check']) {
    const m = require(id) as object;
    TEST_MODULES.set(m, makeTestModuleView(m));
  }
}

const TSLAB_PUBLISH = '(x) => {globalThis.__tslab__ = x; }';
const TSLAB_PREFIXES = ['(function(exports, require) { ', '(async function(exports, require) { '];
const TSLAB_SUFFIX = '\n})(__tslab__.exports, __tslab__.require)';

/**
 * Bind cells to references captured now. tslab's executor publishes its
 * `exports`/`require` as globalThis.__tslab__ and runs each cell as
 * `(function(exports, require) { … })(__tslab__.exports, __tslab__.require)`
 * through vm.runInThisContext — a global lookup at every cell that student
 * code could redirect. The worker's runInThisContext (installed before the
 * executor exists, then frozen with the vm module) keeps what tslab
 * published, evaluates the function and calls it with captured arguments:
 * tslab's own objects for student cells, instructorExports/instructorRequire
 * for instructor cells. It runs nothing else.
 */
function bindCells(): void {
  const globalNames = ObjectGetOwnPropertyNames(globalThis);
  for (let i = 0; i < globalNames.length; i++) {
    const k = globalNames[i];
    const d = ObjectGetOwnPropertyDescriptor(globalThis, k)!;
    GLOBALS[k] = ObjectHasOwn(d, 'value') && k !== 'console' ? { v: d.value } : 'live';
  }
  GLOBALS.globalThis = { v: globalThis };
  const vm = require('vm') as typeof import('vm');
  const runInThisContext = vm.runInThisContext;
  let published = false;
  const runCell = function (code: unknown, options?: unknown): unknown {
    if (code === TSLAB_PUBLISH) {
      // Once: the worker's one executor. (A second executor made by student code from tslab's module gets nothing.)
      if (published) throw new ErrorCtor('the grading sandbox runs one tslab executor');
      published = true;
      return (x: { exports: object; require: (id: string) => unknown }) => {
        sharedExports = x.exports;
        sharedRequire = x.require;
        instructorRequire = makeInstructorRequire(x.require);
        (globalThis as Record<string, unknown>).__tslab__ = x;
      };
    }
    if (typeof code !== 'string' || !endsWith(code, TSLAB_SUFFIX) || !(startsWith(code, TSLAB_PREFIXES[0]) || startsWith(code, TSLAB_PREFIXES[1]))) {
      throw new ErrorCtor('the grading sandbox runs only tslab cells');
    }
    const fn = ReflectApply(runInThisContext, vm, [sliceOf(code, 0, code.length - TSLAB_SUFFIX.length) + '\n})', options]) as (...a: unknown[]) => unknown;
    if (running === 'instructor') return ReflectApply(fn, undefined, [instructorExports, instructorRequire]);
    studentRan = true;
    return ReflectApply(fn, undefined, [sharedExports, sharedRequire]);
  };
  ObjectDefineProperty(vm, 'runInThisContext', { value: runCell, writable: false, configurable: false });
  ObjectFreeze(vm);
}

async function runCells(start: SandboxStart): Promise<void> {
  const t0 = perfNow();
  const { cells, cwd } = start;
  const groups: (MergedGroup | undefined)[] = [];
  for (const g of start.groups) groups[g.first] = g;
  removeNetworkGlobals();
  prepareTestModules();
  bindCells();
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
  // Packages the cells may use that cannot load into a frozen realm load first (realm.ts, PRELOADABLE).
  realm.lockdownIntrinsics(realm.preloadFor(msg.cells.map((c) => c.code)));
  runCells(msg).catch((e) => {
    try {
      send('fatal', '"error":' + str(errorText(e)));
    } catch {
      // The parent treats a missing "done" as a crash.
    }
  });
});
