/**
 * Isolation by the operating system for sandboxes and compile servers, with
 * bubblewrap (`bwrap`, Debian package bubblewrap): every such process runs in
 *
 * - a new mount namespace that shows only the Node runtime (the binary and
 *   the shared libraries it links), the folders it may read (node_modules,
 *   lib/dist, grading/dist, the empty sandbox home), all read-only, bound by
 *   their real paths so that no symbolic link leads anywhere else: whatever a
 *   link or a `..` resolves to, only these exist;
 * - a size-capped tmpfs at /tmp (scratch), a private /proc and a minimal /dev;
 * - new pid, network, IPC, UTS and user namespaces: no signal reaches the
 *   grader or a sibling, /proc shows only the sandbox, the only network
 *   interface is an isolated loopback;
 * - a new session (no terminal to inject into), and `--die-with-parent`: the
 *   sandbox dies with the grader whatever signal killed the grader.
 *
 * Node's permission model, the V8 heap cap and prlimit stay as further
 * layers inside. When bubblewrap cannot be used the autograder refuses to run
 * unless weaker isolation was explicitly allowed (COURSE_KIT_ISOLATION=weak or
 * setIsolationPolicy('allow-weaker')), and every result records which
 * isolation it ran under.
 */
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, realpathSync } from 'fs';
import { delimiter, join } from 'path';

/** What a run was isolated by: the operating system (bubblewrap) or Node's permission model alone. */
export type IsolationLevel = 'bubblewrap' | 'weak: permission model only';

/**
 * require-bubblewrap (default): refuse to run student code without it;
 * allow-weaker: bubblewrap when usable, else the permission model alone;
 * permission-only: never bubblewrap (to compare, e.g. in the benchmark).
 */
export type IsolationPolicy = 'require-bubblewrap' | 'allow-weaker' | 'permission-only';

let policy: IsolationPolicy | undefined;

/** Set the policy for this process (e.g. a CLI flag); the default is COURSE_KIT_ISOLATION (weak | permission-only) or require-bubblewrap. */
export function setIsolationPolicy(p: IsolationPolicy): void {
  policy = p;
}

export function isolationPolicy(): IsolationPolicy {
  if (policy) return policy;
  const env = process.env.COURSE_KIT_ISOLATION;
  return env === 'weak' ? 'allow-weaker' : env === 'permission-only' ? 'permission-only' : 'require-bubblewrap';
}

export class IsolationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IsolationError';
  }
}

export function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

let probed: { bwrap: string } | { error: string } | undefined;

/** Is bubblewrap installed and able to create the namespaces here? (Probed once per process, a few ms.) */
export function probeBubblewrap(): { bwrap: string } | { error: string } {
  if (probed) return probed;
  const bwrap = findOnPath('bwrap');
  if (!bwrap) return (probed = { error: 'bwrap is not installed (Debian: apt-get install bubblewrap)' });
  const r = spawnSync(bwrap, [...runtimeBinds(), '--unshare-all', '--die-with-parent', '--new-session', '--proc', '/proc', '--dev', '/dev', '--', process.execPath, '-e', ''], {
    encoding: 'utf8', timeout: 20_000,
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0];
    return (probed = { error: `bwrap cannot create the sandbox's namespaces here (${why}); user namespaces may be disabled` });
  }
  return (probed = { bwrap });
}

/**
 * The isolation sandboxes get under the current policy; throws an
 * IsolationError when bubblewrap is required but unusable.
 */
export function resolveIsolation(): { level: IsolationLevel; bwrap?: string } {
  if (isolationPolicy() === 'permission-only') return { level: 'weak: permission model only' };
  const p = probeBubblewrap();
  if ('bwrap' in p) return { level: 'bubblewrap', bwrap: p.bwrap };
  if (isolationPolicy() === 'allow-weaker') return { level: 'weak: permission model only' };
  throw new IsolationError(
    `the autograder refuses to run student code: ${p.error}. Install bubblewrap, or accept weaker isolation ` +
      `(Node's permission model only: no protection against symlink escapes, signals or the network) with ` +
      `COURSE_KIT_ISOLATION=weak (every result then records it).`,
  );
}

let runtime: string[] | undefined;

/**
 * Read-only binds for the Node runtime: the binary and each shared library
 * it links (from ldd), each at the path the loader asks for and at its real
 * path. Falls back to the system library folders when ldd is unavailable.
 */
export function runtimeBinds(): string[] {
  if (runtime) return runtime;
  const binds = new Map<string, string>();
  const add = (p: string) => {
    if (!existsSync(p)) return;
    const real = realpathSync(p);
    binds.set(p, real);
    binds.set(real, real);
  };
  add(process.execPath);
  let libs: string[] = [];
  try {
    const out = execFileSync('ldd', [realpathSync(process.execPath)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    libs = [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
  } catch {
    libs = [];
  }
  if (libs.length > 0) libs.forEach(add);
  else for (const d of ['/lib', '/lib64', '/usr/lib', '/usr/lib64']) add(d);
  runtime = [...binds].flatMap(([dest, src]) => ['--ro-bind', src, dest]);
  return runtime;
}

export interface BwrapOptions {
  /** Folders (or files) visible read-only, at their real paths. */
  reads: string[];
  /** Working folder inside (one of `reads`). */
  cwd: string;
  /** Size of the /tmp scratch tmpfs (MB). */
  scratchMb: number;
}

/** bubblewrap's arguments (before `--` and the command) for one sandbox or compile server. */
export function bwrapArgs(o: BwrapOptions): string[] {
  // bubblewrap mounts in argument order: the scratch tmpfs goes first, so that a
  // runtime or kit folder that itself lives under /tmp is bound on top of it, not hidden.
  const args = ['--size', String(Math.max(1, o.scratchMb) * 1024 * 1024), '--tmpfs', '/tmp', ...runtimeBinds()];
  for (const p of o.reads) {
    const real = realpathSync(p);
    args.push('--ro-bind', real, real);
  }
  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    '--unshare-all',
    '--uid', '65534', '--gid', '65534',
    '--hostname', 'sandbox',
    '--die-with-parent',
    '--new-session',
    '--chdir', realpathSync(o.cwd),
  );
  return args;
}
