/**
 * The isolation policy: bubblewrap or an explicit, recorded refusal/weakening,
 * and the shape of the bubblewrap command (what is visible, what is shared).
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { bwrapArgs, runtimeBinds } from '../src/autograde/isolation';
import { sandboxHome, sandboxReadList } from '../src/autograde/sandbox-env';
import { ROOT, ensureBuilt } from './autograde-helpers';

/** resolveIsolation() and an empty sandbox run in a fresh process whose PATH has no bwrap. */
function withoutBwrap(env: Record<string, string>): { level?: string; error?: string; run?: string } {
  ensureBuilt();
  const dist = join(ROOT, 'grading', 'dist', 'autograde');
  const script = `
const { resolveIsolation } = require(${JSON.stringify(join(dist, 'isolation.js'))});
const { runInSandbox } = require(${JSON.stringify(join(dist, 'sandbox.js'))});
(async () => {
  const out = {};
  try { out.level = resolveIsolation().level; } catch (e) { out.error = e.name + ': ' + e.message; }
  try { out.run = (await runInSandbox([], ${JSON.stringify(join(ROOT, 'build', '.sandbox', 'isolation-test'))})).isolation; } catch (e) { out.run = 'refused: ' + e.name; }
  console.log(JSON.stringify(out));
})();`;
  // No bwrap on PATH (nor prlimit: the weak run goes without the address-space cap).
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: '/nonexistent', ...env }, timeout: 60_000 });
  return JSON.parse(r.stdout.trim().split('\n').pop() || '{}');
}

describe('isolation policy', () => {
  it('refuses to run student code when bubblewrap is unusable, unless weaker isolation is explicitly allowed, and records it', () => {
    const refused = withoutBwrap({});
    expect(refused.error).toMatch(/IsolationError: the autograder refuses to run student code: bwrap is not installed/);
    expect(refused.run).toBe('refused: IsolationError');
    const weak = withoutBwrap({ COURSE_KIT_ISOLATION: 'weak' });
    expect(weak).toEqual({ level: 'weak: permission model only', run: 'weak: permission model only' });
  });

  it('shows the sandbox only the runtime and the code it runs, read-only at real paths, with fresh namespaces', () => {
    const home = sandboxHome();
    const args = bwrapArgs({ reads: sandboxReadList(home), cwd: home, scratchMb: 16 });
    const binds: [string, string][] = [];
    for (let i = 0; i < args.length; i++) if (args[i] === '--ro-bind') binds.push([args[i + 1], args[i + 2]]);
    // Nothing writable is bound; every source is a real path (no link inside leads out).
    expect(args).not.toContain('--bind');
    for (const [src] of binds) expect(realpathSync(src)).toBe(src);
    const dests = binds.map(([, d]) => d);
    for (const p of sandboxReadList(home)) expect(dests).toContain(realpathSync(p));
    expect(dests).toContain(realpathSync(process.execPath));
    // Not the project: no notebooks, no build output but the home, no grading sources.
    expect(dests.filter((d) => d.startsWith(realpathSync(ROOT)) && !/node_modules|lib\/dist|lib\/package\.json|grading\/dist|\.sandbox\/home/.test(d))).toEqual([]);
    expect(runtimeBinds().length).toBeGreaterThan(0);
    for (const flag of ['--unshare-all', '--die-with-parent', '--new-session']) expect(args).toContain(flag);
    expect(args.join(' ')).toMatch(/--size 16777216 --tmpfs \/tmp/);
    expect(args).not.toContain('--share-net');
  });

  it('shows folders that live under /tmp too (the scratch tmpfs is mounted first, binds over it)', () => {
    // A kit cloned under /tmp (CI may do that) must not vanish under the sandbox's own /tmp.
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kit-under-tmp-')));
    try {
      const home = join(dir, 'home');
      mkdirSync(home);
      writeFileSync(join(home, 'seen.txt'), 'visible');
      const args = bwrapArgs({ reads: [home], cwd: home, scratchMb: 4 });
      const r = spawnSync('bwrap', [...args, '--', process.execPath, '-e',
        "process.stdout.write(require('fs').readFileSync('seen.txt', 'utf8') + ' ' + process.cwd())"], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`visible ${home}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
