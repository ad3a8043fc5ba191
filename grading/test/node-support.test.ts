/**
 * The Node.js version gate (scripts/check-node.cjs): which versions pass,
 * which stop with a message saying what to install, and that the policy is
 * read from package.json's engines (the same range npm enforces through
 * .npmrc's engine-strict).
 */
import { execFileSync, spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const script = join(root, 'scripts', 'check-node.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gate = require(script) as {
  judge(version: string, range: string): { ok: boolean; warn: boolean; message: string };
  parseEngines(range: string): { min: number[]; open: boolean }[];
};
const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;

describe('scripts/check-node.cjs', () => {
  it('reads the supported lines from package.json engines', () => {
    const lines = gate.parseEngines(engines);
    expect(lines.map((l) => l.min[0])).toEqual([20, 22, 24]);
    expect(lines.at(-1)!.open).toBe(true);
    expect(readFileSync(join(root, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });

  it.each(['v20.19.0', 'v20.20.2', 'v22.12.0', 'v22.23.5', 'v24.0.0', 'v24.22.3'])('accepts %s quietly', (v) => {
    expect(gate.judge(v, engines)).toEqual({ ok: true, warn: false, message: '' });
  });

  it.each([
    ['v18.20.8', /Node\.js 18 is not supported/],
    ['v16.20.2', /Node\.js 16 is not supported/],
    ['v20.18.3', /Node\.js 20 is supported from 20\.19\.0 on/],
    ['v22.11.0', /Node\.js 22 is supported from 22\.12\.0 on/],
    ['v21.7.3', /Node\.js 21 is not supported/],
    ['v23.11.1', /Node\.js 23 is not supported/],
  ])('refuses %s and says what to install', (v, why) => {
    const verdict = gate.judge(v, engines);
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toMatch(why);
    expect(verdict.message).toContain('20 (≥ 20.19.0), 22 (≥ 22.12.0), 24 (≥ 24.0.0)');
    expect(verdict.message).toMatch(/nvm install 24/);
  });

  it('lets a newer major through with a warning naming the newest tested line', () => {
    const verdict = gate.judge('v26.12.1', engines);
    expect(verdict.ok).toBe(true);
    expect(verdict.warn).toBe(true);
    expect(verdict.message).toMatch(/newer than the lines the kit is tested on.*use Node\.js 24/);
  });

  it('rejects an engines range it cannot read rather than guessing', () => {
    expect(() => gate.judge('v20.20.2', '>=20')).toThrow(/must be \^X\.Y\.Z or >=X\.Y\.Z/);
  });

  it('exits 0 under the Node.js running this test (a supported one)', () => {
    expect(() => execFileSync(process.execPath, [script], { stdio: 'pipe' })).not.toThrow();
  });

  it('runs first in npm install and before every main command', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['preinstall', 'prestart', 'pretest', 'prelab', 'prenotebooks', 'pregrade', 'pregradebook']) {
      expect(scripts[name], name).toBe('node scripts/check-node.cjs');
    }
  });

  it('is plain ES5 that an old Node can parse (no const/let/arrows/template strings)', () => {
    const text = readFileSync(script, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/'[^'\n]*'/g, "''");
    expect(text).not.toMatch(/\b(const|let|class)\s|=>|`/);
    const r = spawnSync(process.execPath, ['--check', script]);
    expect(r.status).toBe(0);
  });
});
