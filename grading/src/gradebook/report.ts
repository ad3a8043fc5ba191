import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { figureHtml, plotlyScript } from '@course-kit/lib';
import { escapeHtml as esc } from '../html';
import { CourseConfig } from './config';
import { getConfig } from './course';
import { Db } from './db';
import { ItemGrade, StudentGrade, computeFinalGrades, itemStatusLabel } from './compute';
import { showLocal } from './time';

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0;font-size:.92em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}th:first-child,td:first-child{text-align:left}
.note{color:#555}#students td:nth-child(2),#students td:nth-child(3){text-align:left}.excused{color:#777;font-style:italic}.late{color:#a40}`;

function page(title: string, body: string, withPlotly: boolean): string {
  const plotly = withPlotly ? plotlyScript() : '';
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style>${plotly}</head>\n<body>\n${body}\n</body></html>\n`;
}

function plot(id: string, data: unknown[], layout: Record<string, unknown>): string {
  return figureHtml({ data: data as { type: string }[], layout: { height: 360, ...layout } }, { id, includePlotly: false });
}

export interface AssignmentStats {
  assignment: string;
  title: string;
  maxPoints: number;
  graded: number;
  missing: number;
  excused: number;
  late: number;
  extended: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  sd: number | null;
}

/** Per-assignment statistics of the item percentages after the late penalty (graded items only). */
export function assignmentStats(config: CourseConfig, grades: StudentGrade[]): AssignmentStats[] {
  return config.assignments.map((a) => {
    const items = grades.map((g) => g.items.find((i) => i.assignment === a.id)!);
    const pcts = items.filter((i) => i.status === 'graded').map((i) => i.pct!).sort((x, y) => x - y);
    const n = pcts.length;
    const mean = n ? pcts.reduce((s, v) => s + v, 0) / n : null;
    const median = n ? (n % 2 ? pcts[(n - 1) / 2]! : (pcts[n / 2 - 1]! + pcts[n / 2]!) / 2) : null;
    const sd = n > 1 && mean !== null ? Math.sqrt(pcts.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : null;
    return {
      assignment: a.id, title: a.title, maxPoints: a.max_points, graded: n,
      missing: items.filter((i) => i.status === 'missing').length,
      excused: items.filter((i) => i.status === 'excused').length,
      late: items.filter((i) => i.late !== null && i.late.periods > 0).length,
      extended: items.filter((i) => i.extension !== null).length,
      mean, median, min: n ? pcts[0]! : null, max: n ? pcts[n - 1]! : null, sd,
    };
  });
}

const f2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** The class report: grade distribution, letter counts, per-assignment statistics and late counts. */
export function classReportHtml(config: CourseConfig, grades: StudentGrade[]): string {
  const finals = grades.filter((g) => g.finalRounded !== null).map((g) => g.finalRounded!);
  const stats = assignmentStats(config, grades);
  const letterCounts = config.letters.map((l) => grades.filter((g) => g.letter === l.letter).length);
  const histogram = plot('final-hist', [{ type: 'histogram', x: finals, xbins: { start: 0, end: 100.01, size: 5 }, name: 'final %' }],
    { title: { text: 'Distribution of final percentages' }, xaxis: { title: { text: 'final %' }, range: [0, 100] }, yaxis: { title: { text: 'students' } } });
  const letters = plot('letters', [{ type: 'bar', x: config.letters.map((l) => l.letter), y: letterCounts }],
    { title: { text: 'Letter grades' }, yaxis: { title: { text: 'students' } } });
  const boxes = plot('items', stats.map((s) => ({
    type: 'box', name: s.assignment, boxpoints: 'all', jitter: 0.4,
    y: grades.map((g) => g.items.find((i) => i.assignment === s.assignment)!).filter((i) => i.status === 'graded').map((i) => i.pct),
  })), { title: { text: 'Score per assignment (% after late penalty)' }, yaxis: { range: [0, 105] }, showlegend: false });
  const statRows = stats.map((s) => `<tr><td>${esc(s.title)} (${esc(s.assignment)})</td><td>${s.maxPoints}</td><td>${s.graded}</td><td>${s.missing}</td><td>${s.excused}</td><td>${s.late}</td><td>${s.extended}</td><td>${f2(s.mean)}</td><td>${f2(s.median)}</td><td>${f2(s.sd)}</td><td>${f2(s.min)}</td><td>${f2(s.max)}</td></tr>`).join('\n');
  const studentRows = grades.map((g) => `<tr><td><a href="students/${esc(g.studentId)}.html">${esc(g.studentId)}</a></td><td>${esc(g.name)}</td><td>${esc(g.team)}</td><td>${f2(g.finalRounded)}</td><td>${esc(g.letter)}</td></tr>`).join('\n');
  const weights = config.components.map((c) => `${esc(c.title)} ${c.weight} %`).join(', ');
  const body = `<h1>${esc(config.course.title)} — class report</h1>
<p class="note">${esc(config.course.term)} · ${grades.length} students · weights: ${weights} · times in ${esc(config.course.time_zone)} · final percentage rounded half-up to ${config.rounding.decimals} decimals before the letter cut-offs.</p>
${histogram}
${letters}
<h2>Per-assignment statistics</h2>
<p class="note">Percentages after the late penalty, over graded submissions; missing work counts 0 in the final grade but is not in these statistics.</p>
<table id="assignment-stats"><tr><th>assignment</th><th>max</th><th>graded</th><th>missing</th><th>excused</th><th>late</th><th>extended</th><th>mean %</th><th>median %</th><th>sd</th><th>min %</th><th>max %</th></tr>
${statRows}</table>
${boxes}
${attentionHtml(grades)}
<h2>Students</h2>
<table id="students"><tr><th>id</th><th>name</th><th>team</th><th>final %</th><th>letter</th></tr>
${studentRows}</table>`;
  return page(`${config.course.title} — class report`, body, true);
}

/** Items that need the instructor: autograde crashes and timeouts not yet resolved or overridden. */
function attentionHtml(grades: StudentGrade[]): string {
  const rows = grades.flatMap((g) => g.items.filter((i) => i.flag).map((i) =>
    `<tr><td><a href="students/${esc(g.studentId)}.html">${esc(g.studentId)}</a></td><td>${esc(i.assignment)}</td><td class="status-${esc(i.flag!)}">${esc(i.flag!)}</td><td>${i.raw ?? 0} / ${i.maxPoints}</td></tr>`));
  if (rows.length === 0) return '<p class="note" id="attention">No autograde crash or timeout is waiting to be resolved.</p>';
  return `<h2>Autograde failures to resolve (${rows.length})</h2>
<p class="note">These submissions could not be graded normally; their points are what the autograder reported. Regrade, override
(<code>gradebook override</code>) or accept them (<code>gradebook resolve</code>).</p>
<table id="attention"><tr><th>student</th><th>assignment</th><th>status</th><th>points</th></tr>
${rows.join('\n')}</table>`;
}

function itemRow(i: ItemGrade, zone: string): string {
  if (i.status === 'excused') return `<tr class="excused"><td>${esc(i.title)}</td><td colspan="7">excused${i.comment ? ` — ${esc(i.comment)}` : ''}</td><td class="status">excused</td></tr>`;
  const late = i.late && i.late.periods > 0
    ? `<span class="late">${(i.late.lateSeconds / 3600).toFixed(2)} h (${(i.late.lateSeconds / 86400).toFixed(2)} days) late: ${i.late.overMax ? `${i.late.periods} periods, beyond the last accepted day → 0` : `${i.late.periods} period${i.late.periods === 1 ? '' : 's'} charged`}</span>`
    : i.late?.withinGrace ? `within grace (${(i.late.lateSeconds / 3600).toFixed(2)} h)` : i.lateHours !== null ? `${i.lateHours.toFixed(2)} h late, no late policy` : i.submittedAt ? 'on time' : '';
  const label = itemStatusLabel(i);
  const statusCell = `<td class="status status-${esc(label)}">${esc(label)}${i.flag ? ' <span class="note">(autograde could not grade it normally: resolve or override)</span>' : ''}${i.notes.map((n) => `<br><span class="note">${esc(n)}</span>`).join('')}</td>`;
  const raw = i.status === 'missing' ? 'missing' : i.source === 'team'
    ? `${i.teamPoints} team ${i.adjustment >= 0 ? '+' : '−'} ${Math.abs(i.adjustment)} = ${i.raw}`
    : `${i.raw}${i.source === 'manual' ? ' (manual)' : i.source === 'override' ? ' (override)' : ''}`;
  return `<tr><td>${esc(i.title)}${i.counts ? '' : ' <span class="note">(recorded, not counted)</span>'}</td><td>${esc(showLocal(i.effectiveDue, zone))}${i.extension ? `<br><span class="note">extension ${esc(i.extension)}</span>` : ''}</td><td>${esc(showLocal(i.submittedAt, zone))}</td><td>${esc(raw)}</td><td>${late}</td><td>${i.penalty ? `−${i.penalty}` : '0'}</td><td>${i.final} / ${i.maxPoints}</td><td>${f2(i.pct)}</td>${statusCell}</tr>`;
}

/** Comments for the student: manual scores' comments and the rubric of every manually graded part. */
function commentsHtml(items: ItemGrade[]): string {
  const parts = items.filter((i) => i.status !== 'excused' && (i.rubric.length > 0 || i.comment));
  if (parts.length === 0) return '';
  const section = (i: ItemGrade) => {
    const rubric = i.rubric.map((r) => `<h3>${esc(r.item)}: ${r.points} / ${r.maxPoints}</h3>
<table class="rubric"><tr><th>criterion</th><th>points</th></tr>
${r.criteria.map((c) => `<tr><td>${esc(c.text)}</td><td>${c.points} / ${c.max}</td></tr>`).join('\n')}</table>
${r.comment ? `<p class="comment">${esc(r.comment)}</p>` : ''}`).join('\n');
    const override = i.source === 'manual' && i.rubric.length > 0 ? '<p class="note">A manual score replaces the parts below.</p>' : '';
    return `<section class="item-comments" data-assignment="${esc(i.assignment)}"><h3>${esc(i.title)}</h3>${override}${i.comment ? `<p class="comment">${esc(i.comment)}</p>` : ''}${rubric}</section>`;
  };
  return `<h2>Manual grading and comments</h2>\n${parts.map(section).join('\n')}`;
}

/** One student's grade sheet: every item, penalty, component and how the final grade was computed. */
export function studentSheetHtml(config: CourseConfig, g: StudentGrade): string {
  const zone = config.course.time_zone;
  const used = g.components.filter((c) => c.pct !== null);
  const formula = used.length
    ? `${used.map((c) => `${c.weight} × ${f2(c.pct)}`).join(' + ')}${used.length < g.components.length ? ` ÷ ${used.reduce((s, c) => s + c.weight, 0)} (excused components re-weighted)` : ' ÷ 100'} = ${g.finalPct!.toFixed(4)} %`
    : 'every component is excused';
  const comps = g.components.map((c) => `<tr><td>${esc(c.title)}</td><td>${c.weight} %</td><td>${c.pct === null ? 'excused' : `${c.effectiveWeight.toFixed(2)} %`}</td><td>${f2(c.pct)}</td></tr>`).join('\n');
  const body = `<h1>Grade sheet: ${esc(g.name)} (${esc(g.studentId)})</h1>
<p>Section ${esc(g.section)} · team ${esc(g.team)} · ${esc(config.course.title)}, ${esc(config.course.term)}</p>
<h2>Items</h2>
<table><tr><th>item</th><th>due (${esc(zone)})</th><th>submitted</th><th>raw points</th><th>lateness</th><th>late penalty</th><th>final points</th><th>%</th><th>status</th></tr>
${g.items.map((i) => itemRow(i, zone)).join('\n')}</table>
${commentsHtml(g.items)}
<h2>Components</h2>
<p class="note">A component is the mean of its counted, non-excused item percentages; missing work counts 0.</p>
<table><tr><th>component</th><th>weight</th><th>weight used</th><th>%</th></tr>
${comps}</table>
<h2>Final grade</h2>
<p>${esc(formula)}</p>
<p>Rounded half-up to ${config.rounding.decimals} decimals: <strong>${f2(g.finalRounded)} %</strong> → letter <strong>${esc(g.letter)}</strong></p>
<p class="note">Cut-offs (inclusive): ${config.letters.map((l) => `${esc(l.letter)} ≥ ${l.min}`).join(', ')}</p>`;
  return page(`Grade sheet ${g.studentId}`, body, false);
}

/**
 * Writes `class-report.html` and `students/<id>.html` into `outDir` from
 * grades computed now. Returns the paths written.
 */
export function writeReports(db: Db, outDir: string): { classReport: string; studentSheets: string[] } {
  const config = getConfig(db);
  const grades = computeFinalGrades(db);
  mkdirSync(join(outDir, 'students'), { recursive: true });
  const classReport = join(outDir, 'class-report.html');
  writeFileSync(classReport, classReportHtml(config, grades));
  const studentSheets = grades.map((g) => {
    const p = join(outDir, 'students', `${g.studentId}.html`);
    writeFileSync(p, studentSheetHtml(config, g));
    return p;
  });
  return { classReport, studentSheets };
}
