/**
 * End to end, as a student works: a live Jupyter Notebook server (the
 * classic Notebook, Debian's jupyter-notebook 6.4) driven through headless
 * Chromium, with the kit's kernel spec and nbextension (`jupyterEnv`, as
 * `npm run lab` sets them).
 *
 * - Run all, re-run the first plot cell, save, reload the page: every plot
 *   draws; a plot cell re-run after the reload draws too.
 * - The saved notebook carries plotly.js exactly once: its size stays within
 *   one stored copy of the inlined plotly.js bundle (≈ 5.0 MB) plus 64 KB for
 *   the figures (before: re-running the first plot cell left no copy at all,
 *   and one copy per figure would have been ≈ 5 MB per plot).
 * - The saved notebook and one executed by nbconvert, opened fresh in a new
 *   server (new data and config dirs: the notebooks are untrusted there):
 *   every plot draws.
 * - Without the kit's renderer (how JupyterLab without plotly's extension
 *   shows them), trusted notebooks draw every plot from the HTML fallback:
 *   plotly.js from the carrying output, or, with that output gone, from the
 *   copy the kit's nbextension folder serves.
 * - The saved notebook exported to HTML by nbconvert draws every plot offline.
 *
 * Needs `jupyter notebook`, `jupyter nbconvert` and /usr/bin/chromium. Skipped
 * with a logged reason when they are missing, unless COURSE_KIT_REQUIRE_E2E=1,
 * which turns the skip into a failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import { createServer } from 'net';
import { join, resolve } from 'path';
import { pathToFileURL } from 'url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plotlyScript } from '@course-kit/lib';
import { installKernelSpec, jupyterEnv, projectRoot } from '../src/notebook/kernelspec';
import { readNotebook, writeNotebook, type Notebook } from '../src/notebook/nbformat';
import { exportHtmlWithJupyter, hasJupyter, runWithJupyter } from '../src/notebook/runner';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURE = resolve(__dirname, 'fixtures/notebooks/live-plots.ipynb');
/** Figures the fixture shows: curves; bars and heatmap; contour. */
const FIGURES = 4;
/** The first plot cell (0-based index among all cells). */
const FIRST_PLOT_CELL = 1;
const LAST_PLOT_CELL = 4;
/** Allowance for the fixture's four small figures (JSON, HTML and text of each) and notebook overhead. */
const FIGURE_ALLOWANCE = 64 * 1024;
const required = process.env.COURSE_KIT_REQUIRE_E2E === '1';

const missing: string[] = [];
if (!hasJupyter('notebook')) missing.push('jupyter notebook');
if (!hasJupyter('nbconvert')) missing.push('jupyter nbconvert');
if (!existsSync(CHROMIUM)) missing.push(CHROMIUM);
const available = missing.length === 0;

if (!available) {
  const reason = `e2e-live-notebook: ${missing.join(' and ')} not installed`;
  if (required) {
    describe('live Jupyter Notebook in Chromium', () => {
      it('has its tools (COURSE_KIT_REQUIRE_E2E=1)', () => {
        throw new Error(`${reason}; install them (see .ci/run) or unset COURSE_KIT_REQUIRE_E2E`);
      });
    });
  } else {
    console.warn(`${reason}: skipping (set COURSE_KIT_REQUIRE_E2E=1 to make this a failure)`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

interface LiveServer {
  url: (path: string) => string;
  stop: () => Promise<void>;
  log: () => string;
}

/**
 * A Notebook server on a free loopback port serving `dir`, with its own HOME,
 * config, data and runtime folders under `state` (so nothing is trusted there
 * yet) and the kit's kernel spec and nbextension on the Jupyter paths.
 */
function serverEnv(state: string, options: { renderer?: boolean } = {}): NodeJS.ProcessEnv {
  for (const sub of ['home', 'config', 'data', 'runtime']) mkdirSync(join(state, sub), { recursive: true });
  const kit = jupyterEnv(installKernelSpec(projectRoot()));
  // Without JUPYTER_CONFIG_PATH the kit's nbextension is installed (JUPYTER_PATH) but not enabled.
  if (options.renderer === false) delete kit.JUPYTER_CONFIG_PATH;
  return {
    ...kit,
    HOME: join(state, 'home'),
    JUPYTER_CONFIG_DIR: join(state, 'config'),
    JUPYTER_DATA_DIR: join(state, 'data'),
    JUPYTER_RUNTIME_DIR: join(state, 'runtime'),
    IPYTHONDIR: join(state, 'home', '.ipython'),
  };
}

async function startServer(dir: string, state: string, options: { renderer?: boolean } = {}): Promise<LiveServer> {
  const port = await freePort();
  const token = `t${Math.random().toString(36).slice(2)}`;
  const env = serverEnv(state, options);
  const args = [
    'notebook',
    '--no-browser',
    '--ip=127.0.0.1',
    `--port=${port}`,
    '--port-retries=0',
    `--NotebookApp.token=${token}`,
    `--notebook-dir=${dir}`,
  ];
  if (process.getuid?.() === 0) args.push('--allow-root');
  const child: ChildProcess = spawn('jupyter', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = (path: string) => `http://127.0.0.1:${port}/${path}${path.includes('?') ? '&' : '?'}token=${token}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jupyter notebook exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(url('api/status'));
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`jupyter notebook did not answer within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { url, stop, log: () => log };
}

interface PlotCount {
  plots: number;
  drawn: number;
  texts: string[];
}

// The code below runs in the page (strings: the project has no DOM typings).
const COUNT_PLOTS = `(() => {
  const divs = [...document.querySelectorAll('#notebook .course-kit-plot')].filter((d) => d.offsetParent !== null);
  return { plots: divs.length, drawn: divs.filter((d) => d.querySelector('.main-svg')).length,
           texts: divs.filter((d) => !d.querySelector('.main-svg')).map((d) => d.textContent.slice(0, 200)) };
})()`;

const NOTEBOOK_READY = `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded && Jupyter.notebook.kernel
  && Jupyter.notebook.kernel.is_connected() && document.querySelector('#kernel_indicator_icon.kernel_idle_icon'))`;

/** Every non-empty code cell has a number (not '*', not empty) and the kernel is idle. */
const ALL_EXECUTED = `(() => {
  const cells = Jupyter.notebook.get_cells().filter((c) => c.cell_type === 'code' && c.get_text().trim() !== '');
  return cells.every((c) => typeof c.input_prompt_number === 'number')
    && !!document.querySelector('#kernel_indicator_icon.kernel_idle_icon');
})()`;

const STDERR = `Jupyter.notebook.get_cells().flatMap((c, i) => (c.output_area ? c.output_area.outputs : [])
  .filter((o) => o.output_type === 'error' || o.name === 'stderr').map((o) => 'cell ' + (i + 1) + ': ' + (o.text || o.evalue)))`;

const NOTEBOOK_LOADED = `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook._fully_loaded)`;

/** Open a notebook page; wait for its kernel too unless only its saved outputs matter. */
async function openNotebook(browser: Browser, url: string, options: { kernel?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  // Nothing leaves the machine: only the local server answers.
  await page.route('**/*', (route) =>
    route.request().url().startsWith('http://127.0.0.1:') || route.request().url().startsWith('data:')
      ? route.continue()
      : route.abort('blockedbyclient'),
  );
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  step(`open ${url}`);
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  await page.waitForFunction(options.kernel ?? true ? NOTEBOOK_READY : NOTEBOOK_LOADED, undefined, { timeout: 120_000, polling: 200 });
  step('ready');
  return { page, errors };
}

/** Wait until `expected` plots are on the page and drawn (or time out), then count. */
async function plotsOf(page: Page, expected: number): Promise<PlotCount> {
  step('count plots');
  await page
    .waitForFunction(`(() => { const c = ${COUNT_PLOTS}; return c.plots >= ${expected} && c.drawn === c.plots; })()`, undefined, {
      timeout: 60_000,
      polling: 250,
    })
    .catch(() => undefined); // counted below
  return (await page.evaluate(COUNT_PLOTS)) as PlotCount;
}

const t0 = Date.now();
const step = (what: string) => process.env.E2E_TRACE && console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);

async function executeAndWait(page: Page, script: string): Promise<void> {
  step(`execute ${script}`);
  await page.evaluate(script);
  // Let the front end mark the cells as queued before waiting for numbers.
  await page.waitForFunction(`!${ALL_EXECUTED}`, undefined, { timeout: 5_000, polling: 20 }).catch(() => undefined);
  await page.waitForFunction(ALL_EXECUTED, undefined, { timeout: 120_000, polling: 200 });
}

/** How many outputs of a saved notebook carry the inlined plotly.js bundle. */
function carriers(nb: Notebook): number {
  const marker = plotlyScript().slice(0, 300);
  const text = (t: unknown) => (Array.isArray(t) ? t.join('') : String(t ?? '')); // nbformat may split text into lines
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => 'data' in o && text(o.data['text/html']).includes(marker)).length;
}

describe.runIf(available)('live Jupyter Notebook in Chromium', () => {
  const root = projectRoot();
  // Under the project (build/ is git-ignored) so that the kernel resolves @course-kit/lib.
  mkdirSync(join(root, 'build'), { recursive: true }); // a fresh clone has no build/ yet
  const work = mkdtempSync(join(root, 'build', 'e2e-live-'));
  const served = join(work, 'served');
  const fresh = join(work, 'fresh');
  const state = join(work, 'state');
  let browser: Browser;
  const servers: LiveServer[] = [];

  beforeAll(async () => {
    mkdirSync(served, { recursive: true });
    mkdirSync(fresh, { recursive: true });
    copyFileSync(FIXTURE, join(served, 'plots.ipynb'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('run all, re-run the first plot cell, save, reload: every plot draws, and the file carries plotly.js once', async () => {
    const server = await startServer(served, join(state, 'first'));
    servers.push(server);
    const { page, errors } = await openNotebook(browser, server.url('notebooks/plots.ipynb'));
    try {
      await executeAndWait(page, 'Jupyter.notebook.execute_all_cells()');
      expect(await page.evaluate(STDERR)).toEqual([]);
      expect(await plotsOf(page, FIGURES)).toEqual({ plots: FIGURES, drawn: FIGURES, texts: [] });

      await executeAndWait(page, `Jupyter.notebook.execute_cells([${FIRST_PLOT_CELL}])`);
      expect(await plotsOf(page, FIGURES)).toEqual({ plots: FIGURES, drawn: FIGURES, texts: [] });
      await page.evaluate('Jupyter.notebook.save_notebook()');
      await page.waitForFunction('!Jupyter.notebook.dirty', undefined, { timeout: 30_000 });

      await page.reload({ waitUntil: 'load' });
      await page.waitForFunction(NOTEBOOK_READY, undefined, { timeout: 90_000, polling: 200 });
      expect(await plotsOf(page, FIGURES)).toEqual({ plots: FIGURES, drawn: FIGURES, texts: [] });

      // After the reload, re-running one plot cell draws it (plotly.js is not expected from another output).
      await executeAndWait(page, `Jupyter.notebook.execute_cells([${LAST_PLOT_CELL}])`);
      expect(await page.evaluate(STDERR)).toEqual([]);
      expect(await plotsOf(page, FIGURES)).toEqual({ plots: FIGURES, drawn: FIGURES, texts: [] });
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
    }

    const saved = join(served, 'plots.ipynb');
    const nb = readNotebook(saved);
    // The re-run first plot cell carries plotly.js again: its old output, the only copy, was replaced.
    expect(carriers(nb)).toBe(1);
    // One carried copy as nbformat stores it: the inlined bundle as JSON lines (≈ 5.0 MB for plotly.js 3.7).
    const oneCopy = JSON.stringify(plotlyScript().split(/(?<=\n)/), null, 1).length;
    const bound = oneCopy + FIGURE_ALLOWANCE;
    console.log(`saved notebook: ${statSync(saved).size} bytes for ${FIGURES} figures (bound ${bound})`);
    expect(statSync(saved).size).toBeLessThanOrEqual(bound);
  }, 300_000);

  it('opened fresh in a new server (untrusted there), a saved and an nbconvert-executed notebook draw every plot', async () => {
    const executed = runWithJupyter(FIXTURE, join(work, 'nbconvert'));
    expect(executed.failures).toEqual([]);
    copyFileSync(join(work, 'nbconvert', 'live-plots.ipynb'), join(fresh, 'executed.ipynb'));
    copyFileSync(join(served, 'plots.ipynb'), join(fresh, 'saved.ipynb'));
    const server = await startServer(fresh, join(state, 'second'));
    servers.push(server);
    for (const name of ['executed.ipynb', 'saved.ipynb']) {
      // Drawing saved outputs needs no kernel (the page starts one anyway; it is not waited for).
      const { page, errors } = await openNotebook(browser, server.url(`notebooks/${name}`), { kernel: false });
      try {
        expect(await page.evaluate('Jupyter.notebook.trusted')).toBe(false);
        expect({ name, ...(await plotsOf(page, FIGURES)) }).toEqual({ name, plots: FIGURES, drawn: FIGURES, texts: [] });
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    }
  }, 300_000);

  it("without the kit's renderer (as JupyterLab without plotly's extension): trusted notebooks draw from their HTML, with or without a carrying output", async () => {
    const dir = join(work, 'no-renderer');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(served, 'plots.ipynb'), join(dir, 'trusted.ipynb'));
    // The same notebook with its one copy of plotly.js taken out (its carrying output was deleted, say).
    const nb = readNotebook(join(served, 'plots.ipynb'));
    const inlined = plotlyScript();
    for (const out of nb.cells.flatMap((c) => c.outputs ?? [])) {
      if ('data' in out && out.data['text/html'] !== undefined) {
        const html = out.data['text/html'];
        out.data['text/html'] = (Array.isArray(html) ? html.join('') : String(html)).replace(inlined, '');
      }
    }
    expect(carriers(nb)).toBe(0);
    writeNotebook(join(dir, 'no-carrier.ipynb'), nb);
    const state3 = join(state, 'third');
    const env = serverEnv(state3, { renderer: false });
    // `jupyter trust` (Debian ships no jupyter-trust script; nbformat's module is the same app).
    const trust = spawnSync('/usr/bin/python3', ['-m', 'nbformat.sign', join(dir, 'trusted.ipynb'), join(dir, 'no-carrier.ipynb')], {
      env,
      encoding: 'utf8',
    });
    expect(trust.status, trust.stderr).toBe(0);
    const server = await startServer(dir, state3, { renderer: false });
    servers.push(server);
    for (const name of ['trusted.ipynb', 'no-carrier.ipynb']) {
      const { page, errors } = await openNotebook(browser, server.url(`notebooks/${name}`), { kernel: false });
      try {
        expect(await page.evaluate('Jupyter.notebook.trusted')).toBe(true);
        // The figures are the text/html fallbacks here (no plotly renderer registered).
        expect(await page.evaluate(`!!document.querySelector('#notebook .output_html .course-kit-plot')`)).toBe(true);
        expect({ name, ...(await plotsOf(page, FIGURES)) }).toEqual({ name, plots: FIGURES, drawn: FIGURES, texts: [] });
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    }
  }, 300_000);

  it('exports the saved notebook to HTML that draws every plot offline', async () => {
    const html = exportHtmlWithJupyter(join(served, 'plots.ipynb'), join(work, 'html'));
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const errors: string[] = [];
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort('blockedbyclient')));
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    try {
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load', timeout: 120_000 });
      const count = `(() => { const d = [...document.querySelectorAll('.course-kit-plot')];
        return { plots: d.length, drawn: d.filter((x) => x.querySelector('.main-svg')).length, texts: [] }; })()`;
      await page.waitForFunction(`${count}.drawn === ${FIGURES}`, undefined, { timeout: 60_000, polling: 250 }).catch(() => undefined);
      expect(await page.evaluate(count)).toEqual({ plots: FIGURES, drawn: FIGURES, texts: [] });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
    expect(readFileSync(html, 'utf8')).toContain('course-kit-plot');
  }, 180_000);
});
