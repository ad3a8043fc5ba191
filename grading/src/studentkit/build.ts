/**
 * The student kit: what students download to work on a homework outside the kit repository.
 *
 *   course-kit-<assignment>/
 *     README.md                     two commands: npm install, npm run lab
 *     package.json                  @course-kit/lib from the packed file; tslab (the kernel) from npm
 *     packages/course-kit-lib-<v>.tgz   npm pack of lib with its dependencies bundled (installs offline)
 *     notebooks/<assignment>/<assignment>.ipynb   the released homework (solutions stubbed, hidden tests removed)
 *     notebooks/*.ipynb             lecture notebooks; projects/*.ipynb: final-project starters
 *     tools/kernelspec.js, tools/lab.js   the kernel spec generator and the Jupyter launcher
 *     tools/postinstall.js, patches/      tslab patched as in the repository (patch-package), then the kernel spec
 *
 * It never contains a source notebook, a reference solution, a hidden test or an answer key: the build
 * checks every file it wrote (and every file inside the packed library) against the solution and hidden
 * test lines of every source notebook in the repository, and fails naming the file and line if one
 * appears (`leakCheck`). Lines that are also part of the library's own code (the lecture's formulas, e.g.
 * the logistic derivative y(1 − y), which students import anyway) are allowed inside the library only, and
 * listed in the report.
 */
import { execFileSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { basename, dirname, join, relative } from 'path';
import { cellSource, loadAssignment, readNotebook, type Assignment } from '../autograde/notebook';
import { assignmentName, releaseAssignment } from '../autograde/release';
import { KERNEL_NAME, DISPLAY_NAME } from '../notebook/kernelspec';

export interface KitOptions {
  /** The kit repository root (with lib/, notebooks/). */
  root: string;
  /** Assignment id, e.g. hw1. */
  assignment: string;
  /** Output folder; the kit is written to <out>/course-kit-<assignment>/ (default build/student-kit). */
  out: string;
  /** Also write <out>/course-kit-<assignment>.tgz. */
  tgz?: boolean;
}

export interface KitReport {
  dir: string;
  tgz: string | null;
  files: string[];
  libTarball: string;
  /** Solution or hidden-test lines that are also the library's own code (allowed inside it only; see above). */
  libOverlap: string[];
  warnings: string[];
}

/** Every homework source notebook under notebooks/ (instructor only). */
export function sourceNotebooks(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.source.ipynb')) out.push(p);
    }
  };
  walk(join(root, 'notebooks'));
  return out.sort();
}

/** The source notebook of an assignment id (by notebook metadata or file name). */
export function findSource(root: string, assignment: string): { path: string; assignment: Assignment } {
  const found = sourceNotebooks(root).map((p) => ({ p, nb: readNotebook(p) })).filter(({ p, nb }) => assignmentName(nb, p) === assignment);
  if (found.length === 0) throw new Error(`no source notebook for "${assignment}" under notebooks/ (known: ${sourceNotebooks(root).map((p) => assignmentName(readNotebook(p), p)).join(', ')})`);
  if (found.length > 1) throw new Error(`${found.length} source notebooks claim "${assignment}": ${found.map((f) => f.p).join(', ')}`);
  return { path: found[0]!.p, assignment: loadAssignment(found[0]!.nb, assignment, found[0]!.p) };
}

/** A line is worth searching for if it says something: at least 12 non-space characters, not only punctuation. */
function distinctive(line: string): boolean {
  const t = line.trim();
  return t.replace(/\s/g, '').length >= 12 && /[A-Za-z0-9]/.test(t) && !/^\/\/\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)$/.test(t);
}

export interface SecretLines {
  /** Reference-solution lines and model answers of written-answer cells. */
  solution: { line: string; where: string }[];
  /** Hidden test code lines. */
  hidden: { line: string; where: string }[];
}

/**
 * The lines a student kit must never contain, from every source notebook: solution regions, written
 * answers' model answers, hidden test regions. Lines that the released notebook itself shows (e.g. a
 * signature repeated inside a region) are not secret.
 */
export function secretLines(sources: string[]): SecretLines {
  const out: SecretLines = { solution: [], hidden: [] };
  for (const path of sources) {
    const nb = readNotebook(path);
    const a = loadAssignment(nb, assignmentName(nb, path), path);
    const released = new Set(releaseAssignment(a).cells.flatMap((c) => cellSource(c).split('\n')).map((l) => l.trim()));
    for (const c of a.cells) {
      for (const s of c.segments) {
        if (s.region === 'plain') continue;
        for (const line of s.code.split('\n')) {
          if (!distinctive(line) || released.has(line.trim())) continue;
          (s.region === 'hidden' ? out.hidden : out.solution).push({ line: line.trim(), where: `${basename(path)} ${c.meta?.id ?? `cell ${c.index + 1}`}` });
        }
      }
    }
  }
  return out;
}

/** All files under dir (relative paths), following no symlinks. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Unpacks a .tgz into a new temp folder (system tar: no extra dependency). */
export function unpack(tgz: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'course-kit-unpack-'));
  execFileSync('tar', ['-xzf', tgz, '-C', dir]);
  return dir;
}

export interface Leak {
  file: string;
  line: string;
  kind: 'solution' | 'hidden test' | 'source notebook' | 'answer key';
  where: string;
}

/**
 * Searches every file of a kit folder, and every file inside each .tgz in it, for secret lines (with the
 * system's grep -F, which matches all lines in one pass; notebooks store lines JSON-escaped, so both forms
 * are searched). Returns the leaks; `allowedInLib` lines (the library's own code) are not leaks inside the
 * packed library.
 */
export function leakCheck(kitDir: string, secrets: SecretLines, allowedInLib: Set<string> = new Set()): Leak[] {
  const leaks: Leak[] = [];
  const kindOf = new Map<string, { kind: Leak['kind']; where: string; line: string }>();
  for (const [kind, list] of [['solution', secrets.solution], ['hidden test', secrets.hidden]] as const) {
    for (const s of list) {
      for (const form of new Set([s.line, JSON.stringify(s.line).slice(1, -1)])) if (!kindOf.has(form)) kindOf.set(form, { kind, where: s.where, line: s.line });
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'course-kit-leak-'));
  try {
    const patterns = join(work, 'patterns');
    writeFileSync(patterns, [...kindOf.keys()].join('\n') + '\n');
    const scan = (base: string, prefix: string, insideLib: boolean) => {
      for (const rel of listFiles(base)) {
        if (/\.source\.ipynb$/.test(rel)) leaks.push({ file: prefix + rel, line: '', kind: 'source notebook', where: rel });
        if (/answer-key/.test(basename(rel))) leaks.push({ file: prefix + rel, line: '', kind: 'answer key', where: rel });
        if (rel.endsWith('.tgz')) {
          const dir = unpack(join(base, rel));
          try {
            scan(dir, `${prefix}${rel}!/`, /course-kit-lib/.test(rel));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }
      }
      if (kindOf.size === 0) return;
      let out = '';
      try {
        out = execFileSync('grep', ['-rFaoH', '--exclude=*.tgz', '-f', patterns, '.'], { cwd: base, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
      } catch (e) {
        if ((e as { status?: number }).status !== 1) throw e; // 1: no match
      }
      for (const hit of out.split('\n').filter(Boolean)) {
        const at = hit.indexOf(':');
        const file = hit.slice(0, at).replace(/^\.\//, '');
        const s = kindOf.get(hit.slice(at + 1));
        if (!s || (insideLib && allowedInLib.has(s.line))) continue;
        leaks.push({ file: prefix + file, line: s.line, kind: s.kind, where: s.where });
      }
    };
    scan(kitDir, '', false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return leaks;
}

/** Resolves a package directory from `from` the way Node does (nearest node_modules up the tree). */
function resolvePackage(name: string, from: string): string | null {
  for (let d = from; ; d = dirname(d)) {
    const c = join(d, 'node_modules', name);
    if (existsSync(join(c, 'package.json'))) return realpathSync(c);
    if (dirname(d) === d) return null;
  }
}

/**
 * Packs lib with its whole dependency closure bundled (npm's bundleDependencies), so that
 * `npm install --offline` of the tarball needs nothing from a registry or cache.
 */
export function packLib(root: string, destDir: string): string {
  const libDir = join(root, 'lib');
  const pkg = JSON.parse(readFileSync(join(libDir, 'package.json'), 'utf8')) as { name: string; version: string; files?: string[]; dependencies?: Record<string, string>; scripts?: unknown; devDependencies?: unknown };
  if (!existsSync(join(libDir, 'dist', 'index.js'))) throw new Error('lib/dist is missing: run npm run build -w lib first');
  const stage = mkdtempSync(join(tmpdir(), 'course-kit-libpack-'));
  try {
    for (const f of pkg.files ?? ['dist']) cpSync(join(libDir, f), join(stage, f), { recursive: true });
    const deps = Object.keys(pkg.dependencies ?? {});
    // Copy the closure: a package found in a top-level node_modules goes to stage/node_modules/<name>;
    // nested versions travel inside their parent's folder.
    const seen = new Set<string>();
    const stack = deps.map((d) => ({ name: d, from: libDir }));
    while (stack.length > 0) {
      const { name, from } = stack.pop()!;
      const dir = resolvePackage(name, from);
      if (!dir) throw new Error(`packLib: dependency ${name} of ${from} is not installed (run npm ci)`);
      if (seen.has(dir)) continue;
      seen.add(dir);
      const nested = /node_modules[\\/].+[\\/]node_modules[\\/]/.test(dir.replace(/\\/g, '/'));
      if (!nested) cpSync(dir, join(stage, 'node_modules', name), { recursive: true, dereference: true });
      const dpkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const d of Object.keys(dpkg.dependencies ?? {})) stack.push({ name: d, from: dir });
    }
    const { scripts: _s, devDependencies: _d, ...rest } = pkg;
    void _s;
    void _d;
    writeFileSync(join(stage, 'package.json'), JSON.stringify({ ...rest, bundleDependencies: deps }, null, 2) + '\n');
    mkdirSync(destDir, { recursive: true });
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', destDir, stage], { encoding: 'utf8', env: { ...process.env, npm_config_ignore_scripts: 'true' } });
    return join(destDir, out.trim().split('\n').pop()!);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The kernel spec generator shipped in the kit (plain Node, no dependencies). */
const KERNELSPEC_JS = `#!/usr/bin/env node
// Writes the Jupyter kernel spec "${DISPLAY_NAME}" (${KERNEL_NAME}) for this folder:
// .jupyter-kernels/kernels/${KERNEL_NAME}/kernel.json, pointing at this folder's tslab.
// With --system it writes to the system-wide Jupyter folder instead (JupyterHub images; needs root).
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const tslab = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tslab.cmd' : 'tslab');
const system = process.argv.includes('--system');
const base = system ? (process.env.JUPYTER_DATA_DIR || '/usr/local/share/jupyter') : path.join(root, '.jupyter-kernels');
if (!fs.existsSync(tslab)) {
  console.warn('kernelspec: tslab is not installed (npm install needs the network for it); the library works without it');
  process.exit(0);
}
const dir = path.join(base, 'kernels', '${KERNEL_NAME}');
fs.mkdirSync(dir, { recursive: true });
const spec = { argv: [tslab, 'kernel', '--config-path', '{connection_file}'], display_name: '${DISPLAY_NAME}', language: 'typescript' };
fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\\n');
console.log('kernel "${DISPLAY_NAME}" written to ' + path.join(dir, 'kernel.json'));
`;

/** After npm install: apply the kit's patch to tslab (when tslab and patch-package came), then the kernel spec. */
const POSTINSTALL_JS = `#!/usr/bin/env node
// tslab 1.0.22 is patched as in the course repository (patches/): a folder appearing under a watched
// node_modules no longer breaks a running kernel ("Unexpected pending rebuildTimer").
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const root = path.resolve(__dirname, '..');
const patchPackage = path.join(root, 'node_modules', 'patch-package', 'index.js');
if (fs.existsSync(path.join(root, 'node_modules', 'tslab')) && fs.existsSync(patchPackage)) {
  const r = spawnSync(process.execPath, [patchPackage], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.warn('postinstall: patching tslab failed; the kernel works, but restart it after installing packages mid-session');
}
require('./kernelspec.js');
`;

const LAB_JS = `#!/usr/bin/env node
// Starts Jupyter on notebooks/ with this folder's kernel spec (JUPYTER_PATH).
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const root = path.resolve(__dirname, '..');
const env = { ...process.env, JUPYTER_PATH: path.join(root, '.jupyter-kernels') + (process.env.JUPYTER_PATH ? path.delimiter + process.env.JUPYTER_PATH : '') };
const child = spawn('jupyter', ['lab', '--notebook-dir', path.join(root, 'notebooks')], { env, stdio: 'inherit' });
child.on('error', () => { console.error('jupyter not found: install JupyterLab (pip install jupyterlab, or your system package), or open the notebooks in VS Code'); process.exit(1); });
child.on('exit', (code) => process.exit(code ?? 0));
`;

function readme(assignment: string, title: string, libTgz: string, tslabVersion: string): string {
  return `# ${title} — student kit

This folder has everything to work on **${assignment}** on your own computer: the course library
(\`@course-kit/lib\`, packed in \`packages/${libTgz}\` with all its dependencies), the homework notebook,
the lecture notebooks and the final-project starters. You need Node.js 20 or newer and, for notebooks,
Jupyter (or VS Code with the Jupyter extension).

\`\`\`sh
npm install      # the library from packages/ (no network needed for it) and the TypeScript kernel (tslab ${tslabVersion}, from npm)
npm run lab      # Jupyter on notebooks/ with the kernel "${DISPLAY_NAME}"
\`\`\`

Open \`notebooks/${assignment}/${assignment}.ipynb\`, write your code where a cell says
\`not implemented\`, and run \`check('q1')\` (etc.) to see the visible tests. Hidden tests run only when the
homework is graded. Submit the \`.ipynb\` file as your course asks.

- Without network: \`npm install --offline --omit=optional\` installs the library alone (for scripts and
  VS Code's TypeScript support); the kernel needs \`npm install\` once with network.
- VS Code: after \`npm install\`, pick the kernel "${DISPLAY_NAME}" (run \`npm run kernelspec\` if it is not listed
  and point VS Code's Jupyter at \`.jupyter-kernels/\`).
- Folders: \`notebooks/\` (homework, lectures), \`notebooks/projects/\` (final-project starters),
  \`tools/\` (kernel spec generator, Jupyter launcher, install step), \`patches/\` (the course's fix to tslab,
  applied on install: installing a package while a kernel runs no longer breaks it).
`;
}

/** Builds the kit folder (and .tgz); fails if any secret line or source notebook would be in it. */
export function buildStudentKit(opts: KitOptions): KitReport {
  const { path: sourcePath, assignment } = findSource(opts.root, opts.assignment);
  const name = `course-kit-${opts.assignment}`;
  const dir = join(opts.out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'notebooks', opts.assignment), { recursive: true });
  const warnings: string[] = [];
  writeFileSync(join(dir, 'notebooks', opts.assignment, `${opts.assignment}.ipynb`), JSON.stringify(releaseAssignment(assignment), null, 1) + '\n');
  const nbDir = join(opts.root, 'notebooks');
  for (const f of readdirSync(nbDir).filter((n) => n.endsWith('.ipynb') && !n.endsWith('.source.ipynb')).sort()) {
    const starter = /starter|project/i.test(f);
    const target = starter ? join(dir, 'notebooks', 'projects', f) : join(dir, 'notebooks', f);
    mkdirSync(dirname(target), { recursive: true });
    const nb = readNotebook(join(nbDir, f));
    // Committed notebooks carry no outputs; clear them anyway so nothing of an instructor's run ships.
    for (const c of nb.cells) if (c.cell_type === 'code') { c.outputs = []; c.execution_count = null; }
    writeFileSync(target, JSON.stringify(nb, null, 1) + '\n');
    const imports = [...JSON.stringify(nb.cells.map((c) => c.source)).matchAll(/from '([^']+)'/g)].map((m) => m[1]!)
      .filter((m) => m !== '@course-kit/lib' && !m.startsWith('@course-kit/lib/') && !/^(node:)?(fs|path|os|util|crypto|child_process|assert|url|zlib|events|stream)$/.test(m));
    if (imports.length > 0) warnings.push(`${f} imports ${[...new Set(imports)].join(', ')}, which the kit does not install`);
  }
  const libTarball = packLib(opts.root, join(dir, 'packages'));
  mkdirSync(join(dir, 'tools'));
  writeFileSync(join(dir, 'tools', 'kernelspec.js'), KERNELSPEC_JS);
  writeFileSync(join(dir, 'tools', 'lab.js'), LAB_JS);
  writeFileSync(join(dir, 'tools', 'postinstall.js'), POSTINSTALL_JS);
  const patches = join(opts.root, 'patches');
  if (existsSync(patches)) cpSync(patches, join(dir, 'patches'), { recursive: true, filter: (src) => !/\.patch$/.test(src) || /^tslab\+/.test(basename(src)) });
  const rootPkg = JSON.parse(readFileSync(join(opts.root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const patchPackage = rootPkg.dependencies?.['patch-package'] ?? rootPkg.devDependencies?.['patch-package'] ?? '8.0.1';
  const tslabVersion = (JSON.parse(readFileSync(join(opts.root, 'grading', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies.tslab ?? '1.0.22';
  const pkg = {
    name: `${name}-student`,
    version: '1.0.0',
    private: true,
    description: `${assignment.name}: student kit (library, notebooks; no solutions)`,
    dependencies: { '@course-kit/lib': `file:packages/${basename(libTarball)}` },
    // The kernel comes from npm; optional so that an offline install still installs the library.
    optionalDependencies: { tslab: tslabVersion, 'patch-package': patchPackage },
    scripts: { postinstall: 'node tools/postinstall.js', kernelspec: 'node tools/kernelspec.js', lab: 'node tools/lab.js' },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  writeFileSync(join(dir, 'README.md'), readme(opts.assignment, String((assignment.notebook.metadata.course_kit as { title?: string } | undefined)?.title ?? opts.assignment), basename(libTarball), tslabVersion));

  // The leak check: every source notebook's secrets against every file written (and inside the tarball).
  const secrets = secretLines(sourceNotebooks(opts.root));
  const libText = listFiles(join(opts.root, 'lib', 'dist')).map((f) => readFileSync(join(opts.root, 'lib', 'dist', f), 'latin1')).join('\n');
  const libOverlap = [...new Set([...secrets.solution, ...secrets.hidden].map((s) => s.line).filter((l) => libText.includes(l)))];
  const leaks = leakCheck(dir, secrets, new Set(libOverlap));
  if (leaks.length > 0) {
    throw new Error(`student kit ${dir} would leak:\n  ${leaks.slice(0, 20).map((l) => `${l.file}: ${l.kind}${l.line ? ` line "${l.line}"` : ''} (${l.where})`).join('\n  ')}\nnothing was published; fix the source or the notebooks`);
  }
  void sourcePath;
  let tgz: string | null = null;
  if (opts.tgz) {
    tgz = join(opts.out, `${name}.tgz`);
    execFileSync('tar', ['-czf', tgz, '-C', opts.out, name]);
  }
  return { dir, tgz, files: listFiles(dir), libTarball, libOverlap, warnings };
}
