/**
 * The isolation policy: bubblewrap or an explicit, recorded refusal/weakening,
 * and the shape of the bubblewrap command (what is visible, what is shared).
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { networkInterfaces, tmpdir } from 'os';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { runInSandbox } from '../src/autograde/sandbox';
import { bwrapArgs, runtimeBinds } from '../src/autograde/isolation';
import { sandboxHome, sandboxReadList } from '../src/autograde/sandbox-env';
import { HW1_SOURCE, ROOT, ensureBuilt } from './autograde-helpers';

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

  it('gives the sandbox no network: sockets to the host, on loopback or an outside address, reach nothing', async () => {
    // Bubblewrap's network namespace alone (no permission flags, no module blocklist): plain `net.connect`.
    let connections = 0;
    const server = createServer((c) => {
      connections++;
      c.destroy();
    });
    await new Promise<void>((res) => server.listen(0, '0.0.0.0', () => res()));
    const port = (server.address() as { port: number }).port;
    const outside = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const hosts = ['127.0.0.1', ...(outside ? [outside] : [])];
    const script = `const net = require('net'); const out = []; let pending = ${hosts.length};
for (const host of ${JSON.stringify(hosts)}) {
  const s = net.connect(${port}, host);
  const done = (what) => { out.push(host + ' ' + what); s.destroy(); if (--pending === 0) process.stdout.write(JSON.stringify(out.sort())); };
  s.on('connect', () => done('connected')); s.on('error', (e) => done(e.code)); s.setTimeout(5000, () => done('timeout'));
}`;
    const run = (cmd: string, args: string[]) => new Promise<string[]>((res) => {
      const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '' } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => res(JSON.parse(out || '[]')));
    });
    try {
      const home = sandboxHome();
      const inside = await run('bwrap', [...bwrapArgs({ reads: sandboxReadList(home), cwd: home, scratchMb: 4 }), '--', process.execPath, '-e', script]);
      expect(inside).toHaveLength(hosts.length);
      for (const line of inside) expect(line).not.toMatch(/connected/);
      expect(connections).toBe(0);
      // The same script outside the sandbox connects: the check above can fail.
      const plain = await run(process.execPath, ['-e', script]);
      expect(plain).toEqual(hosts.map((h) => `${h} connected`).sort());
      for (let i = 0; i < 50 && connections < hosts.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(connections).toBe(hosts.length);
    } finally {
      server.close();
    }
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

  it('the CLI refuses a whole batch once without bubblewrap, and --weak-isolation grades it, recorded per result', () => {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'ck-weak-'));
    try {
      const cli = join(ROOT, 'grading', 'dist', 'cli', 'autograde.js');
      const args = (out: string, ...flags: string[]) =>
        [cli, ...flags, 'autograde', HW1_SOURCE, join(ROOT, 'data', 'hw1', 'submissions'), '--only', 's001', '--no-progress', '-o', out];
      // PATH with node only: no bwrap (and no prlimit), even where node lives beside them in /usr/bin.
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      symlinkSync(process.execPath, join(bin, 'node'));
      const env = { PATH: bin, HOME: dir };
      const refused = spawnSync(process.execPath, args(join(dir, 'refused', 'results')), { encoding: 'utf8', env, cwd: ROOT, timeout: 120_000 });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/refuses to run student code: bwrap is not installed/);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(join(dir, 'refused', 'results')) ? readdirSync(join(dir, 'refused', 'results')).filter((f) => f.endsWith('.json')) : []).toEqual([]);

      const weak = spawnSync(process.execPath, args(join(dir, 'weak', 'results'), '--weak-isolation'), { encoding: 'utf8', env, cwd: ROOT, timeout: 300_000 });
      expect(weak.stderr).toBe('');
      expect(weak.status).toBe(0);
      const result = JSON.parse(readFileSync(join(dir, 'weak', 'results', 's001.json'), 'utf8')) as { isolation?: string; status: string };
      expect(result.isolation).toBe('weak: permission model only');
      expect(result.status).not.toMatch(/crash|timeout/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});

describe('the event loop in a sandbox', () => {
  it('lets a cell await timers: no network module starts loading in the background (on Node 22 the sandbox crashed here)', async () => {
    ensureBuilt();
    const loaded = "require('fs').writeSync(1, JSON.stringify((process as any).moduleLoadList.filter((m: string) => /undici/.test(m))) + '\\n');";
    const run = await runInSandbox([
      { id: 'wait', kind: 'solution', code: 'await new Promise((r) => setTimeout(r, 400));\nconst waited = 1;' },
      { id: 'loaded', kind: 'solution', code: loaded },
    ], join(ROOT, 'build', '.sandbox', 'event-loop-test'));
    expect(run.status, run.cause).toBe('ok');
    expect(run.cells.map((c) => c.ok)).toEqual([true, true]);
    expect(readFileSync(join(ROOT, 'build', '.sandbox', 'event-loop-test', 'sandbox.stdout.txt'), 'utf8').trim()).toBe('[]');
  }, 60_000);
});
