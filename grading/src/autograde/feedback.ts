/**
 * One HTML feedback page per student: visible tests with their messages,
 * hidden tests by id and description with pass/fail and points (no code, no
 * inputs, no expected values: only the judge's generic message), and
 * the cause of a timeout or crash. Everything from a result is escaped.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { escapeHtml } from '../html';
import type { SubmissionResult } from './grade';
import { openGradebook } from '../gradebook/db';
import { loadScore, type StoredScore } from '../manual/store';

const fmt = (x: number) => String(Math.round(x * 100) / 100);

/**
 * Bidirectional-text controls (U+061C, U+200E/F, U+202A–E, U+2066–9) shown
 * as visible code points: in a student-controlled string they could reorder
 * what the page shows (a test id or message read backwards). HTML escaping
 * leaves them alone.
 */
export function neutraliseBidi(s: string): string {
  return s.replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

/**
 * What a hidden test's row says when it failed: one of three fixed phrases, never the result's message itself
 * (the judge keeps values out of hidden messages; the page does not rely on it).
 */
export function hiddenMessage(message: string): string {
  if (/^not run\b/.test(message)) return 'not run';
  return message === 'raised an error' ? 'raised an error' : 'wrong value';
}

type Test = SubmissionResult['tests'][number];
const isManual = (t: Test) => (t as { manual?: boolean }).manual === true;

/** A written answer (manual cell) on the feedback page: "needs manual grading", or its rubric score and comment. */
function manualRow(t: Test, score: StoredScore | undefined, e: (s: string) => string): string {
  if (!score) return `<tr class="manual"><td>✎</td><td><code>${e(t.id)}</code></td><td>${e(t.description)}</td><td>–/${fmt(t.max_points)}</td><td>needs manual grading</td></tr>`;
  const criteria = score.criteria.map((c) => `<li>${e(c.text)}: ${fmt(c.points)}/${fmt(c.max)}</li>`).join('');
  return `<tr class="manual graded"><td>✎</td><td><code>${e(t.id)}</code></td><td>${e(t.description)}<ul class="rubric">${criteria}</ul></td><td>${fmt(score.points)}/${fmt(t.max_points)}</td><td>${score.comment ? `<p class="comment">${e(score.comment)}</p>` : ''}</td></tr>`;
}

/**
 * The feedback page of one result. `manual` holds the rubric scores of its written answers (by cell id,
 * from the gradebook); without one, a written answer shows "needs manual grading".
 */
export function feedbackHtml(r: SubmissionResult, manual: Map<string, StoredScore> = new Map()): string {
  const e = (s: string) => escapeHtml(neutraliseBidi(String(s)));
  const pointsOf = (t: Test) => (isManual(t) ? manual.get(t.id)?.points ?? 0 : t.points);
  const questions = [...new Set(r.tests.map((t) => t.question))];
  const sections = questions.map((q) => {
    const tests = r.tests.filter((t) => t.question === q);
    const visible = tests.filter((t) => !t.hidden && !isManual(t));
    const written = tests.filter(isManual);
    const hidden = tests.filter((t) => t.hidden);
    const got = tests.reduce((s, t) => s + pointsOf(t), 0);
    const max = tests.reduce((s, t) => s + t.max_points, 0);
    // Hidden tests are named with their description so a student knows what was wrong; their rows carry only
    // the judge's generic message for hidden tests (never an input or expected value: the key stays with the parent).
    const rows = [...visible, ...hidden]
      .map((t) => `<tr class="${t.passed ? 'pass' : 'fail'}${t.hidden ? ' hidden-test' : ''}"><td>${t.passed ? '✔' : '✘'}</td><td><code>${e(t.id)}</code>${t.hidden ? ' <em>(hidden)</em>' : ''}</td><td>${e(t.description)}</td><td>${fmt(t.points)}/${fmt(t.max_points)}</td><td>${t.passed ? '' : e(t.hidden ? hiddenMessage(t.message) : t.message)}</td></tr>`)
      .concat(written.map((t) => manualRow(t, manual.get(t.id), e)))
      .join('\n');
    const hp = hidden.filter((t) => t.passed);
    const hiddenLine = hidden.length > 0
      ? `<p class="hidden">Hidden tests: ${hp.length} of ${hidden.length} passed (${fmt(hp.reduce((s, t) => s + t.points, 0))}/${fmt(hidden.reduce((s, t) => s + t.max_points, 0))} points).</p>`
      : '';
    return `<section><h2>${e(q)} — ${fmt(got)}/${fmt(max)} points</h2>
<table><thead><tr><th></th><th>test</th><th>what it checks</th><th>points</th><th>message</th></tr></thead><tbody>
${rows}
</tbody></table>${hiddenLine}</section>`;
  });
  const cause = r.cause ? `<p class="cause"><strong>${e(r.status)}:</strong> ${e(r.cause)}</p>` : '';
  const review = r.review ? `<p class="cause"><strong>Marked for review:</strong> no points are credited until the instructor has looked at this submission.</p>` : '';
  const cellErrors = r.cell_errors.length
    ? `<h2>Errors in your cells</h2><ul>${r.cell_errors.map((c) => `<li><code>${e(c.id)}</code>: <pre>${e(c.error.split('\n').slice(0, 6).join('\n'))}</pre></li>`).join('')}</ul>`
    : '';
  const notes = r.recovery.length ? `<h2>Notes on your notebook</h2><ul>${r.recovery.map((n) => `<li>${e(n)}</li>`).join('')}</ul>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(r.assignment)} feedback — ${e(r.student_id)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}.pass td:first-child{color:#1a7f37}
.fail td:first-child{color:#cf222e}.cause{background:#fff3cd;padding:.5rem}.hidden{color:#555}pre{white-space:pre-wrap;margin:0}</style></head>
<body><h1>${e(r.assignment)} — ${e(r.student_id)}</h1>
<p>Score before any late penalty: <strong>${fmt(r.points + r.tests.reduce((s, t) => s + (isManual(t) ? pointsOf(t) : 0), 0))}/${fmt(r.max_points)}</strong>${r.tests.some((t) => isManual(t) && !manual.has(t.id)) ? ' (written answers not graded yet)' : ''} · status ${e(r.status)}${r.submitted_at ? ` · submitted ${e(r.submitted_at)}` : ''} · graded ${e(r.graded_at)}</p>
${cause}
${review}
${sections.join('\n')}
${cellErrors}
${notes}
</body></html>
`;
}

export interface FeedbackOptions {
  resultsDir: string;
  outDir: string;
  /** The gradebook holding rubric scores of written answers (from the manual grading page), if any. */
  gradebook?: string;
}

/** Write <outDir>/<student_id>.html for every result JSON; returns the written paths. */
export function writeFeedback(options: FeedbackOptions): string[] {
  mkdirSync(options.outDir, { recursive: true });
  const written: string[] = [];
  const db = options.gradebook ? openGradebook(options.gradebook) : undefined;
  try {
  for (const f of readdirSync(options.resultsDir).filter((n) => n.endsWith('.json')).sort()) {
    const r = JSON.parse(readFileSync(join(options.resultsDir, f), 'utf8')) as SubmissionResult;
    if (typeof r.student_id !== 'string' || !Array.isArray(r.tests)) continue;
    const path = join(options.outDir, `${r.student_id.replace(/[^A-Za-z0-9_.-]/g, '_')}.html`);
    const manual = new Map<string, StoredScore>();
    for (const t of r.tests) {
      const score = db && isManual(t) ? loadScore(db, r.assignment, r.student_id, t.id) : null;
      if (score) manual.set(t.id, score);
    }
    writeFileSync(path, feedbackHtml(r, manual));
    written.push(path);
  }
  } finally {
    db?.close();
  }
  return written;
}
