/**
 * Entry of the sandbox's V8 startup snapshot (`node --build-snapshot`).
 *
 * Creating tslab's TypeScript converter costs about two seconds of CPU per
 * process (compiling typescript.js, parsing lib.es*.d.ts, @types/node and the
 * course library's declarations). The parent builds this snapshot once, with
 * the converter created for the shared sandbox home folder and warmed with an
 * import of `@course-kit/lib`; every sandbox then starts from that heap
 * (`node --snapshot-blob`) and only runs the cells. No student code and no
 * grading data is ever in the snapshot: only compiler state.
 *
 * Usage (sandbox.ts does this):
 *   node --snapshot-blob <blob> --build-snapshot sandbox-snapshot.js <home> <reads.json>
 *
 * Node refuses to deserialize a snapshot in which its own CommonJS loader has
 * run user code, so this file loads the few modules it needs itself (read,
 * wrap, compile, register in Module._cache). After deserialization the
 * worker is loaded with Node's loader and finds them in the cache.
 * Only built-in modules can be required at the top level here, and `exports`
 * does not exist: this file is a script, not a module.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const NodeModule = require('module') as {
  new (id: string, parent?: NodeJS.Module): NodeJS.Module;
  _cache: Record<string, NodeJS.Module>;
  _resolveFilename(request: string, parent: NodeJS.Module): string;
  _nodeModulePaths(dir: string): string[];
  wrap(source: string): string;
  isBuiltin(id: string): boolean;
  createRequire(filename: string): NodeJS.Require;
};
const fsMod = require('fs') as typeof import('fs');
const pathMod = require('path') as typeof import('path');
const vmMod = require('vm') as typeof import('vm');
const v8Mod = require('v8') as typeof import('v8');

/** Type-checked (never run) while building, so the course library's declarations are parsed ahead. */
const SNAPSHOT_WARM_UP = 'import { test, check } from "@course-kit/lib";';

let deserialized = false;

function makeRequire(m: NodeJS.Module): NodeJS.Require {
  const req = ((id: string) => {
    // After deserialization the ordinary loader works (and caches per module).
    if (deserialized) return NodeModule.createRequire(m.filename)(id);
    if (NodeModule.isBuiltin(id)) return require(id);
    return loadFile(NodeModule._resolveFilename(id, m), m);
  }) as NodeJS.Require;
  req.resolve = ((id: string) => NodeModule._resolveFilename(id, m)) as NodeJS.RequireResolve;
  req.cache = NodeModule._cache;
  return req;
}

/**
 * The module text with characters beyond Latin-1 written as \uXXXX escapes.
 * V8 keeps a script's source for lazy compilation, and one such character
 * makes it a two-byte string: typescript.js (8 MB, four typographic quotes
 * and arrows, all in comments) would take 16 MB of every snapshot and of
 * every sandbox's heap. An escape means the same character in comments,
 * string and template literals and regular expressions (only a template's
 * raw text and Function.prototype.toString would differ); a character right
 * after a backslash would change meaning, so such a file is left as it is.
 */
function oneByteSource(text: string): string {
  if (!/[^\u0000-\u00ff]/.test(text) || /\\[^\u0000-\u00ff]/.test(text)) return text;
  const escaped = text.replace(/[^\u0000-\u00ff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  // replace() keeps the two-byte representation; a Latin-1 round trip makes a one-byte string.
  return Buffer.from(escaped, 'latin1').toString('latin1');
}

/** Load one CommonJS file like Node's loader, registering it in Module._cache. */
function loadFile(filename: string, parent?: NodeJS.Module): unknown {
  const cached = NodeModule._cache[filename];
  if (cached) return cached.exports;
  const m = new NodeModule(filename, parent);
  m.filename = filename;
  m.paths = NodeModule._nodeModulePaths(pathMod.dirname(filename));
  NodeModule._cache[filename] = m;
  const text = fsMod.readFileSync(filename, 'utf8');
  if (filename.endsWith('.json')) {
    m.exports = JSON.parse(text);
  } else {
    const source = oneByteSource(text.startsWith('#!') ? '//' + text.slice(2) : text);
    const fn = vmMod.runInThisContext(NodeModule.wrap(source), { filename }) as (...a: unknown[]) => void;
    fn.call(m.exports, m.exports, makeRequire(m), m, filename, pathMod.dirname(filename));
  }
  m.loaded = true;
  return m.exports;
}

function main(): void {
  const [, , home, readsPath, gradingDist] = process.argv;
  if (!home || !readsPath || !gradingDist) throw new Error('usage: sandbox-snapshot.js <home> <reads.json> <grading dist>');
  const executorPath = pathMod.join(gradingDist, 'notebook', 'executor.js');
  const workerPath = pathMod.join(gradingDist, 'autograde', 'sandbox-worker.js');
  const executor = loadFile(executorPath) as typeof import('../notebook/executor');
  executor.preloadTslab();
  const ts = loadFile(NodeModule._resolveFilename('@tslab/typescript-for-tslab', NodeModule._cache[executorPath])) as typeof import('@tslab/typescript-for-tslab');

  // Record every file the compiler reads: the snapshot is stale when one changes.
  const reads = new Set<string>();
  const readFile = ts.sys.readFile;
  ts.sys.readFile = (p: string, encoding?: string) => {
    reads.add(p);
    return readFile(p, encoding);
  };
  executor.prepareConverter(home, { warmUp: SNAPSHOT_WARM_UP, watch: false });
  ts.sys.readFile = readFile;
  // The code in the snapshot (TypeScript, tslab, the executor) counts too.
  for (const p of Object.keys(NodeModule._cache)) reads.add(p);
  const files = [...reads].sort().map((p) => {
    try {
      const st = fsMod.statSync(p);
      return { path: p, size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      return { path: p, size: -1, mtimeMs: -1 };
    }
  });
  fsMod.writeFileSync(readsPath, JSON.stringify(files));

  v8Mod.startupSnapshot.setDeserializeMainFunction(() => {
    deserialized = true;
    NodeModule.createRequire(workerPath)(workerPath);
  });
}

if (v8Mod.startupSnapshot.isBuildingSnapshot()) main();
