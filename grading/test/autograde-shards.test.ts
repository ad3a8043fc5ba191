/**
 * Autograding across processes (issue 13): the answer key built once and
 * shipped hash-checked, three shards graded by separate processes into
 * separate folders, merged to exactly the unsharded results and imported by
 * the gradebook; merge refuses mismatched shards; a batch with a crash
 * prints a per-status summary and exits non-zero unless --allow-failures.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { HW1_SOURCE, ROOT, ensureBuilt, hw1 } from './autograde-helpers';
import { importResults, importRoster, initCourse, openGradebook } from '../src/gradebook';
import { BATCH_INFO, mergeShards, parseShard, shardOf } from '../src/autograde/shards';
import { tempDir } from './gradebook-fixtures';

const CLI = join(ROOT, 'grading', 'dist', 'cli', 'autograde.js');

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

/** A result without what differs between runs (when and how fast it was graded). */
const comparable = (file: string) => {
  const { graded_at: _g, timings: _t, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
  void _g;
  void _t;
  return rest;
};

describe('shards', () => {
  it('split the class by student id, the same on every call, each student in exactly one shard', () => {
    const ids = Array.from({ length: 60 }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
    const parts = [0, 1, 2].map((k) => ids.filter((id) => shardOf(id, 3) === k));
    expect(parts.flat().sort()).toEqual(ids);
    for (const p of parts) expect(p.length).toBeGreaterThan(10); // roughly balanced
    expect(ids.map((id) => shardOf(id, 3))).toEqual(ids.map((id) => shardOf(id, 3)));
    expect(parseShard('2/3')).toEqual({ index: 1, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'x', '1-3']) expect(() => parseShard(bad)).toThrow(/--shard: .* must be i\/n/);
  });
});

describe('three shard processes merged equal the unsharded batch', () => {
  const dir = tempDir('autograde-shards-');
  const subs = join(dir, 'submissions');
  const manifest = join(dir, 'manifest.csv');
  // Five students spread over the three shards: full marks, a wrong answer, an empty file (crash), no submission.
  const students = { s001: 'ok', s002: 'partial', s003: 'crash', s005: 'none', s006: 'ok' } as const;

  beforeAll(() => {
    ensureBuilt();
    const { submission } = hw1();
    mkdirSync(subs, { recursive: true });
    const rows = ['student_id,file,submitted_at'];
    for (const [id, kind] of Object.entries(students)) {
      if (kind === 'none') { rows.push(`${id},,`); continue; }
      const nb = kind === 'partial' ? submission({ 'q1-solution': (c) => c.replace('y * (1 - y)', 'y * (1 + y)') }) : submission();
      writeFileSync(join(subs, `${id}.ipynb`), kind === 'crash' ? '' : JSON.stringify(nb));
      rows.push(`${id},${id}.ipynb,2027-04-16T20:00:00-07:00`);
    }
    writeFileSync(manifest, rows.join('\n') + '\n');
    const shardsOf = Object.keys(students).map((id) => shardOf(id, 3));
    expect(new Set(shardsOf).size).toBe(3); // every shard has work
  });

  it('key once, 3 shards, merge, compare, import', async () => {
    const key = join(dir, 'key', 'answer-key.json');
    const built = await run(['key', HW1_SOURCE, '--out', key]);
    expect(built.code, built.err).toBe(0);
    const sha = /sha256 ([0-9a-f]{64})/.exec(built.out)![1]!;
    const common = ['--manifest', manifest, '--key', key, '--key-sha256', sha, '--no-progress', '-j', '1'];

    const [whole, ...shards] = await Promise.all([
      run(['autograde', HW1_SOURCE, subs, ...common, '--out', join(dir, 'whole')]),
      ...[1, 2, 3].map((i) => run(['autograde', HW1_SOURCE, subs, ...common, '--shard', `${i}/3`, '--allow-failures', '--out', join(dir, `shard-${i}`)])),
    ]);
    // The unsharded batch had a crash: a per-status summary and exit code 2.
    expect(whole.code, whole.err).toBe(2);
    expect(whole.out).toContain('ok 2, partial 1, crash 1, timeout 0, no submission 1');
    expect(whole.out).toMatch(/CRASH s003: invalid notebook: .*the file is empty/);
    expect(whole.out).toMatch(/1 submission could not be graded normally: exit code 2/);
    for (const s of shards) expect(s.code, s.err + s.out).toBe(0); // --allow-failures
    expect(shards.map((s) => /shard (\d)\/3/.exec(s.out)![1])).toEqual(['1', '2', '3']);

    const merged = join(dir, 'merged');
    expect(mergeShards(merged, [1, 2, 3].map((i) => join(dir, `shard-${i}`)))).toMatchObject({ shards: 3, students: 5 });
    const files = (d: string) => readdirSync(d).filter((f) => f.endsWith('.json')).sort();
    expect(files(merged)).toEqual(files(join(dir, 'whole')));
    for (const f of files(merged)) expect(comparable(join(merged, f))).toEqual(comparable(join(dir, 'whole', f)));
    expect(JSON.parse(readFileSync(join(merged, BATCH_INFO), 'utf8')).students).toEqual(Object.keys(students));

    // The gradebook imports the merged folder like any results folder.
    const db = openGradebook(join(dir, 'g.sqlite'));
    initCourse(db, join(ROOT, 'data', 'course.yaml'));
    importRoster(db, join(ROOT, 'data', 'roster.csv'));
    expect(importResults(db, merged)).toMatchObject({ changes: 10 - 1 }); // 5 scores + 4 submission times
    expect(db.prepare("SELECT student_id, status FROM auto_scores ORDER BY student_id").all()).toEqual(
      [['s001', 'ok'], ['s002', 'ok'], ['s003', 'crash'], ['s005', 'no-submission'], ['s006', 'ok']].map(([student_id, status]) => ({ student_id, status })));
    db.close();

    // merge refuses: a missing shard, a shard twice, a shard built from another answer key.
    expect(() => mergeShards(join(dir, 'm2'), [join(dir, 'shard-1'), join(dir, 'shard-2')])).toThrow(/shard 3\/3 missing/);
    expect(() => mergeShards(join(dir, 'm3'), [join(dir, 'shard-1'), join(dir, 'shard-1'), join(dir, 'shard-3')])).toThrow(/both shard 1\/3/);
    cpSync(join(dir, 'shard-2'), join(dir, 'other-2'), { recursive: true });
    const info = JSON.parse(readFileSync(join(dir, 'other-2', BATCH_INFO), 'utf8'));
    writeFileSync(join(dir, 'other-2', BATCH_INFO), JSON.stringify({ ...info, key_sha256: 'f'.repeat(64) }));
    expect(() => mergeShards(join(dir, 'm4'), [join(dir, 'shard-1'), join(dir, 'other-2'), join(dir, 'shard-3')])).toThrow(/different answer key/);
    expect(() => mergeShards(join(dir, 'm5'), [join(dir, 'whole')])).toThrow(/not a shard/);

    // A shipped key is hash-checked, and must belong to this source notebook.
    const wrongSha = await run(['autograde', HW1_SOURCE, subs, '--manifest', manifest, '--key', key, '--key-sha256', '0'.repeat(64), '--out', join(dir, 'x')]);
    expect(wrongSha.code).toBe(1);
    expect(wrongSha.err).toMatch(/sha256 [0-9a-f]{64} is not the expected 0{64}/);
    const otherKey = join(dir, 'key', 'other.json');
    writeFileSync(otherKey, JSON.stringify({ ...JSON.parse(readFileSync(key, 'utf8')), sourceHash: 'abc' }));
    const wrongSource = await run(['autograde', HW1_SOURCE, subs, '--manifest', manifest, '--key', otherKey, '--out', join(dir, 'y')]);
    expect(wrongSource.err).toMatch(/built from another version of hw1's source notebook/);
  }, 180_000);
});
