/**
 * The sandbox's realm, hardened before student code runs.
 *
 * Student cells, instructor test cells, the course library and the harness
 * share one V8 realm (a second `vm` realm would make library results fail
 * `instanceof Float64Array` in student code). So nothing in that realm that
 * code other than the student's relies on may stay writable:
 * - every intrinsic (Object, Array, Function, Promise, the typed arrays, their
 *   prototypes, iterator prototypes …) is frozen by SES `lockdown()` (the
 *   Endo project's hardened JavaScript, https://github.com/endojs/endo):
 *   `Array.prototype.toJSON`, `Object.prototype.then` or a patched
 *   `Array.prototype.every` cannot be installed, so an instructor's
 *   `JSON.stringify(a) === before` or `before.every(…)` means what it says;
 *   user `Error.prepareStackTrace` functions get call sites without
 *   `getThis`/`getFunction`, so no frame's receiver or function leaks;
 * - the global object's bindings that exist before student code (`JSON`,
 *   `Math`, `Float64Array`, `process` …) cannot be reassigned or deleted
 *   (student code may still add globals of its own);
 * - the course library's modules are hardened (their exports, classes and
 *   prototypes frozen), and the Node built-ins it reads files with (`fs`,
 *   `path`) cannot have their functions replaced.
 * Student code keeps everything else: its own objects, classes and values.
 */
import 'ses';
import { dirname } from 'path';

/** The SES options: freeze and tame, but keep Node's own error, console and locale behaviour (what students see). */
const LOCKDOWN_OPTIONS = {
  errorTaming: 'unsafe', // keep `error.stack` text for tslab's error output; user prepareStackTrace still gets attenuated call sites
  stackFiltering: 'verbose',
  consoleTaming: 'unsafe',
  localeTaming: 'unsafe', // `localeCompare` and `toLocaleString` behave as without the sandbox
  // `o.toString = …` still works; 'moderate' would make Error.prototype.constructor an accessor, which
  // util.inspect cannot follow (errors print as {}). See PRELOADABLE for packages that need more.
  overrideTaming: 'min',
  domainTaming: 'unsafe',
  errorTrapping: 'none', // Node's own handling of uncaught errors and rejections
  unhandledRejectionTrapping: 'none',
  reporting: 'none',
} as const;

/**
 * Packages that assign to properties their objects inherit from built-in
 * prototypes as they load (`exports.hasOwnProperty = …`,
 * `Unit.prototype.constructor = Unit`): once the prototypes are frozen those
 * assignments throw (JavaScript's "override mistake"; SES lets only a few be
 * overridden, and more would break Node's printing of errors). mathjs, which
 * the course library's symbolic and interop functions load, is one; loading it
 * takes most of a second, so a sandbox loads it before the lockdown only when
 * its cells may use it (`preloadFor`).
 */
export const PRELOADABLE: Readonly<Record<string, RegExp>> = {
  mathjs: /\b(?:mathjs|toMathjs|fromMathjs|derive|substitute|derivation|unitDerivations|lossDerivations)\b/,
};

/** The PRELOADABLE packages some of `codes` may use (a name appears in the code; a false positive only costs time). */
export function preloadFor(codes: readonly string[]): string[] {
  return Object.keys(PRELOADABLE).filter((pkg) => codes.some((c) => PRELOADABLE[pkg].test(c)));
}

/** Load `packages` as the course library resolves them (one that is not installed is skipped). */
function preload(packages: readonly string[]): void {
  const from = [dirname(require.resolve('@course-kit/lib/package.json'))];
  for (const pkg of packages) {
    let file: string;
    try {
      file = require.resolve(pkg, { paths: from });
    } catch {
      continue;
    }
    require(file);
  }
}

/** Freeze every intrinsic of this realm, after loading `packages` (see PRELOADABLE); once per process, a second call is a no-op. */
export function lockdownIntrinsics(packages: readonly string[] = []): void {
  if (Object.isFrozen(Array.prototype)) return;
  preload(packages);
  lockdown(LOCKDOWN_OPTIONS);
  Error.prepareStackTrace = v8StackText;
}

/**
 * Stack text as V8 writes it ("TypeError: …" and a "    at …" line per
 * frame; SES's own indents by two spaces, which Node's inspector then shows
 * as a stack-less error in brackets). It sees SES's attenuated call sites
 * only, like any prepareStackTrace set after lockdown.
 */
function v8StackText(error: unknown, sites: readonly unknown[]): string {
  let text: string;
  try {
    text = String(error);
  } catch {
    text = 'Error';
  }
  for (const site of sites) text += '\n    at ' + String(site);
  return text;
}

/**
 * Make every global binding that exists now non-writable and
 * non-configurable (accessors keep their getter and setter), but for the
 * names in `except`. New globals can still be added: the global object stays
 * extensible.
 */
export function freezeGlobalBindings(except: readonly string[] = []): void {
  for (const key of Reflect.ownKeys(globalThis)) {
    if (typeof key === 'string' && except.includes(key)) continue;
    const d = Reflect.getOwnPropertyDescriptor(globalThis, key);
    if (!d || !d.configurable) continue;
    const fixed: PropertyDescriptor = Object.create(null);
    fixed.configurable = false;
    if (Object.hasOwn(d, 'value')) fixed.writable = false;
    Reflect.defineProperty(globalThis, key, fixed);
  }
}

/** Modules already hardened, by file name. */
const hardened = new Set<string>();

/**
 * Harden the exports of every module that has finished loading and whose
 * file lies under one of `dirs` (the course library): its functions,
 * classes, prototypes and constants become immutable, and its entry in the
 * module cache can be neither replaced nor deleted. A module still loading
 * (a cycle) is left until it has finished. Returns how many were hardened now.
 */
export function hardenLoadedModules(cache: Record<string, { exports?: unknown; loaded?: boolean } | undefined>, dirs: readonly string[]): number {
  let n = 0;
  for (const filename of Object.keys(cache)) {
    if (hardened.has(filename) || !dirs.some((d) => filename.startsWith(d))) continue;
    // Student code can add entries to the cache too: only data entries, read without running a getter.
    const entry = Reflect.getOwnPropertyDescriptor(cache, filename);
    const m = entry && Object.hasOwn(entry, 'value') ? (entry.value as { exports?: unknown; loaded?: boolean } | undefined) : undefined;
    if (!m || typeof m !== 'object') continue;
    try {
      if (m.loaded !== true) continue;
      hardened.add(filename);
      if ((typeof m.exports === 'object' && m.exports !== null) || typeof m.exports === 'function') harden(m.exports);
      // The module record and its cache entry stay what they are: a later `require` of the same file (by any
      // specifier) gets these exports, not ones student code put there. (Shallow: Node still appends to `children`.)
      Object.freeze(m);
      Reflect.defineProperty(cache, filename, { writable: false, configurable: false });
      n++;
    } catch {
      // An entry that cannot be hardened (a Proxy planted by student code) is the student's own; the others still are.
      hardened.add(filename);
    }
  }
  return n;
}
