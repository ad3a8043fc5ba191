// Generate the sample hw1 submissions (s001…s040) and their manifest from the
// released notebook: most students correct; the wrong answers students really
// write (wrong Q1 — graded once, not again in Q2; unstable softmax; perceptron
// rule that always adds x and mutates w; gradient check that never restores the
// weight; backward pass without the hidden slope y(1−y); batch gradient summed
// instead of averaged); one endless loop, one that throws, a few with damaged
// notebooks (lost ids, duplicated or moved cells). grading/test/homework-hw1.test.ts
// asserts their scores. Run after `npm run build`: node data/hw1/make-samples.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root, sampleKit, text, writeSamples } from '../samples.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(root, 'notebooks/hw1-backprop/hw1-backprop.source.ipynb');
const { released, submission, cell: sol } = sampleKit(source, 'hw1');
const replace = (from, to) => (code) => code.replace(from, to);

const variants = {
  // Wrong Q1 (y(1 + y)): costs Q1's points only; Q2 is graded with the reference Q1.
  s007: { 'q1-solution': replace('y * (1 - y)', 'y * (1 + y)') },
  s009: { 'q3-solution': replace('const m = Math.max(...z);', 'let m = 0;\n  while (m >= 0) m = (m + 1) % 7; // endless') },
  // Unstable softmax: e^z overflows for large z.
  s011: { 'q3-solution': replace('Math.exp(v - m)', 'Math.exp(v)') },
  // Perceptron rule that always adds x, and changes w in place.
  s013: { 'q4-solution': replace('return w.map((wi, i) => (t === 1 ? wi + x[i] : wi - x[i]));', 'for (let i = 0; i < w.length; i++) w[i] += x[i];\n  return w;') },
  s015: { 'q2-solution': (c) => c + "\nthrow new Error('my experiment broke');" },
  // Backward pass that forgets the hidden units' slope y(1 − y).
  s017: { 'q2-solution': replace('s + row[j] * dOut[k], 0) * logisticDerivative(y));', 's + row[j] * dOut[k], 0));') },
  // Gradient check that never puts the weight back.
  s021: { 'q5-solution': replace('    w[i] = old;\n', '') },
  // Batch gradient summed over the cases instead of averaged (Q6).
  s023: { 'q6-solution': replace('(v / sum - T[n][k]) / B)', '(v / sum - T[n][k]))') },
  s025: { 'q5-solution': () => released.cells.map((c) => (c.metadata.course_kit?.id === 'q5-solution' ? text(c) : '')).join('') },
  s027: { 'q1-solution': replace('y * (1 - y)', 'logistic(y) * (1 - logistic(y))') },
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

const rows = [];
for (let n = 1; n <= 40; n++) {
  const id = `s${String(n).padStart(3, '0')}`;
  if (id === 's005') {
    rows.push({ id, notebook: null }); // no submission
    continue;
  }
  // Due 2027-04-16 23:59 America/Los_Angeles (PDT, UTC−7).
  let at;
  if (id === 's002') at = '2027-04-18T07:11:00-07:00'; // 1.3 days late
  else if (id === 's004') at = '2027-04-18T23:00:00-07:00'; // about 2 days late (extension)
  else if (n % 5 === 0) at = `2027-04-16T${String(10 + (n % 9)).padStart(2, '0')}:${String((n * 7) % 60).padStart(2, '0')}:00Z`;
  else if (n % 7 === 0) at = `2027-04-15T${String(8 + (n % 12)).padStart(2, '0')}:30:00`; // course time zone
  else at = `2027-04-${n % 3 === 0 ? 14 : 16}T${String(9 + (n % 14)).padStart(2, '0')}:${String((n * 13) % 60).padStart(2, '0')}:00-07:00`;
  rows.push({ id, notebook: submission(variants[id], damages[id]), at });
}
writeSamples(here, 'hw1', rows);
