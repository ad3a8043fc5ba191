/**
 * Homework tests inside notebooks: `test` declares one test (a function that
 * produces a value from the student's code), `check('q1')` runs the visible
 * tests of question q1 and prints pass/fail per test.
 *
 * While grading, the autograder's sandbox installs a grader with
 * `installGrader` before any student code runs: `test` then hands the value
 * producer to the grader, which reports the produced values to the trusted
 * parent process, where they are compared with the reference values. `check`
 * prints nothing then.
 *
 * `toPlainValue` turns whatever student code returned into plain JSON-able
 * data without ever calling student code (no valueOf, toJSON, getters or
 * Proxy traps): the primitives it needs are captured when this module loads,
 * which the sandbox does before student code runs.
 */

// Captured at load time so later monkeypatching by notebook code has no effect.
const ObjectKeys = Object.keys;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ArrayIsArray = Array.isArray;
const ObjectCreate = Object.create;
const ReflectDefineProperty = Reflect.defineProperty;
const NumberIsNaN = Number.isNaN;
const MathAbs = Math.abs;
const MathMax = Math.max;
const StringCtor = String;
const TypedArrayProto = ObjectGetPrototypeOf(Uint8Array.prototype) as object;
const typedLengthGetter = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'length')!.get!;
const typedTagGetter = ObjectGetOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag)!.get!;
const callBind = Function.prototype.call.bind(Function.prototype.call) as (
  fn: (...a: unknown[]) => unknown,
  self: unknown,
  ...args: unknown[]
) => unknown;
// util.types.isProxy sees through a Proxy without triggering its traps.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const isProxy: (v: unknown) => boolean = require('util').types.isProxy;

/**
 * Plain data: JSON values, plus tagged objects for what JSON cannot carry:
 * `{ $: 'NaN' | 'Infinity' | '-Infinity' | 'undefined' }`, typed arrays as
 * `{ $typed: 'Float64Array', data: [...] }`, objects as `{ $object: {...} }`,
 * and `{ $bad: reason }` for values that cannot be graded (functions, proxies,
 * getters, too large).
 */
export type PlainValue =
  | null
  | boolean
  | number
  | string
  | PlainValue[]
  | { $: 'NaN' | 'Infinity' | '-Infinity' | 'undefined' }
  | { $typed: string; data: PlainValue[] }
  | { $object: Record<string, PlainValue> }
  | { $bad: string };

const MAX_ITEMS = 200_000;
const MAX_DEPTH = 8;
const MAX_STRING = 10_000;

/**
 * Define an own data property without triggering setters that notebook code
 * may have put on Object.prototype or Array.prototype.
 */
function put(target: object, key: string | number, value: unknown): void {
  const d = ObjectCreate(null) as PropertyDescriptor;
  d.value = value;
  d.writable = true;
  d.enumerable = true;
  d.configurable = true;
  ReflectDefineProperty(target, key, d);
}

/** Convert a value to plain data without running any code it carries. */
export function toPlainValue(value: unknown): PlainValue {
  const budget = { items: 0 };
  return plain(value, 0, budget);
}

function plainNumber(n: number): PlainValue {
  if (NumberIsNaN(n)) return { $: 'NaN' };
  if (n === Infinity) return { $: 'Infinity' };
  if (n === -Infinity) return { $: '-Infinity' };
  return n;
}

function plain(value: unknown, depth: number, budget: { items: number }): PlainValue {
  if (++budget.items > MAX_ITEMS) return { $bad: 'value too large' };
  switch (typeof value) {
    case 'number':
      return plainNumber(value);
    case 'boolean':
      return value;
    case 'string':
      return value.length > MAX_STRING ? { $bad: 'string too long' } : value;
    case 'undefined':
      return { $: 'undefined' };
    case 'bigint':
      return { $bad: 'bigint' };
    case 'function':
      return { $bad: 'function' };
    case 'symbol':
      return { $bad: 'symbol' };
  }
  if (value === null) return null;
  if (isProxy(value)) return { $bad: 'Proxy object' };
  if (depth >= MAX_DEPTH) return { $bad: 'value nested too deeply' };
  const obj = value as object;
  let tag: unknown;
  try {
    tag = callBind(typedTagGetter as () => unknown, obj);
  } catch {
    tag = undefined;
  }
  if (typeof tag === 'string') {
    // A real typed array: read its own length and elements (no getters possible).
    const n = callBind(typedLengthGetter as () => unknown, obj) as number;
    if (n > MAX_ITEMS) return { $bad: 'value too large' };
    const data: PlainValue[] = [];
    const view = obj as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) {
      const v = view[i];
      put(data, i, typeof v === 'number' ? plainNumber(v) : { $bad: 'bigint' });
    }
    budget.items += n;
    return { $typed: tag, data };
  }
  if (ArrayIsArray(obj)) {
    const lengthDesc = ObjectGetOwnPropertyDescriptor(obj, 'length');
    const n = lengthDesc && typeof lengthDesc.value === 'number' ? lengthDesc.value : 0;
    if (n > MAX_ITEMS) return { $bad: 'value too large' };
    const out: PlainValue[] = [];
    for (let i = 0; i < n; i++) {
      const d = ObjectGetOwnPropertyDescriptor(obj, StringCtor(i));
      if (d === undefined) put(out, i, { $: 'undefined' });
      else if (d.get || d.set) return { $bad: 'array element with a getter' };
      else put(out, i, plain(d.value, depth + 1, budget));
    }
    return out;
  }
  // Other objects (class instances included) compare by their own data
  // fields; a Date or Map has none and never equals a number or an array.
  const fields = ObjectCreate(null) as Record<string, PlainValue>;
  const keys = ObjectKeys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const d = ObjectGetOwnPropertyDescriptor(obj, k);
    if (!d) continue;
    if (d.get || d.set) return { $bad: `field ${k} is a getter` };
    put(fields, k, plain(d.value, depth + 1, budget));
  }
  return { $object: fields };
}

export interface CompareOptions {
  /** Absolute tolerance for numbers (default 1e-6). */
  tol?: number;
  /** Relative tolerance for numbers (default 1e-6). */
  rtol?: number;
}

/** The result of comparing a produced value with the expected one. */
export interface Comparison {
  equal: boolean;
  /** Where and how they differ, e.g. "at [1][0]: expected 0.25, got 0.3". */
  message: string;
}

function describe(v: PlainValue): string {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? `"${v.slice(0, 60)}"` : StringCtor(v);
  if (ArrayIsArray(v)) return `an array of length ${v.length}`;
  if ('$' in v) return v.$;
  if ('$typed' in v) return `a ${v.$typed} of length ${v.data.length}`;
  if ('$bad' in v) return `an ungradable value (${v.$bad})`;
  return `an object with fields {${ObjectKeys(v.$object).join(', ')}}`;
}

/** Numeric sequences (arrays and typed arrays) compare by their elements. */
function asSequence(v: PlainValue): PlainValue[] | undefined {
  if (ArrayIsArray(v)) return v;
  if (v !== null && typeof v === 'object' && '$typed' in v) return v.data;
  return undefined;
}

/** Compare plain values: numbers within tol + rtol·|expected|, everything else exactly. */
export function comparePlain(actual: PlainValue, expected: PlainValue, options: CompareOptions = {}): Comparison {
  const tol = options.tol ?? 1e-6;
  const rtol = options.rtol ?? 1e-6;
  const diff = (a: PlainValue, e: PlainValue, at: string): string | undefined => {
    if (a !== null && typeof a === 'object' && '$bad' in a) return `${at || 'value'}: ${a.$bad}`;
    if (typeof e === 'number') {
      if (typeof a !== 'number') return `${at || 'value'}: expected ${e}, got ${describe(a)}`;
      return MathAbs(a - e) <= tol + rtol * MathAbs(e) ? undefined : `${at || 'value'}: expected ${e}, got ${a}`;
    }
    const es = asSequence(e);
    if (es) {
      const as = asSequence(a);
      if (!as) return `${at || 'value'}: expected an array of length ${es.length}, got ${describe(a)}`;
      if (as.length !== es.length) return `${at || 'value'}: expected length ${es.length}, got length ${as.length}`;
      for (let i = 0; i < es.length; i++) {
        const d = diff(as[i], es[i], `${at}[${i}]`);
        if (d) return d;
      }
      return undefined;
    }
    if (e !== null && typeof e === 'object' && '$object' in e) {
      if (a === null || typeof a !== 'object' || !('$object' in a)) return `${at || 'value'}: expected ${describe(e)}, got ${describe(a)}`;
      for (const k of ObjectKeys(e.$object)) {
        if (!(k in a.$object)) return `${at || 'value'}: missing field ${k}`;
        const d = diff(a.$object[k], e.$object[k], `${at}.${k}`);
        if (d) return d;
      }
      return undefined;
    }
    if (e !== null && typeof e === 'object' && '$' in e) {
      return a !== null && typeof a === 'object' && '$' in a && a.$ === e.$ ? undefined : `${at || 'value'}: expected ${e.$}, got ${describe(a)}`;
    }
    return a === e ? undefined : `${at || 'value'}: expected ${describe(e)}, got ${describe(a)}`;
  };
  const message = diff(actual, expected, '');
  return { equal: message === undefined, message: message ?? 'ok' };
}

/** Options of one test. */
export interface TestOptions extends CompareOptions {
  /** The expected value, shown to students (visible tests only; hidden tests get theirs from the reference solution). */
  expect?: unknown;
  /** Points of this test; by default the test cell's points are split equally. */
  points?: number;
}

/** What the grader receives for each declared test. */
export type Grader = (id: string, description: string, produce: () => unknown, options: TestOptions) => void;

let grader: Grader | undefined;

/** Called once by the autograder's sandbox before student code runs; later calls throw. */
export function installGrader(g: Grader): void {
  if (grader) throw new Error('installGrader: a grader is already installed');
  grader = g;
}

interface Declared {
  id: string;
  description: string;
  produce: () => unknown;
  options: TestOptions;
}

const declared = new Map<string, Map<string, Declared>>();
const hiddenCounts = new Map<string, number>();

function questionOf(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

/**
 * Declare a test: `produce` computes a value with the student's code; it is
 * compared with `options.expect` by `check`, and with the reference
 * solution's value at grading. Ids are `<question>.<name>`, e.g. 'q1.a'.
 */
export function test(id: string, description: string, produce: () => unknown, options: TestOptions = {}): void {
  if (grader) {
    grader(id, description, produce, options);
    return;
  }
  const q = questionOf(id);
  if (!declared.has(q)) declared.set(q, new Map());
  declared.get(q)!.set(id, { id, description, produce, options });
}

/** Record that `count` hidden tests of `question` run at grading (written by `release`). */
export function hiddenTests(question: string, count: number): void {
  if (grader) return;
  hiddenCounts.set(question, count);
}

/** Run one test the way `check` does: pass/fail and a message. */
export function runTest(t: { produce: () => unknown; options: TestOptions }): Comparison {
  let value: unknown;
  try {
    value = t.produce();
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : `threw ${StringCtor(e)}`;
    return { equal: false, message: msg };
  }
  if (!('expect' in t.options)) return { equal: true, message: 'ran without error (value checked at grading)' };
  return comparePlain(toPlainValue(value), toPlainValue(t.options.expect), t.options);
}

/**
 * Run the visible tests of a question and print one line per test and a
 * summary. Never claims that all tests passed when hidden tests exist.
 *
 * Returns nothing on purpose: a notebook shows the value of a cell's last
 * expression, so a boolean result would print a stray `true`/`false` line
 * under the test report. Code that needs the verdict calls `runCheck`.
 */
export function check(question: string): void {
  runCheck(question);
}

/** What `check` does, returning true when every visible test passed (false when none are declared). */
export function runCheck(question: string): boolean {
  if (grader) return true;
  const tests = declared.get(question);
  const hidden = hiddenCounts.get(question) ?? 0;
  if (!tests || tests.size === 0) {
    console.log(`${question}: no visible tests declared (run the test cell first)`);
    return false;
  }
  let passed = 0;
  for (const t of tests.values()) {
    const r = runTest(t);
    if (r.equal) passed++;
    console.log(`${r.equal ? 'PASS' : 'FAIL'} ${t.id} ${t.description}${r.equal ? '' : ` — ${r.message}`}`);
  }
  const total = tests.size;
  const hiddenNote = hidden > 0 ? `; ${hidden} hidden test${hidden === 1 ? '' : 's'} will be run at grading` : '';
  if (passed === total) {
    console.log(hidden > 0 ? `${question}: visible tests passed (${passed}/${total})${hiddenNote}.` : `${question}: all ${total} tests passed.`);
  } else {
    console.log(`${question}: ${passed}/${total} visible tests passed${hiddenNote}.`);
  }
  return passed === total;
}

/** Assert helper for notebook cells: throws when |actual − expected| > tol. */
export function expectClose(actual: number, expected: number, tol = 1e-6): void {
  if (!(MathAbs(actual - expected) <= tol * MathMax(1, MathAbs(expected)))) {
    throw new Error(`expected ${expected} (±${tol}), got ${actual}`);
  }
}
