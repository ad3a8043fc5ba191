/**
 * The compile servers: tslab's own conversions, cached, limited in time and
 * in what they can read, and replaced when they fail.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError, CompilerPool, DEFAULT_COMPILER } from '../src/autograde/compiler';
import { sandboxHome } from '../src/autograde/sandbox';
import { createWarmConverter } from '../src/notebook/executor';
import { ensureBuilt } from './autograde-helpers';

const CELLS = [
  'import { test } from "@course-kit/lib";\nconst half = 0.5;',
  'function logistic(x: number): number { return 1 / (1 + Math.exp(-x)); }\nlogistic(0)',
  'const wrong: string = logistic(half);',
  'let total = 0;\nfor (const v of [1, 2, 3]) total += v;\nawait Promise.resolve(total)',
];

let pool: CompilerPool;

beforeAll(() => {
  ensureBuilt();
  pool = new CompilerPool({ ...DEFAULT_COMPILER, size: 1 });
});
afterAll(() => pool.close());

/** Convert the cells in order, each after the declarations of the last one that type-checked (as tslab's executor does). */
async function chain(convert: (prev: string, src: string) => Promise<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  let prev = '';
  for (const src of CELLS) {
    const r = (await convert(prev, src)) as { diagnostics: unknown[]; declOutput?: string };
    out.push(r);
    if (r.diagnostics.length === 0) prev = r.declOutput || '';
  }
  return out;
}

describe('compile servers', () => {
  it('return exactly what tslab converts in this process', async () => {
    const local = createWarmConverter(sandboxHome());
    try {
      const remote = await chain(async (prev, src) => (await pool.compile(prev, src, 30_000)).converted);
      const here = await chain(async (prev, src) => JSON.parse(JSON.stringify(local.convert(prev, src))));
      expect(remote).toEqual(here);
      // A type error is a diagnostic, not a failure; top-level await is detected.
      expect((remote[2] as { diagnostics: { messageText: string }[] }).diagnostics[0].messageText).toMatch(/not assignable to type 'string'/);
      expect((remote[3] as { hasToplevelAwait?: boolean }).hasToplevelAwait).toBe(true);
    } finally {
      local.close();
    }
  }, 60_000);

  it('convert a cell seen before only once', async () => {
    const before = { ...pool.stats };
    const a = await pool.compile('', 'const once = 1;', 30_000);
    const b = await pool.compile('', 'const once = 1;', 30_000);
    expect(b).toEqual(a);
    expect(pool.stats.conversions - before.conversions).toBe(1);
    expect(pool.stats.cacheHits - before.cacheHits).toBe(1);
    // Other declarations before it make it another conversion.
    await pool.compile('declare const other: number;\n', 'const once = 1;', 30_000);
    expect(pool.stats.conversions - before.conversions).toBe(2);
  }, 60_000);

  it('give tslab metadata and leave module cells unconverted, so no module outlives its submission', async () => {
    const mod = await pool.compile('', '/** @module secret */\nexport const answer = 42;', 30_000);
    expect(mod.meta.module).toBe('secret');
    expect(mod.converted).toBeUndefined();
    const use = await pool.compile('', 'import { answer } from "./secret";\nanswer', 30_000);
    expect(use.converted?.diagnostics[0].messageText).toMatch(/Cannot find module '.\/secret'/);
  }, 60_000);

  it('cannot read files outside the sandbox folders', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-compiler-'));
    writeFileSync(join(dir, 'key.json'), JSON.stringify({ hiddenAnswerName: 0.731 }));
    writeFileSync(join(dir, 'hidden.ts'), 'export const hiddenTestValue = 0.731;');
    const json = await pool.compile('', `import key from ${JSON.stringify(join(dir, 'key.json'))};\nconst n: number = key;`, 30_000);
    const ts = await pool.compile('', `/// <reference path=${JSON.stringify(join(dir, 'hidden.ts'))} />\nimport { hiddenTestValue } from ${JSON.stringify(join(dir, 'hidden'))};`, 30_000);
    const text = JSON.stringify([json, ts]);
    expect(json.converted?.diagnostics[0].messageText).toMatch(/Cannot find module/);
    expect(text).not.toMatch(/hiddenAnswerName|0\.731/);
    expect(ts.converted?.diagnostics.length).toBeGreaterThan(0);
  }, 60_000);

  it('stop a conversion that takes too long and go on with a fresh server', async () => {
    const started = pool.stats.started;
    const slow = pool.compile('', 'const slow = 1;\nslow', 1);
    await expect(slow).rejects.toThrow(CompileError);
    await expect(slow).rejects.toThrow(/took longer than 0.001 s/);
    const after = await pool.compile('', 'const afterwards = 2;\nafterwards', 30_000);
    expect(after.converted?.diagnostics).toEqual([]);
    expect(pool.stats.started).toBe(started + 1);
  }, 60_000);

  it('retry a conversion once on a fresh server when its server dies', async () => {
    await pool.compile('', 'const warm = 0;', 30_000); // a server is up
    const retries = pool.stats.retries;
    const pending = pool.compile('', 'const survives = 3;\nsurvives', 30_000);
    pool.close(); // kills the server in the middle of the request
    const r = await pending;
    expect(r.converted?.diagnostics).toEqual([]);
    expect(r.converted?.output).toMatch(/survives/);
    expect(pool.stats.retries).toBe(retries + 1);
  }, 60_000);
});
