import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { INSTALL_HELP, ROOT_ADVICE, USAGE, planLab, type LabEnvironment } from '../src/notebook/lab';
import { hasJupyter } from '../src/notebook/runner';

const root = resolve(__dirname, '../..');
const LAB = join(root, 'grading', 'dist', 'notebook', 'lab.js');
const machine = (o: Partial<{ isRoot: boolean; lab: boolean; notebook: boolean }>): LabEnvironment => ({
  isRoot: o.isRoot ?? false,
  hasLab: () => o.lab ?? false,
  hasNotebook: () => o.notebook ?? false,
});

describe('npm run lab: what it does with its arguments', () => {
  it('prefers JupyterLab, falls back to the classic Notebook, and passes other options to Jupyter', () => {
    expect(planLab(['--no-browser'], machine({ lab: true, notebook: true }))).toEqual({ action: 'start', app: 'lab', args: ['lab', '--no-browser'] });
    expect(planLab(['--no-browser', '--port=8899'], machine({ notebook: true }))).toEqual({
      action: 'start',
      app: 'notebook',
      args: ['notebook', '--no-browser', '--port=8899'],
    });
    expect(planLab(['--notebook'], machine({ lab: true, notebook: true }))).toEqual({ action: 'start', app: 'notebook', args: ['notebook'] });
  });

  it('as root asks for --allow-root (Jupyter refuses root without it) and passes it on', () => {
    expect(planLab([], machine({ isRoot: true, notebook: true }))).toEqual({ action: 'advice', text: ROOT_ADVICE, exitCode: 1 });
    expect(ROOT_ADVICE).toContain('npm run lab -- --allow-root');
    expect(planLab(['--no-browser', '--allow-root'], machine({ isRoot: true, notebook: true }))).toEqual({
      action: 'start',
      app: 'notebook',
      args: ['notebook', '--no-browser', '--allow-root'],
    });
  });

  it('without Jupyter leads with what works on Debian/Ubuntu, then pipx or a virtual environment for Lab', () => {
    expect(planLab([], machine({}))).toEqual({ action: 'advice', text: INSTALL_HELP, exitCode: 1 });
    const at = (s: string) => {
      const i = INSTALL_HELP.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('sudo apt-get install jupyter-notebook jupyter-client')).toBeLessThan(at('pipx install --include-deps jupyterlab'));
    expect(at('pipx install')).toBeLessThan(at('python3 -m venv'));
    // A bare system-wide pip install fails on Debian 12 (externally-managed-environment).
    expect(INSTALL_HELP).not.toMatch(/^\s*(sudo )?pip3? install/m);
    expect(INSTALL_HELP).toContain('--allow-root');
  });

  it('--help explains its own options and the Jupyter ones students need', () => {
    expect(planLab(['--help'], machine({}))).toEqual({ action: 'help', text: USAGE, exitCode: 0 });
    expect(USAGE).toContain('npm run lab -- --no-browser');
    expect(USAGE).toContain('--allow-root');
  });

  it('the docs say the same as the command', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const notebooks = readFileSync(join(root, 'notebooks', 'README.md'), 'utf8');
    for (const doc of [readme, notebooks]) {
      expect(doc).toContain('sudo apt-get install jupyter-notebook jupyter-client');
      expect(doc).toContain('npm run lab -- --no-browser');
      expect(doc).toContain('--allow-root');
      expect(doc).not.toMatch(/^\s*(sudo )?pip3? install (notebook|jupyterlab)\b/m);
    }
    expect(notebooks).toContain('pipx install --include-deps jupyterlab');
    // Each command once in the README's command table.
    const table = readme.split('\n').filter((l) => /^\| `npm run/.test(l)).map((l) => l.split('|')[1]!.trim());
    expect(table.length).toBeGreaterThan(3);
    expect(new Set(table).size).toBe(table.length);
  });
});

describe.runIf(existsSync(LAB))('npm run lab: the command', () => {
  const state = mkdtempSync(join(tmpdir(), 'lab-cmd-'));
  afterAll(() => rmSync(state, { recursive: true, force: true }));
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...process.env,
    HOME: state,
    JUPYTER_CONFIG_DIR: join(state, 'config'),
    JUPYTER_DATA_DIR: join(state, 'data'),
    JUPYTER_RUNTIME_DIR: join(state, 'runtime'),
    ...extra,
  });

  it('prints its help, and the install help (exit 1) where Jupyter is not on PATH', () => {
    const help = spawnSync(process.execPath, [LAB, '--help'], { env: env(), encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout.trim()).toBe(USAGE);
    // An empty PATH folder: no jupyter (node itself is started by its full path).
    const emptyBin = join(state, 'empty-bin');
    mkdirSync(emptyBin, { recursive: true });
    const none = spawnSync(process.execPath, [LAB], { env: env({ PATH: emptyBin }), encoding: 'utf8' });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(INSTALL_HELP);
  });

  it.runIf(hasJupyter('notebook'))('starts the Notebook with --no-browser (and --allow-root as root), the kit kernel and plotly renderer served', async () => {
    const port = await new Promise<number>((res) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => res(p));
      });
    });
    const token = 'labtest';
    if (process.getuid?.() === 0) {
      const refused = spawnSync(process.execPath, [LAB, '--notebook', '--no-browser'], { env: env(), encoding: 'utf8' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(ROOT_ADVICE);
    }
    const args = ['--notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--NotebookApp.token=${token}`];
    if (process.getuid?.() === 0) args.push('--allow-root');
    // Its own process group, so that the test can stop lab.js and Jupyter together.
    const child = spawn(process.execPath, [LAB, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}/${path}?token=${token}`);
      return { status: r.status, text: await r.text() };
    };
    try {
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`npm run lab exited (${child.exitCode}):\n${log}`);
        const up = await get('api/status').catch(() => undefined);
        if (up?.status === 200) break;
        if (Date.now() > deadline) throw new Error(`no server after 90 s:\n${log}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(JSON.parse((await get('api/kernelspecs')).text).kernelspecs).toHaveProperty('course-kit-tslab');
      expect(JSON.parse((await get('api/config/notebook')).text)).toMatchObject({ load_extensions: { 'course-kit-plotly/main': true } });
      const main = await get('nbextensions/course-kit-plotly/main.js');
      expect(main.status).toBe(200);
      expect(main.text).toContain('register_mime_type');
      expect((await get('nbextensions/course-kit-plotly/plotly.min.js')).status).toBe(200);
      expect(log).toContain('Starting jupyter notebook');
      expect(log).not.toMatch(/Running as root is not recommended\. Use --allow-root/);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
    }
  }, 150_000);
});
