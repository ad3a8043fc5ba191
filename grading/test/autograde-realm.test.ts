/**
 * realm.ts: the sandbox's realm after lockdown. Each check runs in a child
 * process (a lockdown is for the whole process, and this one runs vitest).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runInSandbox } from '../src/autograde/sandbox';
import { ROOT, ensureBuilt } from './autograde-helpers';

const REALM = join(ROOT, 'grading', 'dist', 'autograde', 'realm.js');

const scripts = mkdtempSync(join(tmpdir(), 'ck-realm-scripts-'));
let scriptCount = 0;

/**
 * Run `body` (a function body returning JSON-able data) in a fresh Node
 * process after `require(realm)`. From a file, as the sandbox worker is
 * (`node -e` itself writes the global `module` after the script).
 */
function inChild(body: string): unknown {
  const file = join(scripts, `check-${++scriptCount}.js`);
  writeFileSync(file, `const realm = require(${JSON.stringify(REALM)});\nconst out = (() => {\n${body}\n})();\nprocess.stdout.write(JSON.stringify(out));\n`);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: join(ROOT, 'grading'), encoding: 'utf8' }));
}

/** What `attempt` does: 'ok' or the error's constructor name. */
const TRY = 'const attempt = (f) => { try { f(); return "ok"; } catch (e) { return e.constructor.name; } };';

beforeAll(() => ensureBuilt());

describe('lockdownIntrinsics', () => {
  it('freezes built-in prototypes and statics, so no patch reaches code other than the student’s', () => {
    const r = inChild(`${TRY}
      const before = { localeCompare: 'a'.localeCompare('B'), locale: (1234.5).toLocaleString() };
      realm.lockdownIntrinsics();
      realm.lockdownIntrinsics(); // a second call is a no-op
      return {
        toJSON: attempt(() => Object.defineProperty(Array.prototype, 'toJSON', { value: () => 'same' })),
        every: attempt(() => { 'use strict'; Array.prototype.every = () => true; }),
        then: attempt(() => Object.defineProperty(Object.prototype, 'then', { get() { return undefined; } })),
        promise: attempt(() => { 'use strict'; Promise.prototype.then = () => undefined; }),
        typed: attempt(() => { 'use strict'; Uint8Array.prototype.subarray = () => null; }),
        mathStatic: attempt(() => { 'use strict'; Math.abs = () => 0; }),
        still: [[1, 2, 3].every((v) => v > 0), JSON.stringify([1, 2]), typeof Date.now(), Math.random() < 1],
        override: (() => { const o = { a: 1 }; o.toString = () => 'mine'; return String(o); })(),
        classes: (() => { class V extends Array {} const v = V.from([1, 2]); return v.length; })(),
        locale: 'a'.localeCompare('B') === before.localeCompare && (1234.5).toLocaleString() === before.locale,
      };`);
    expect(r).toEqual({
      toJSON: 'TypeError', every: 'TypeError', then: 'TypeError', promise: 'TypeError', typed: 'TypeError', mathStatic: 'TypeError',
      still: [true, '[1,2]', 'number', true], override: 'mine', classes: 2, locale: true,
    });
  });

  it('keeps error text as Node shows it without the lockdown (what cell errors in feedback are made of)', () => {
    const r = inChild(`
      realm.lockdownIntrinsics();
      const util = require('util');
      class Mine extends Error {}
      let thrown;
      try { null.x; } catch (e) { thrown = e; }
      return [util.inspect(thrown).split('\\n').slice(0, 2), util.inspect(new Mine('m')).split('\\n')[0], String(new RangeError('r'))];`) as [string[], string, string];
    expect(r[0][0]).toMatch(/^TypeError: Cannot read properties of null \(reading 'x'\)$/);
    expect(r[0][1]).toMatch(/^ {4}at /);
    expect(r[1]).toBe('Mine [Error]: m');
    expect(r[2]).toBe('RangeError: r');
  });

  it('gives a user Error.prepareStackTrace call sites without getThis and getFunction', () => {
    const r = inChild(`
      realm.lockdownIntrinsics();
      let seen = null;
      Error.prepareStackTrace = (_e, sites) => { seen = sites.map((s) => [typeof s.getThis, typeof s.getFunction, typeof s.getFileName]); return 'x'; };
      const holder = { secret: 'n0nce', read() { return new Error('probe').stack; } };
      const stack = holder.read();
      return { stack, first: seen && seen[0] };`);
    expect(r).toEqual({ stack: 'x', first: ['undefined', 'undefined', 'function'] });
  });
});

describe('freezeGlobalBindings', () => {
  it('pins the bindings that exist, except the named ones, and still lets code add globals', () => {
    const r = inChild(`${TRY}
      realm.lockdownIntrinsics();
      globalThis.early = 1;
      realm.freezeGlobalBindings(['console']);
      return {
        json: attempt(() => { 'use strict'; globalThis.JSON = {}; }),
        deleteMath: attempt(() => { 'use strict'; delete globalThis.Math; }),
        early: attempt(() => { 'use strict'; globalThis.early = 2; }),
        redefine: attempt(() => Object.defineProperty(globalThis, 'Float64Array', { value: Array })),
        console: attempt(() => { 'use strict'; globalThis.console = globalThis.console; }),
        added: attempt(() => { 'use strict'; globalThis.mine = 3; }),
        values: [typeof JSON.stringify, globalThis.early, globalThis.mine],
      };`);
    expect(r).toEqual({ json: 'TypeError', deleteMath: 'TypeError', early: 'TypeError', redefine: 'TypeError', console: 'ok', added: 'ok', values: ['function', 1, 3] });
  });
});

describe('hardenLoadedModules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-realm-'));
  beforeAll(() => {
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'a.js'), "exports.f = () => 1; exports.table = { k: [1, 2] }; exports.C = class { m() { return 'm'; } };\n");
    writeFileSync(join(dir, 'other.js'), 'exports.g = () => 2;\n');
  });

  it('hardens loaded library modules (exports, classes, prototypes, cache entries) and nothing else', () => {
    const r = inChild(`${TRY}
      realm.lockdownIntrinsics();
      const libDir = ${JSON.stringify(join(dir, 'lib') + '/')};
      const a = require(libDir + 'a.js');
      const other = require(${JSON.stringify(join(dir, 'other.js'))});
      const file = require.resolve(libDir + 'a.js');
      const first = realm.hardenLoadedModules(require.cache, [libDir]);
      const again = realm.hardenLoadedModules(require.cache, [libDir]);
      return {
        counts: [first, again],
        f: attempt(() => { 'use strict'; a.f = () => 0; }),
        table: attempt(() => { 'use strict'; a.table.k.push(3); }),
        method: attempt(() => { 'use strict'; a.C.prototype.m = () => 'x'; }),
        entry: attempt(() => { 'use strict'; require.cache[file] = { exports: {} }; }),
        deleteEntry: attempt(() => { 'use strict'; delete require.cache[file]; }),
        moduleExports: attempt(() => { 'use strict'; require.cache[file].exports = {}; }),
        other: attempt(() => { 'use strict'; other.g = () => 0; }),
        values: [a.f(), new a.C().m(), require(libDir + 'a.js') === a],
      };`);
    expect(r).toEqual({
      counts: [1, 0], f: 'TypeError', table: 'TypeError', method: 'TypeError', entry: 'TypeError', deleteEntry: 'TypeError',
      moduleExports: 'TypeError', other: 'ok', values: [1, 'm', true],
    });
  });

  it('still hardens the library when student code has planted entries in the module cache that cannot be hardened', () => {
    writeFileSync(join(dir, 'lib', 'b.js'), 'exports.g = () => 2;\n');
    const r = inChild(`
      realm.lockdownIntrinsics();
      const libDir = ${JSON.stringify(join(dir, 'lib') + '/')};
      const trap = () => { throw new Error('trap'); };
      require.cache[libDir + 'proxy.js'] = new Proxy({}, { get: trap });
      require.cache[libDir + 'exports.js'] = { loaded: true, exports: new Proxy({}, { ownKeys: trap, getPrototypeOf: trap, isExtensible: trap, preventExtensions: trap }) };
      Object.defineProperty(require.cache, libDir + 'getter.js', { get: trap, enumerable: true, configurable: true });
      const b = require(libDir + 'b.js');
      const n = realm.hardenLoadedModules(require.cache, [libDir]);
      return { n, frozen: Object.isFrozen(b), again: realm.hardenLoadedModules(require.cache, [libDir]) };`);
    expect(r).toEqual({ n: 1, frozen: true, again: 0 });
  });

  it('leaves a module that is still loading (a require cycle) until it has loaded', () => {
    writeFileSync(join(dir, 'lib', 'cycle-a.js'), "exports.early = 1;\nrequire('./cycle-b');\nexports.late = 2;\n");
    writeFileSync(join(dir, 'lib', 'cycle-b.js'), `exports.seen = require(${JSON.stringify(REALM)}).hardenLoadedModules(require.cache, [__dirname + '/']);\n`);
    const r = inChild(`
      realm.lockdownIntrinsics();
      const a = require(${JSON.stringify(join(dir, 'lib', 'cycle-a.js'))});
      const after = realm.hardenLoadedModules(require.cache, [${JSON.stringify(join(dir, 'lib') + '/')}]);
      return { late: a.late, frozen: Object.isFrozen(a), after };`);
    // While cycle-b ran, cycle-a was still loading (and cycle-b itself too): neither was hardened then.
    expect(r).toEqual({ late: 2, frozen: true, after: 2 });
  });
});

describe('the course library in the hardened realm', () => {
  const LIB_DIST = join(ROOT, 'lib', 'dist') + '/';
  const smoke = (preload: string[]) => inChild(`
    realm.lockdownIntrinsics(${JSON.stringify(preload)});
    const lib = require(${JSON.stringify(join(ROOT, 'lib', 'dist', 'index.js'))});
    realm.hardenLoadedModules(require.cache, [${JSON.stringify(LIB_DIST)}]);
    const out = {};
    try { out.derive = lib.derive('x^3 + 2*x', 'x').evaluate({ x: 2 }); } catch (e) { out.derive = e.constructor.name + ': ' + e.message.split('\\n')[0]; }
    const net = lib.createNetwork({ inputs: [1, 6, 6], layers: [{ type: 'conv2d', maps: 2, kernel: 3, padding: 1, unit: 'tanh' },
      { type: 'maxpool', window: 2 }, { type: 'flatten' }, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 5 });
    const row = (f) => Array.from({ length: 36 }, (_, i) => f(i));
    const r = lib.gradientCheck(net, lib.fromRows([row(Math.sin), row(Math.cos)]), lib.fromRows([[1, 0, 0], [0, 0, 1]]));
    out.gradientCheck = r.maxRelativeError < 1e-6;
    out.lenet = lib.lenet5({ seed: 1 }).paramCount;
    return out;`) as { derive: unknown; gradientCheck: boolean; lenet: number };

  it('works there: networks, LeNet, gradient checks, and mathjs when it was loaded before the lockdown', () => {
    expect(smoke(['mathjs'])).toEqual({ derive: 14, gradientCheck: true, lenet: 61706 });
  });

  it('cannot load mathjs after the lockdown (why a sandbox whose cells may use it preloads it)', () => {
    const r = smoke([]);
    expect(r).toMatchObject({ gradientCheck: true, lenet: 61706 });
    expect(r.derive).toMatch(/^TypeError: Cannot assign to read only property/);
  });

  it('preloads mathjs for exactly the cells that may use it', async () => {
    const { preloadFor } = await import('../src/autograde/realm');
    expect(preloadFor(["const d = derive('1/(1+exp(-x))', 'x');"])).toEqual(['mathjs']);
    expect(preloadFor(['function f() {}', "import { toMathjs } from '@course-kit/lib';"])).toEqual(['mathjs']);
    expect(preloadFor(['function derivative(y: number) { return y * (1 - y); }', 'const derived = 2;'])).toEqual([]);
  });
});


describe('a sandbox whose cells use mathjs', () => {
  it('loads it before the lockdown, so the library’s symbolic functions work in a student cell', async () => {
    const work = join(ROOT, 'build', '.sandbox', 'realm-mathjs-test');
    const run = await runInSandbox([
      { id: 'setup', kind: 'setup', code: "import { derive } from '@course-kit/lib';" },
      { id: 'q1', kind: 'solution', code: "const slope = derive('x^3 + 2*x', 'x').evaluate({ x: 2 });\nrequire('fs').writeSync(1, String(slope));" },
    ], work);
    expect(run.status, run.cause).toBe('ok');
    expect(run.cells.map((c) => [c.ok, c.error])).toEqual([[true, ''], [true, '']]);
    expect(readFileSync(join(work, 'sandbox.stdout.txt'), 'utf8')).toBe('14');
  }, 60_000);
});
