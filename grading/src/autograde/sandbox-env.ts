/**
 * Where sandboxes and compile servers run and what they may read: the
 * tslab/TypeScript/lib code, the empty sandbox home — nothing of the course
 * data, the hidden tests or other submissions.
 */
import { existsSync, mkdirSync, realpathSync, symlinkSync } from 'fs';
import { delimiter, dirname, join, resolve } from 'path';

/** Folders the sandbox may read: the tslab/TypeScript/lib code it runs, nothing of the course data. */
export function sandboxReadPaths(): { nodeModules: string; libDir: string; gradingDist: string; worker: string } {
  const tslabPkg = require.resolve('tslab/package.json');
  const nodeModules = dirname(dirname(tslabPkg));
  const libDir = dirname(realpathSync(require.resolve('@course-kit/lib/package.json')));
  const gradingDist = resolve(__dirname, '..', '..', 'dist');
  const worker = join(gradingDist, 'autograde', 'sandbox-worker.js');
  return { nodeModules, libDir, gradingDist, worker };
}

/**
 * Node's permission model for a process running in `home`: reads limited to
 * home and the code folders; no writes, child processes or worker threads
 * (not granted); addons are refused separately (--no-addons).
 */
export function sandboxReadFlags(home: string): string[] {
  const paths = sandboxReadPaths();
  return [
    '--experimental-permission',
    `--allow-fs-read=${home}`,
    `--allow-fs-read=${paths.nodeModules}`,
    `--allow-fs-read=${join(paths.libDir, 'dist')}`,
    `--allow-fs-read=${join(paths.libDir, 'package.json')}`,
    `--allow-fs-read=${paths.gradingDist}`,
  ];
}

/**
 * Prepare a work folder: empty but for a node_modules link so that tslab
 * resolves `@course-kit/lib` from it like a notebook folder in the project.
 */
export function prepareWorkDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const abs = realpathSync(dir);
  const link = join(abs, 'node_modules');
  if (!existsSync(link)) {
    try {
      symlinkSync(sandboxReadPaths().nodeModules, link, 'dir');
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

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const PRLIMIT = findOnPath('prlimit');

/** The command that runs node with `nodeArgs` under an address-space cap (prlimit, when installed and mb > 0). */
export function addressSpaceWrapper(nodeArgs: string[], mb: number): [string, string[]] {
  return PRLIMIT && mb > 0 ? [PRLIMIT, [`--as=${mb * 1024 * 1024}`, '--', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
}
