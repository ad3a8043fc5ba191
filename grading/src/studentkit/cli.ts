/** `student-kit`: build the download for students (registered on the course-autograde CLI). */
import type { Command } from 'commander';
import { projectRoot } from '../notebook/kernelspec';
import { buildStudentKit } from './build';

export function registerStudentKitCommand(program: Command): void {
  program
    .command('student-kit')
    .description('build the student kit of an assignment: packed library, released notebook, lectures, project starters, kernel spec tool, README (no solutions, hidden tests or answer keys; checked)')
    .argument('<assignment>', 'assignment id, e.g. hw1 (its source notebook is found under notebooks/)')
    .option('-o, --out <dir>', 'output folder', 'build/student-kit')
    .option('--no-tgz', 'write the folder only, no .tgz')
    .action((assignment: string, o: { out: string; tgz: boolean }) => {
      const r = buildStudentKit({ root: projectRoot(), assignment, out: o.out, tgz: o.tgz });
      console.log(`student kit → ${r.dir}${r.tgz ? ` and ${r.tgz}` : ''} (${r.files.length} files; leak check passed)`);
      if (r.libOverlap.length) console.log(`  ${r.libOverlap.length} solution line(s) are also the library's own code (allowed inside packages/ only): ${r.libOverlap.join(' | ')}`);
      for (const w of r.warnings) console.log(`  warning: ${w}`);
    });
}
