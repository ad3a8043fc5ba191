// Shared by data/hw*/make-samples.mjs: sample submissions are the released
// student notebook with the reference solutions typed in (as a student would:
// no markers), then edited per solution cell, then optionally damaged.
// Run after `npm run build` (it uses grading/dist).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { readNotebook, loadAssignment } = require(join(root, 'grading/dist/autograde/notebook.js'));
const { releaseAssignment } = require(join(root, 'grading/dist/autograde/release.js'));

export const text = (cell) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);
const lines = (s) => s.split('\n').map((l, i, a) => (i < a.length - 1 ? l + '\n' : l)).filter((l) => l !== '');

/** The released notebook of `source` and a `submission(edits, damage)` builder. */
export function sampleKit(source, name) {
  const assignment = loadAssignment(readNotebook(source), name, source);
  const released = releaseAssignment(assignment);
  const reference = new Map(
    assignment.cells
      .filter((c) => c.meta?.kind === 'solution')
      .map((c) => [c.meta.id, c.code.split('\n').filter((l) => !/\/\/ (BEGIN|END) SOLUTION/.test(l)).join('\n')]),
  );
  /** A submission: released notebook with solutions filled in; `edits[id](code)` changes a solution. */
  function submission(edits = {}, damage) {
    const nb = structuredClone(released);
    let count = 1;
    for (const cell of nb.cells) {
      const id = cell.metadata.course_kit?.id;
      if (cell.cell_type === 'code') cell.execution_count = count++;
      if (cell.metadata.course_kit?.kind !== 'solution') continue;
      let code = reference.get(id);
      if (edits[id]) {
        const edited = edits[id](code);
        if (edited === code) throw new Error(`${name} sample: the edit of ${id} changed nothing (the reference solution changed?)`);
        code = edited;
      }
      cell.source = lines(code);
    }
    if (damage) damage(nb);
    return nb;
  }
  const cell = (id) => (nb) => nb.cells.find((c) => c.metadata.course_kit?.id === id);
  return { assignment, released, reference, submission, cell };
}

/** Write `<dir>/submissions/<id>-<name>.ipynb` for every row (notebook null: no submission) and the manifest. */
export function writeSamples(dir, name, rows) {
  const subs = join(dir, 'submissions');
  rmSync(subs, { recursive: true, force: true });
  mkdirSync(subs, { recursive: true });
  const csv = ['student_id,file,submitted_at'];
  for (const { id, notebook, at } of rows) {
    if (!notebook) {
      csv.push(`${id},,`);
      continue;
    }
    const file = `${id}-${name}.ipynb`;
    writeFileSync(join(subs, file), JSON.stringify(notebook, null, 1) + '\n');
    csv.push(`${id},${file},${at}`);
  }
  writeFileSync(join(dir, 'manifest.csv'), csv.join('\n') + '\n');
  console.log(`wrote ${csv.length - 1} manifest rows and ${rows.filter((r) => r.notebook).length} submissions to ${subs}`);
}
