/**
 * The student kit: built by the CLI's builder, unpacked in a clean temp folder, installed offline from the
 * packed files only (empty npm cache, unreachable registry), the released homework's visible checks run
 * there against the installed library; the whole kit (and the packed library inside it) is searched for
 * every hidden test's code and every solution line of every source notebook.
 */
import { execFileSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative } from 'path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellSource, toSourceLines, type Notebook } from '../src/autograde/notebook';
import { buildStudentKit, leakCheck, secretLines, sourceNotebooks, type KitReport } from '../src/studentkit/build';
import { ROOT, hw1 } from './autograde-helpers';

let work: string;
let report: KitReport;
let installed: string;

/** A notebook's code cells as one CommonJS program (the cells declare distinct names, as in a kernel session). */
function program(nb: Notebook): string {
  const code = nb.cells.filter((c) => c.cell_type === 'code').map(cellSource).join('\n;\n');
  return ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
}

function runIn(dir: string, nb: Notebook, name: string): string {
  writeFileSync(join(dir, name), program(nb));
  try {
    return execFileSync(process.execPath, [name], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'course-kit-studentkit-'));
  report = buildStudentKit({ root: ROOT, assignment: 'hw1', out: join(work, 'out'), tgz: true });
  const clean = join(work, 'clean');
  execFileSync('mkdir', [clean]);
  execFileSync('tar', ['-xzf', report.tgz!, '-C', clean]);
  installed = join(clean, 'course-kit-hw1');
  // Offline, from the packed files only: an empty cache and a registry that does not answer.
  execFileSync('npm', ['install', '--offline', '--omit=optional', '--no-audit', '--no-fund', '--cache', join(work, 'empty-cache'), '--registry', 'http://127.0.0.1:9/'], {
    cwd: installed, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, npm_config_userconfig: join(work, 'no-npmrc') },
  });
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('student kit', () => {
  it('holds the packed library, the released homework, lectures, project starters, the kernel tool and a README', () => {
    const files = readdirSync(installed, { recursive: true }).map(String);
    expect(files).toEqual(expect.arrayContaining([
      'README.md', 'package.json', join('notebooks', 'hw1', 'hw1.ipynb'), join('notebooks', '05-backpropagation.ipynb'),
      join('notebooks', 'projects', 'final-project-starter.ipynb'), join('tools', 'kernelspec.js'), join('tools', 'lab.js'), join('tools', 'postinstall.js'), join('patches', 'tslab+1.0.22.patch'),
    ]));
    expect(files.some((f) => /^packages\/course-kit-lib-.*\.tgz$/.test(f))).toBe(true);
    expect(files.filter((f) => f.endsWith('.source.ipynb') || /answer-key/.test(f))).toEqual([]);
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    expect(readme).toMatch(/```sh\nnpm install .*\nnpm run lab .*\n```/);
    const released = JSON.parse(readFileSync(join(installed, 'notebooks', 'hw1', 'hw1.ipynb'), 'utf8')) as Notebook;
    expect((released.metadata.course_kit as { released?: boolean }).released).toBe(true);
  });

  it('installed offline from the packed files, with the library and its dependencies', () => {
    const lib = join(installed, 'node_modules', '@course-kit', 'lib');
    expect(existsSync(join(lib, 'dist', 'index.js'))).toBe(true);
    const out = execFileSync(process.execPath, ['-e', "const l = require('@course-kit/lib'); const m = require.resolve('mathjs', { paths: [require.resolve('@course-kit/lib')] }); console.log(typeof l.check, m.includes(process.cwd()))"], { cwd: installed, encoding: 'utf8' });
    expect(out.trim()).toBe('function true');
  });

  it("runs the released notebook's visible checks there: stubs fail, a solved copy passes", () => {
    const released = JSON.parse(readFileSync(join(installed, 'notebooks', 'hw1', 'hw1.ipynb'), 'utf8')) as Notebook;
    const stub = runIn(installed, released, 'stub-checks.js');
    expect(stub).toMatch(/FAIL q1\.\S+ .*not implemented/);
    // a student who solved it: the reference solutions typed into the released cells (test side only)
    const { reference } = hw1();
    const solved = structuredClone(released);
    for (const c of solved.cells) {
      const id = (c.metadata.course_kit as { id?: string; kind?: string } | undefined);
      if (id?.kind === 'solution') c.source = toSourceLines(reference.get(id.id!)!);
    }
    const out = runIn(installed, solved, 'solved-checks.js');
    const questions = [...new Set(released.cells.map((c) => (c.metadata.course_kit as { question?: string } | undefined)?.question).filter(Boolean))];
    expect(questions.length).toBeGreaterThan(3);
    expect(out).not.toMatch(/FAIL/);
    for (const q of questions) expect(out).toMatch(new RegExp(`^${q}: (visible tests passed|all \\d+ tests passed)`, 'm'));
  });

  it('contains no hidden test code and no solution line of any source notebook, anywhere (also inside the packed library)', () => {
    const secrets = secretLines(sourceNotebooks(ROOT));
    expect(secrets.hidden.length).toBeGreaterThan(10);
    expect(secrets.solution.length).toBeGreaterThan(10);
    // the only overlap allowed is the library's own code (public anyway), and only inside the library
    const allowed = new Set(report.libOverlap);
    expect(leakCheck(join(work, 'out', 'course-kit-hw1'), secrets, allowed)).toEqual([]);
    // an independent plain search of every text file outside the packed library (decoded notebooks too)
    const kit = join(work, 'out', 'course-kit-hw1');
    const texts = readdirSync(kit, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.name.endsWith('.tgz'))
      .map((d) => relative(kit, join(d.parentPath, d.name)))
      .flatMap((f) => {
        try {
          const raw = readFileSync(join(kit, f), 'utf8');
          return f.endsWith('.ipynb') ? [raw, (JSON.parse(raw) as Notebook).cells.map(cellSource).join('\n')] : [raw];
        } catch {
          return [];
        }
      });
    const found = [...secrets.hidden, ...secrets.solution].filter((s) => texts.some((t) => t.includes(s.line)));
    expect(found).toEqual([]);
  });

  it('the leak check finds a planted hidden test line and a source notebook', () => {
    const secrets = secretLines(sourceNotebooks(ROOT));
    const copy = join(work, 'planted');
    cpSync(join(work, 'out', 'course-kit-hw1'), copy, { recursive: true, filter: (src) => !src.endsWith('.tgz') });
    writeFileSync(join(copy, 'notebooks', 'notes.md'), `tips\n${secrets.hidden[0]!.line}\n`);
    cpSync(sourceNotebooks(ROOT)[0]!, join(copy, 'notebooks', 'x.source.ipynb'));
    const leaks = leakCheck(copy, secrets, new Set(report.libOverlap));
    expect(leaks.some((l) => l.file === join('notebooks', 'notes.md') && l.kind === 'hidden test')).toBe(true);
    expect(leaks.some((l) => l.kind === 'source notebook')).toBe(true);
  });

  it('allows the library-overlap lines only inside the packed library', () => {
    expect(report.libOverlap).toContain('return y * (1 - y);'); // the lecture's logistic derivative, in lib/dist/units.js
    // the installed copy is the packed library's content
    const dist = join(installed, 'node_modules', '@course-kit', 'lib', 'dist');
    expect(readFileSync(join(dist, 'units.js'), 'utf8')).toContain('return y * (1 - y);');
    const strict = leakCheck(dist, secretLines(sourceNotebooks(ROOT)));
    expect(strict.map((l) => l.line)).toContain('return y * (1 - y);'); // without the allowance it is reported
  });
});
