// Generate the sample hw1 submissions (s001…s040) and their manifest from the
// released notebook: most students correct, some partly wrong, one endless
// loop, one that throws, a few with damaged notebooks (lost ids, duplicated
// or moved cells). Run after `npm run build`: node data/hw1/make-samples.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { readNotebook, loadAssignment } = require(join(root, 'grading/dist/autograde/notebook.js'));
const { releaseAssignment } = require(join(root, 'grading/dist/autograde/release.js'));

const source = join(root, 'notebooks/hw1-backprop/hw1-backprop.source.ipynb');
const assignment = loadAssignment(readNotebook(source), 'hw1', source);
const released = releaseAssignment(assignment);

const text = (cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);
const lines = (s) => s.split('\n').map((l, i, a) => (i < a.length - 1 ? l + '\n' : l)).filter((l) => l !== '');
// The reference solutions, as a student would type them (no markers).
const reference = new Map(
  assignment.cells.filter((c) => c.meta?.kind === 'solution').map((c) => [c.meta.id, c.code.split('\n').filter((l) => !/\/\/ (BEGIN|END) SOLUTION/.test(l)).join('\n')]),
);

/** A submission: released notebook with solutions filled in; `edit(id, code)` changes a solution. */
function submission(edits = {}, damage) {
  const nb = structuredClone(released);
  let count = 1;
  for (const cell of nb.cells) {
    const id = cell.metadata.course_kit?.id;
    if (cell.cell_type === 'code') cell.execution_count = count++;
    if (cell.metadata.course_kit?.kind !== 'solution') continue;
    let code = reference.get(id);
    if (edits[id]) code = edits[id](code);
    cell.source = lines(code);
  }
  if (damage) damage(nb);
  return nb;
}

const sol = (id) => (nb) => nb.cells.find((c) => c.metadata.course_kit?.id === id);
const variants = {
  s007: { 'q1-solution': (c) => c.replace('y * (1 - y)', 'y * (1 + y)') },
  s009: { 'q3-solution': (c) => c.replace('const m = Math.max(...z);', 'let m = 0;\n  while (m >= 0) m = (m + 1) % 7; // endless') },
  s011: { 'q3-solution': (c) => c.replace('Math.exp(v - m)', 'Math.exp(v)') },
  s013: { 'q4-solution': (c) => c.replace('return w.map((wi, i) => (t === 1 ? wi + x[i] : wi - x[i]));', 'for (let i = 0; i < w.length; i++) w[i] += t === 1 ? x[i] : -x[i];\n  return w;') },
  s015: { 'q2-solution': (c) => c + "\nthrow new Error('my experiment broke');" },
  s017: { 'q2-solution': (c) => c.replace('(y - target[k]) * logisticDerivative(y)', '(y - target[k])') },
  s021: { 'q5-solution': (c) => c.replace('w[i] = old - eps;\n    const minus = f(w);', 'w[i] = old;\n    const minus = f(w);').replace('(2 * eps)', 'eps') },
  s025: { 'q5-solution': () => released.cells.map((c) => (c.metadata.course_kit?.id === 'q5-solution' ? text(c) : '')).join('') },
  s027: { 'q1-solution': (c) => c.replace('y * (1 - y)', 'logistic(y) * (1 - logistic(y))') },
};
const damages = {
  // Metadata lost (cell copied into a new cell): recovered by the names it declares.
  s030: (nb) => { delete sol('q3-solution')(nb).metadata.course_kit; },
  // Duplicated cell: an old stub copy plus the edited one.
  s031: (nb) => { const c = sol('q4-solution')(nb); const i = nb.cells.indexOf(c); nb.cells.splice(i, 0, { ...structuredClone(released.cells[i]), execution_count: 2 }); },
  // Cells moved to the end.
  s033: (nb) => { const c = sol('q1-solution')(nb); nb.cells.splice(nb.cells.indexOf(c), 1); nb.cells.push(c); },
  // Solution cell turned into markdown by accident.
  s036: (nb) => { const c = sol('q4-solution')(nb); c.cell_type = 'markdown'; delete c.outputs; delete c.execution_count; },
};

const dir = join(here, 'submissions');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const rows = ['student_id,file,submitted_at'];
for (let n = 1; n <= 40; n++) {
  const id = `s${String(n).padStart(3, '0')}`;
  if (id === 's005') {
    rows.push(`${id},,`); // no submission
    continue;
  }
  const file = `${id}-hw1.ipynb`;
  writeFileSync(join(dir, file), JSON.stringify(submission(variants[id], damages[id]), null, 1) + '\n');
  // Due 2027-04-16 23:59 America/Los_Angeles (PDT, UTC−7).
  let at;
  if (id === 's002') at = '2027-04-18T07:11:00-07:00'; // 1.3 days late
  else if (id === 's004') at = '2027-04-18T23:00:00-07:00'; // about 2 days late (extension)
  else if (n % 5 === 0) at = `2027-04-16T${String(10 + (n % 9)).padStart(2, '0')}:${String((n * 7) % 60).padStart(2, '0')}:00Z`;
  else if (n % 7 === 0) at = `2027-04-15T${String(8 + (n % 12)).padStart(2, '0')}:30:00`; // course time zone
  else at = `2027-04-${n % 3 === 0 ? 14 : 16}T${String(9 + (n % 14)).padStart(2, '0')}:${String((n * 13) % 60).padStart(2, '0')}:00-07:00`;
  rows.push(`${id},${file},${at}`);
}
writeFileSync(join(here, 'manifest.csv'), rows.join('\n') + '\n');
console.log(`wrote ${rows.length - 1} manifest rows and ${rows.length - 2} submissions to ${dir}`);
