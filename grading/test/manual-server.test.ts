/**
 * The manual grading server over HTTP (no browser): token and Host checks, pages escape student text,
 * scores validated against the rubric and saved through the audited path with conflict detection,
 * a missing file named, scores surviving autograde re-imports and reaching the grade sheet.
 */
import { rmSync, writeFileSync } from 'fs';
import { request } from 'http';
import { join } from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeOf, importResults, openGradebook, studentSheetHtml, getConfig } from '../src/gradebook';
import { startServer, type RunningServer } from '../src/manual/server';
import { manualCourse, type ManualCourse } from './manual-fixtures';

let course: ManualCourse;
let server: RunningServer;
const TOKEN = 'test-token-0123456789';

function http(path: string, opts: { method?: string; host?: string; body?: unknown; token?: boolean } = {}): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${server.port}` };
    if (body) headers['content-type'] = 'application/json';
    if (opts.token !== false && !path.includes('token=')) headers['x-grading-token'] = TOKEN;
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: any;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode!, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const save = (n: number, points: Record<string, unknown>, baseVersion: number, extra: Record<string, unknown> = {}) =>
  http('/api/score', { method: 'POST', body: { assignment: 'seminar', item: 'summary', n, points, comment: 'ok', baseVersion, ...extra } });

beforeAll(async () => {
  course = manualCourse();
  server = await startServer({ db: course.db, config: course.config, grader: 'tester', token: TOKEN });
});
afterAll(async () => {
  await server?.close();
  if (course) rmSync(course.dir, { recursive: true, force: true });
});

describe('manual grading server', () => {
  it('listens on 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
    expect((server.app.server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('refuses a wrong Host header, a missing or wrong token', async () => {
    expect((await http('/', { host: `evil.example:${server.port}` })).status).toBe(421);
    expect((await http('/', { host: `127.0.0.1:1` })).status).toBe(421);
    expect((await http('/', { token: false })).status).toBe(403);
    expect((await http('/?token=wrong', { token: false })).status).toBe(403);
    expect((await http(`/?token=${TOKEN}`, { token: false })).status).toBe(200);
    expect((await http('/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('shows progress and escapes student text', async () => {
    const index = await http('/');
    expect(index.text).toContain('0 / 4 graded');
    const page = await http('/grade/seminar/summary/1');
    expect(page.status).toBe(200);
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)');
    expect(page.text).toMatch(/LATE by 4 h 25 min \(no late penalty for this item\)/);
  });

  it('names a missing file and a missing submission', async () => {
    expect((await http('/grade/seminar/summary/3')).text).toContain('file missing: the manifest names a03.txt');
    expect((await http('/grade/seminar/summary/4')).text).toContain('no submission');
    expect((await http('/grade/seminar/summary/9')).status).toBe(404);
    expect((await http('/file/seminar/summary/3')).status).toBe(404);
    const pdf = await http('/file/seminar/summary/2');
    expect(pdf.status).toBe(200);
    expect(pdf.text.startsWith('%PDF-')).toBe(true);
  });

  it('rejects scores outside the rubric and unknown criteria, writing nothing', async () => {
    const above = await save(1, { content: 7 }, 0);
    expect(above.status).toBe(422);
    expect(above.json.error).toMatch(/7 is outside 0…6/);
    expect((await save(1, { nope: 1 }, 0)).status).toBe(422);
    expect((await save(1, { content: 'x' }, 0)).status).toBe(422);
    const db = openGradebook(course.db);
    expect(db.prepare('SELECT count(*) AS n FROM rubric_scores').get()).toEqual({ n: 0 });
    db.close();
  });

  it('saves, audits who and what, and detects a concurrent save (two tabs)', async () => {
    const first = await save(1, { content: 6, critique: 2 }, 0);
    expect(first.status).toBe(200);
    expect(first.json.saved).toMatchObject({ points: 8, maxPoints: 10, version: 1, grader: 'tester' });
    expect(first.json.graded).toBe(1);
    // a second tab still showing version 0 must not overwrite silently
    const stale = await save(1, { content: 1 }, 0);
    expect(stale.status).toBe(409);
    expect(stale.json.current.points).toBe(8);
    expect(stale.json.error).toMatch(/saved by tester/);
    const forced = await save(1, { content: 5, critique: 4 }, 1, { force: true, comment: 'second look' });
    expect(forced.status).toBe(200);
    expect(forced.json.saved.version).toBe(2);
    const db = openGradebook(course.db);
    const audit = db.prepare("SELECT source, entity, key, field, old, new FROM audit WHERE entity = 'rubric_scores' ORDER BY id").all() as any[];
    db.close();
    expect(audit[0]).toMatchObject({ source: 'manual-page:tester', key: 'seminar/a01/summary', field: '*' });
    expect(audit.find((r) => r.field === 'points')).toMatchObject({ old: '8', new: '9' });
  });

  it('edits a rubric on the page: validated, stored audited, earlier scores flagged', async () => {
    const bad = await http('/api/rubric', { method: 'POST', body: { assignment: 'seminar', item: 'summary', criteria: [{ id: 'content', text: 'Explains the talk', points: 5 }] } });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatch(/rubric points sum to 5, the item has 10/);
    const criteria = [{ id: 'content', text: 'Explains the talk', points: 5 }, { id: 'critique', text: 'Critique', points: 4 }, { id: 'form', text: 'Form <b>and</b> length', points: 1 }];
    const ok = await http('/api/rubric', { method: 'POST', body: { assignment: 'seminar', item: 'summary', criteria } });
    expect(ok.status).toBe(200);
    const page = await http('/grade/seminar/summary/1');
    expect(page.text).toContain('Form &lt;b&gt;and&lt;/b&gt; length');
    expect(page.text).toContain('given with an earlier version of the rubric');
    expect((await http('/rubric/seminar/summary')).text).toContain('Edited on this page');
    const db = openGradebook(course.db);
    expect(db.prepare("SELECT source FROM audit WHERE entity = 'rubrics'").get()).toEqual({ source: 'manual-page:tester' });
    db.prepare('DELETE FROM rubrics').run(); // back to the configured rubric for the next test
    db.close();
  });

  it('rubric scores survive autograde re-imports and reach the grade sheet', async () => {
    const res = await http('/api/score', { method: 'POST', body: { assignment: 'wa', item: 'q2-written', n: 1, points: { bound: 2, product: 3 }, comment: 'good <b>derivation</b>', baseVersion: 0 } });
    expect(res.status).toBe(200);
    const db = openGradebook(course.db);
    const result = (points: number) => ({
      assignment: 'wa', student_id: 'a01', status: 'ok', points, max_points: 10, submitted_at: '2027-04-16T20:00:00-07:00', graded_at: new Date().toISOString(),
      tests: [{ id: 'q1.two', question: 'q1', points, max_points: 4, passed: true }, { id: 'q2-written', question: 'q2', manual: true, points: 0, max_points: 6, passed: false, message: 'needs manual grading' }],
    });
    const f = join(course.dir, 'r.json');
    writeFileSync(f, JSON.stringify(result(4)));
    importResults(db, f);
    db.prepare("DELETE FROM rubric_scores WHERE item = 'q2-written'").run(); // before grading: the sheet says it is pending
    expect(gradeOf(db, 'a01').items.find((i) => i.assignment === 'wa')!.notes).toContain('written answer q2-written not graded yet (counts 0; npm run grade -- serve)');
    const again = await http('/api/score', { method: 'POST', body: { assignment: 'wa', item: 'q2-written', n: 1, points: { bound: 2, product: 3 }, comment: 'good <b>derivation</b>', baseVersion: 0 } });
    expect(again.status).toBe(200);
    writeFileSync(f, JSON.stringify(result(2)));
    importResults(db, f); // a re-import with another autograde score
    expect(gradeOf(db, 'a01').items.find((i) => i.assignment === 'wa')!.notes).toEqual([]);
    const g = gradeOf(db, 'a01');
    const wa = g.items.find((i) => i.assignment === 'wa')!;
    expect(wa.raw).toBe(2 + 5);
    expect(wa.rubric[0]).toMatchObject({ item: 'q2-written', points: 5, comment: 'good <b>derivation</b>' });
    const sem = g.items.find((i) => i.assignment === 'seminar')!;
    expect(sem).toMatchObject({ source: 'rubric', raw: 9 });
    const sheet = studentSheetHtml(getConfig(db), g);
    db.close();
    expect(sheet).toContain('q2-written: 5 / 6');
    expect(sheet).toContain('good &lt;b&gt;derivation&lt;/b&gt;');
    expect(sheet).toContain('second look');
    expect(sheet).toContain('Explains the talk');
  });
});
