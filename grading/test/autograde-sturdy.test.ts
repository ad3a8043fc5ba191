/**
 * Issue 13 (autograde): unreadable notebooks say what they are and what to
 * do; a results folder takes one batch at a time; scratch folders of a
 * killed grader are removed by the next run; the sandbox home's
 * node_modules link is re-created when the kit moved; one-line errors for
 * missing inputs.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseNotebook } from '../src/autograde/notebook';
import { autogradeBatch } from '../src/autograde/batch';
import { LOCK_FILE, SCRATCH_PREFIX, lockResults, sweepScratch } from '../src/autograde/shards';
import { prepareWorkDir, sandboxReadPaths } from '../src/autograde/sandbox-env';
import { CompilerPool, DEFAULT_COMPILER } from '../src/autograde/compiler';
import { HW1_SOURCE, ROOT, ensureBuilt } from './autograde-helpers';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** The pid of a process that has exited (no process has it now). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('unreadable notebooks', () => {
  it('an empty file, nbformat 3, HTML and a JSON that is no notebook each say what they are and what to do', () => {
    const msg = (text: string) => { try { parseNotebook(text, 's001.ipynb'); return ''; } catch (e) { return (e as Error).message; } };
    expect(msg('')).toMatch(/^s001\.ipynb: the file is empty .* submit the notebook again/);
    expect(msg('  \n')).toMatch(/the file is empty/);
    expect(msg(JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [{ cells: [] }], metadata: {} })))
      .toMatch(/nbformat 3 notebook .*open it in Jupyter ≥ 4 \(or VS Code\) and save it/);
    expect(msg('<!DOCTYPE html><html>')).toMatch(/not valid JSON .*looks like HTML/);
    expect(msg('{"cells": [')).toMatch(/not valid JSON .*truncated/);
    expect(msg('[1, 2]')).toMatch(/not a Jupyter notebook/);
    expect(msg('{"metadata": {}}')).toMatch(/no "cells" array and no nbformat/);
    expect(msg(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }))).toBe('');
  });
});

describe('one batch per results folder', () => {
  it('a second lock on the folder is refused with a message naming the holder; releasing frees it', () => {
    const out = tmp('lock-');
    const release = lockResults(out);
    expect(() => lockResults(out)).toThrow(new RegExp(`being graded by another autograde \\(pid ${process.pid} .*wait for it to finish, or give this batch another --out`));
    release();
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    lockResults(out)();
  });

  it('a lock left by a killed grader is taken over', () => {
    const out = tmp('lock-');
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: require('os').hostname(), started: 'then' }));
    const release = lockResults(out);
    release();
  });

  it('autograde refuses to start on a folder another batch holds, before grading anything', async () => {
    const out = tmp('lock-');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, host: require('os').hostname(), started: 'now' }));
      const subs = join(out, 'subs');
      mkdirSync(subs);
      writeFileSync(join(out, 'manifest.csv'), 'student_id,file,submitted_at\ns001,,\n');
      await expect(autogradeBatch({ source: HW1_SOURCE, submissionsDir: subs, manifest: join(out, 'manifest.csv'), outDir: out })).rejects.toThrow(`pid ${sleeper.pid}`);
      expect(existsSync(join(out, 's001.json'))).toBe(false);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});

describe('scratch folders of a killed grader', () => {
  it('are removed by the next run; live graders\' folders and other folders are left', () => {
    const root = tmp('scratch-root-');
    const dead = join(root, `${SCRATCH_PREFIX}${deadPid()}-abc123`);
    const mine = join(root, `${SCRATCH_PREFIX}${process.pid}-def456`);
    const other = join(root, 'course-kit-something-else');
    for (const d of [dead, mine, other]) mkdirSync(join(d, 's001'), { recursive: true });
    expect(sweepScratch(root)).toEqual([dead]);
    expect([existsSync(dead), existsSync(mine), existsSync(other)]).toEqual([false, true, true]);
  });

  it('a grader killed with SIGKILL mid-batch leaves its scratch folder, which the next run removes', async () => {
    ensureBuilt();
    const dir = tmp('killed-');
    const manifest = join(dir, 'manifest.csv');
    writeFileSync(manifest, 'student_id,file,submitted_at\ns001,s001-hw1.ipynb,2027-04-16T10:13:00-07:00\n');
    const before = new Set(require('fs').readdirSync(tmpdir()));
    // Building the answer key takes a few seconds: time enough to find the scratch folder and kill the grader.
    const child2 = spawn(process.execPath, [join(ROOT, 'grading', 'dist', 'cli', 'autograde.js'), 'autograde', HW1_SOURCE, join(ROOT, 'data', 'hw1', 'submissions'),
      '--manifest', manifest, '--out', join(dir, 'out'), '--no-progress'], { stdio: 'ignore' });
    let scratch: string | undefined;
    for (let i = 0; i < 600 && !scratch; i++) {
      await new Promise((r) => setTimeout(r, 100));
      scratch = require('fs').readdirSync(tmpdir()).find((n: string) => !before.has(n) && n.startsWith(`${SCRATCH_PREFIX}${child2.pid}-`));
    }
    expect(scratch).toBeDefined();
    child2.kill('SIGKILL');
    await new Promise((r) => child2.on('close', r));
    expect(existsSync(join(tmpdir(), scratch!))).toBe(true);
    expect(existsSync(join(dir, 'out', LOCK_FILE))).toBe(true); // its lock too
    expect(sweepScratch()).toContain(join(tmpdir(), scratch!));
    lockResults(join(dir, 'out'))(); // and the lock is taken over
  }, 60_000);
});

describe('sandbox home', () => {
  it('re-creates the node_modules link when it points elsewhere (the kit was moved or copied) or is not a link', () => {
    const home = tmp('home-');
    const target = sandboxReadPaths().nodeModules;
    symlinkSync(join(tmpdir(), 'old-place-of-the-kit', 'node_modules'), join(home, 'node_modules'), 'dir');
    prepareWorkDir(home);
    expect(readlinkSync(join(home, 'node_modules'))).toBe(target);
    rmSync(join(home, 'node_modules'));
    mkdirSync(join(home, 'node_modules'));
    prepareWorkDir(home);
    expect(lstatSync(join(home, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(home, 'node_modules'))).toBe(target);
  });
});

describe('compile server', () => {
  it('a server that dies shows its whole error, not its last lines', async () => {
    ensureBuilt();
    // 16 MB of heap: the server dies while loading TypeScript, with V8's many-line report on stderr.
    const pool = new CompilerPool({ ...DEFAULT_COMPILER, size: 1, heapMb: 16 });
    const error = await pool.compile('', 'const x: number = 1;', 60_000).then(() => undefined, (e: Error) => e);
    pool.close();
    expect(error?.message).toMatch(/^the compile server exited/);
    // The first lines of the report and its last: nothing cut.
    expect(error!.message).toContain('<--- Last few GCs --->');
    expect(error!.message).toContain('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
    expect(error!.message.split('\n').length).toBeGreaterThan(8);
  }, 60_000);
});

describe('CLI errors', () => {
  it('a missing source, submissions folder or manifest is one line naming it', () => {
    ensureBuilt();
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'grading', 'dist', 'cli', 'autograde.js'), ...args], { encoding: 'utf8' });
    for (const [args, line] of [
      [['release', 'nope.source.ipynb'], 'error: nope.source.ipynb: no such file or folder'],
      [['autograde', HW1_SOURCE, 'no-such-folder', '--manifest', join(ROOT, 'data', 'hw1', 'manifest.csv')], 'error: no-such-folder: no such submissions folder'],
      [['autograde', HW1_SOURCE, join(ROOT, 'data', 'hw1', 'submissions'), '--manifest', 'missing.csv'], 'error: missing.csv: no such file or folder'],
    ] as const) {
      const r = cli(...args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`${line}\n`);
    }
  });
});
