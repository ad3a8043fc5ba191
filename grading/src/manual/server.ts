/**
 * The manual grading page: a local web app (fastify; nunjucks templates with autoescape on) that grades
 * written answers and seminar summaries against a rubric, one click per criterion, and writes the scores
 * into the gradebook through its audited write path.
 *
 * Safety: it listens on 127.0.0.1 only; every request must carry the random token printed with the URL
 * (query `token` or header `x-grading-token`) and a Host header naming 127.0.0.1 or localhost with the
 * server's port (a DNS-rebinding page from elsewhere gets 421). Pages send no referrer and allow no
 * scripts, frames or objects from anywhere but this server.
 */
import { randomBytes, createHmac, timingSafeEqual } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { userInfo } from 'os';
import { basename, join, resolve } from 'path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import nunjucks from 'nunjucks';
import { computeFinalGrades, type StudentGrade } from '../gradebook/compute';
import { getConfig } from '../gradebook/course';
import { latePolicyFor, type CourseConfig } from '../gradebook/config';
import { openGradebook, type Db } from '../gradebook/db';
import { showLocal } from '../gradebook/time';
import { loadManualItems, rosterIds, rubricOf, submissionsOf, type ManualItem, type RubricCriterion, type Submission } from './items';
import { ConflictError, ScoreInputError, loadScore, saveRubric, saveScore, scoresOf } from './store';
import { rubricProblems } from '../autograde/notebook';

export interface ServeOptions {
  /** The gradebook SQLite file (made by `gradebook init` / `npm start`). */
  db: string;
  /** course.yaml with `manual_grading` (paths in it are relative to it). */
  config: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Who grades (the audit's "who"); default the OS user name. */
  grader?: string;
  /** Hide names and ids; submissions in a shuffled order, labelled by number. */
  anonymous?: boolean;
  /** Fixed token (tests); default 32 random bytes. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Templates and static files live next to the sources; dist/ code finds them in src/. */
function assetDir(name: string): string {
  const candidates = [join(__dirname, name), resolve(__dirname, '../../src/manual', name)];
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`manual grading: ${name}/ not found (looked in ${candidates.join(', ')})`);
  return found;
}

const STATIC: Record<string, string> = { 'grade.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' };

interface Ctx {
  db: Db;
  config: CourseConfig;
  items: ManualItem[];
  opts: Required<Pick<ServeOptions, 'grader' | 'anonymous'>>;
  token: string;
}

/** The students of an item in grading order: by id, or shuffled by a keyed hash in anonymous mode. */
function order(ctx: Ctx): { id: string; name: string }[] {
  const roster = rosterIds(ctx.db);
  if (!ctx.opts.anonymous) return roster;
  const key = (id: string) => createHmac('sha256', ctx.token).update(id).digest('hex');
  return [...roster].sort((a, b) => key(a.id).localeCompare(key(b.id)));
}

function findItem(ctx: Ctx, assignment: string, item: string): ManualItem | undefined {
  return ctx.items.find((i) => i.assignment === assignment && i.item === item);
}

function lateness(config: CourseConfig, item: ManualItem, s: Submission, grade: StudentGrade | undefined): { text: string; late: boolean } {
  const g = grade?.items.find((i) => i.assignment === item.assignment);
  if (g?.status === 'excused') return { text: `excused${g.comment ? ` (${g.comment})` : ''}`, late: false };
  if (!s.submittedAt) return { text: s.file ? 'no submission time given (the file time is never used)' : '', late: false };
  const due = g?.effectiveDue ?? null;
  const a = config.assignments.find((x) => x.id === item.assignment)!;
  const penalty = latePolicyFor(config, a) ? 'the late policy applies' : 'no late penalty for this item';
  const when = `submitted ${showLocal(s.submittedAt, config.course.time_zone)}`;
  if (!due) return { text: when, late: false };
  const secs = (Date.parse(s.submittedAt) - Date.parse(due)) / 1000;
  if (secs <= 0) return { text: `${when}: on time${g?.extension ? ` (extension ${g.extension})` : ''}`, late: false };
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.round((secs % 3600) / 60);
  return { text: `${when}: LATE by ${d ? `${d} d ` : ''}${h} h ${m} min (${penalty})`, late: true };
}

/** In anonymous mode a problem message must not name the student (file names often carry the id). */
function scrub(ctx: Ctx, text: string | null, sub: Submission): string | null {
  if (!ctx.opts.anonymous || text === null) return text;
  let out = text;
  for (const s of [sub.listed, sub.file ? basename(sub.file) : null, sub.studentId].filter((x): x is string => !!x)) out = out.split(s).join('…');
  return out;
}

function tokenOk(ctx: Ctx, req: FastifyRequest): boolean {
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  const given = typeof q === 'string' ? q : req.headers['x-grading-token'];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(ctx.token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  if (!existsSync(options.db)) throw new Error(`${options.db}: no gradebook there (run npm start, or gradebook init and import-roster first)`);
  const db = openGradebook(options.db);
  const config = getConfig(db);
  const items = loadManualItems(options.config, config);
  if (items.length === 0) throw new Error(`${options.config}: no manual_grading entries, nothing to grade (see grading/src/manual/README.md)`);
  const token = options.token ?? randomBytes(32).toString('base64url');
  const ctx: Ctx = { db, config, items, token, opts: { grader: options.grader ?? userInfo().username, anonymous: options.anonymous ?? false } };
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(assetDir('templates')), { autoescape: true, throwOnUndefined: false });
  const staticDir = assetDir('static');
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  let port = 0;

  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/favicon.ico') return reply.code(204).send(); // browsers ask without the token
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return reply.code(421).type('text/plain; charset=utf-8').send(`refused: Host "${host}" is not this grading server (use http://127.0.0.1:${port}/)`);
    }
    if (!tokenOk(ctx, req)) return reply.code(403).type('text/plain; charset=utf-8').send('refused: missing or wrong token (open the URL printed by "npm run grade -- serve")');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Cache-Control', 'no-store');
    reply.header('Content-Security-Policy', "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-src 'self'; object-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'");
  });

  const render = (reply: FastifyReply, template: string, data: Record<string, unknown>, code = 200) =>
    reply.code(code).type('text/html; charset=utf-8').send(env.render(template, { token, anonymous: ctx.opts.anonymous, grader: ctx.opts.grader, course: config.course, ...data }));
  const notFound = (reply: FastifyReply, message: string) => render(reply, 'error.njk', { message }, 404);

  app.get('/static/:name', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    if (!STATIC[name]) return notFound(reply, `no static file ${name}`);
    return reply.type(STATIC[name]!).send(readFileSync(join(staticDir, name)));
  });

  app.get('/', async (_req, reply) => {
    const roster = order(ctx);
    const rows = items.map((it) => {
      const scored = scoresOf(db, it.assignment, it.item);
      return { it, graded: roster.filter((s) => scored.has(s.id)).length, total: roster.length };
    });
    return render(reply, 'index.njk', { rows });
  });

  type Located = { it: ManualItem; roster: { id: string; name: string }[] };
  /** Resolves /:assignment/:item. */
  const locate = (params: { assignment: string; item: string }): Located | { error: string } => {
    const it = findItem(ctx, params.assignment, params.item);
    if (!it) return { error: `no manual item ${params.assignment}/${params.item}` };
    return { it, roster: order(ctx) };
  };
  /** Resolves /:assignment/:item/:n (n: 1-based position in the grading order). */
  const locateStudent = (params: { assignment: string; item: string; n: string }): (Located & { n: number; student: { id: string; name: string } }) | { error: string } => {
    const loc = locate(params);
    if ('error' in loc) return loc;
    const n = Number(params.n);
    if (!Number.isInteger(n) || n < 1 || n > loc.roster.length) return { error: `no submission number ${params.n} (1…${loc.roster.length})` };
    return { ...loc, n, student: loc.roster[n - 1]! };
  };

  app.get('/item/:assignment/:item', async (req, reply) => {
    const loc = locate(req.params as { assignment: string; item: string });
    if ('error' in loc) return notFound(reply, loc.error);
    const subs = new Map(submissionsOf(loc.it, loc.roster.map((s) => s.id), config.course.time_zone).map((s) => [s.studentId, s]));
    const scored = scoresOf(db, loc.it.assignment, loc.it.item);
    const rows = loc.roster.map((s, i) => {
      const sub = subs.get(s.id)!;
      const score = scored.get(s.id);
      return { n: i + 1, label: ctx.opts.anonymous ? `Submission ${i + 1}` : `${s.id} ${s.name}`, problem: scrub(ctx, sub.problem, sub), score };
    });
    return render(reply, 'item.njk', { it: loc.it, rows, graded: scored.size === 0 ? 0 : rows.filter((r) => r.score).length, total: rows.length });
  });

  app.get('/grade/:assignment/:item/:n', async (req, reply) => {
    const loc = locateStudent(req.params as { assignment: string; item: string; n: string });
    if ('error' in loc) return notFound(reply, loc.error);
    const { it, roster, n, student } = loc;
    const found = submissionsOf(it, [student.id], config.course.time_zone)[0]!;
    const sub = { ...found, problem: scrub(ctx, found.problem, found) };
    const grade = computeFinalGrades(db).find((g) => g.studentId === student.id);
    const rubric = rubricOf(db, it);
    const score = loadScore(db, it.assignment, student.id, it.item);
    const scored = scoresOf(db, it.assignment, it.item);
    const criteria = rubric.criteria.map((c, i) => ({ ...c, key: i + 1, given: score?.criteria.find((g) => g.id === c.id)?.points ?? 0 }));
    const gradedWithOlder = score && JSON.stringify(score.criteria.map((c) => [c.id, c.text, c.max])) !== JSON.stringify(rubric.criteria.map((c) => [c.id, c.text, c.points]));
    return render(reply, 'grade.njk', {
      it, n, total: roster.length, prev: n > 1 ? n - 1 : null, next: n < roster.length ? n + 1 : null,
      label: ctx.opts.anonymous ? `Submission ${n}` : `${student.name} (${student.id})`,
      sub, late: lateness(config, it, sub, grade), criteria, score, gradedWithOlder,
      graded: roster.filter((s) => scored.has(s.id)).length,
      override: grade?.items.find((i) => i.assignment === it.assignment)?.source === 'manual',
    });
  });

  app.get('/file/:assignment/:item/:n', async (req, reply) => {
    const loc = locateStudent(req.params as { assignment: string; item: string; n: string });
    if ('error' in loc) return notFound(reply, loc.error);
    const sub = submissionsOf(loc.it, [loc.student.id], config.course.time_zone)[0]!;
    if (!sub.file || sub.show === 'none') return notFound(reply, sub.problem ?? 'nothing to show');
    // A submitted file is the student's: text is served as plain text in a sandbox; a PDF goes to the
    // browser's PDF viewer (a sandboxed frame would block the viewer) and never runs in this page's origin as HTML.
    if (sub.show === 'pdf') return reply.type('application/pdf').header('Content-Disposition', 'inline').send(readFileSync(sub.file));
    reply.header('Content-Security-Policy', "sandbox; default-src 'none'");
    return reply.type('text/plain; charset=utf-8').send(sub.text ?? '');
  });

  app.post('/api/score', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const loc = locateStudent({ assignment: String(body.assignment ?? ''), item: String(body.item ?? ''), n: String(body.n ?? '') });
    if ('error' in loc) return reply.code(404).send({ error: loc.error });
    const rubric = rubricOf(db, loc.it).criteria;
    try {
      const saved = saveScore(db, {
        assignment: loc.it.assignment, item: loc.it.item, studentId: loc.student.id, rubric,
        points: body.points as Record<string, unknown>, comment: body.comment, grader: ctx.opts.grader,
        baseVersion: body.baseVersion, force: body.force === true,
      });
      const graded = scoresOf(db, loc.it.assignment, loc.it.item).size;
      return reply.send({ saved, graded, total: loc.roster.length });
    } catch (e) {
      if (e instanceof ScoreInputError) return reply.code(422).send({ error: e.message });
      if (e instanceof ConflictError) return reply.code(409).send({ error: e.message, current: e.current });
      throw e;
    }
  });

  app.get('/rubric/:assignment/:item', async (req, reply) => {
    const loc = locate(req.params as { assignment: string; item: string });
    if ('error' in loc) return notFound(reply, loc.error);
    const rubric = rubricOf(db, loc.it);
    return render(reply, 'rubric.njk', { it: loc.it, rubric: rubric.criteria, edited: rubric.edited });
  });

  app.post('/api/rubric', async (req, reply) => {
    const body = (req.body ?? {}) as { assignment?: unknown; item?: unknown; criteria?: unknown };
    const it = findItem(ctx, String(body.assignment ?? ''), String(body.item ?? ''));
    if (!it) return reply.code(404).send({ error: 'no such manual item' });
    const problems = rubricProblems(body.criteria, it.maxPoints);
    if (problems.length > 0) return reply.code(422).send({ error: problems.join('; ') });
    const criteria = (body.criteria as RubricCriterion[]).map((c) => ({ id: c.id, text: c.text, points: c.points }));
    saveRubric(db, it.assignment, it.item, criteria, ctx.opts.grader);
    return reply.send({ criteria });
  });

  app.setErrorHandler((error, _req, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    reply.code(status).type('text/plain; charset=utf-8').send(status === 500 ? `server error: ${(error as Error).message}` : (error as Error).message);
  });

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  port = (app.server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    app,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}
