/**
 * Where sandboxes and compile servers run and what they may read: the
 * tslab/TypeScript/lib code, the empty sandbox home — nothing of the course
 * data, the hidden tests or other submissions.
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'fs';
import { dirname, join, resolve } from 'path';
import { IsolationLevel, bwrapArgs, findOnPath, resolveIsolation } from './isolation';
import { permissionArgs } from './node-flags';

/** Folders the sandbox may read: the tslab/TypeScript/lib code it runs, nothing of the course data. */
export function sandboxReadPaths(): { nodeModules: string; libDir: string; gradingDist: string; worker: string } {
  const tslabPkg = require.resolve('tslab/package.json');
  const nodeModules = dirname(dirname(tslabPkg));
  const libDir = dirname(realpathSync(require.resolve('@course-kit/lib/package.json')));
  const gradingDist = resolve(__dirname, '..', '..', 'dist');
  const worker = join(gradingDist, 'autograde', 'sandbox-worker.js');
  return { nodeModules, libDir, gradingDist, worker };
}

/** Everything a sandbox or compile server may read (besides the Node runtime): the code it runs and its home. */
export function sandboxReadList(home: string): string[] {
  const paths = sandboxReadPaths();
  // npm may nest packages in a workspace's own node_modules. Node 22+ reads a candidate package.json
  // on the resolution path before checking that it exists, and the permission model refuses a path
  // outside this list even when nothing is there: those folders (dependencies only) are readable too.
  const nested = [join(paths.gradingDist, '..', 'node_modules'), join(paths.libDir, 'node_modules')].filter((p) => existsSync(p));
  return [home, paths.nodeModules, ...nested, join(paths.libDir, 'dist'), join(paths.libDir, 'package.json'), paths.gradingDist];
}

/**
 * Node's permission model for a process running in `home`: reads limited to
 * home and the code folders; no writes (but to `writes`), child processes,
 * worker threads, addons or WASI (not granted). Flags by feature detection
 * (node-flags.ts): Node 20 and 24 spell the switch differently.
 */
export function sandboxReadFlags(home: string, writes: string[] = []): string[] {
  return permissionArgs(sandboxReadList(home), writes);
}

/**
 * Prepare a work folder: empty but for a node_modules link so that tslab
 * resolves `@course-kit/lib` from it like a notebook folder in the project.
 */
export function prepareWorkDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const abs = realpathSync(dir);
  const link = join(abs, 'node_modules');
  const target = sandboxReadPaths().nodeModules;
  // A kit moved or copied elsewhere keeps a link to the old folder (or to nothing): re-create it.
  let current: string | undefined;
  try {
    current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : '(not a link)';
  } catch {
    current = undefined;
  }
  if (current !== undefined && current !== target) rmSync(link, { recursive: true, force: true });
  if (current !== target) {
    try {
      symlinkSync(target, link, 'dir');
    } catch (e) {
      // Another process made it at the same moment.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return abs;
}

/**
 * The sandbox's home: the working folder of every sandbox and compile
 * server, empty but for a node_modules link (so tslab resolves
 * `@course-kit/lib` as in a notebook folder). Shared by all submissions:
 * nothing of a submission is ever written there (plans arrive over IPC,
 * sandboxes cannot write). Kept in the project's build/ folder, not in a
 * world-writable temp folder.
 */
export function sandboxHome(): string {
  const root = resolve(sandboxReadPaths().gradingDist, '..', '..');
  return prepareWorkDir(join(root, 'build', '.sandbox', 'home'));
}

const PRLIMIT = findOnPath('prlimit');

/** The command that runs node with `nodeArgs` under an address-space cap (prlimit, when installed and mb > 0). */
export function addressSpaceWrapper(nodeArgs: string[], mb: number): [string, string[]] {
  return PRLIMIT && mb > 0 ? [PRLIMIT, [`--as=${mb * 1024 * 1024}`, '--', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
}

export interface ConfinedOptions {
  /** The process's home (working folder), visible read-only. */
  home: string;
  /** V8 old-space cap (MB). */
  heapMb: number;
  /** Address-space cap via prlimit (MB); 0 disables it. */
  addressSpaceMb: number;
  /** Largest file the process may write (MB; RLIMIT_FSIZE, which also caps its stdout/stderr files); 0: no cap. */
  fileSizeMb: number;
  /** The /tmp scratch tmpfs (MB), writable only under bubblewrap. */
  scratchMb: number;
}

/** A command line for a confined node process, and the isolation it gets. */
export interface Confined {
  cmd: string;
  args: string[];
  isolation: IsolationLevel;
}

/**
 * The command that runs `node <script> <scriptArgs>` confined: bubblewrap
 * (isolation.ts) around Node's permission model, the heap cap and prlimit's
 * address-space and file-size caps. Throws an IsolationError when
 * bubblewrap is required (the default) but unusable.
 */
export function confinedCommand(script: string, scriptArgs: string[], o: ConfinedOptions): Confined {
  const iso = resolveIsolation();
  const weak = iso.level !== 'bubblewrap';
  const nodeArgs = [...sandboxReadFlags(o.home, weak ? [] : ['/tmp']), `--max-old-space-size=${o.heapMb}`, '--no-warnings', script, ...scriptArgs];
  const inner = weak ? [process.execPath, ...nodeArgs] : [iso.bwrap!, ...bwrapArgs({ reads: sandboxReadList(o.home), cwd: o.home, scratchMb: o.scratchMb }), '--', process.execPath, ...nodeArgs];
  const limits = [...(o.addressSpaceMb > 0 ? [`--as=${o.addressSpaceMb * 1024 * 1024}`] : []), ...(o.fileSizeMb > 0 ? [`--fsize=${o.fileSizeMb * 1024 * 1024}`] : [])];
  if (PRLIMIT && limits.length > 0) return { cmd: PRLIMIT, args: [...limits, '--', ...inner], isolation: iso.level };
  return { cmd: inner[0], args: inner.slice(1), isolation: iso.level };
}
