/**
 * End to end: every notebook executed by real Jupyter (nbconvert + the kit's
 * tslab kernel), exported to HTML by nbconvert, opened in headless Chromium
 * without network. Every plot must render (plotly draws `.main-svg`) and the
 * page must log no errors.
 *
 * Needs `jupyter nbconvert` and /usr/bin/chromium (.ci/run installs them).
 * Skipped with a logged reason when they are missing, unless
 * COURSE_KIT_REQUIRE_E2E=1, which turns the skip into a failure.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, relative, resolve } from 'path';
import { pathToFileURL } from 'url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curves, figureHtml } from '@course-kit/lib';
import { findNotebooks, runAll, type NotebookReport } from '../src/notebook/run-all';
import { hasJupyter, runWithJupyter } from '../src/notebook/runner';

const CHROMIUM = '/usr/bin/chromium';
const notebooksDir = resolve(__dirname, '../../notebooks');
const fixtures = resolve(__dirname, 'fixtures/notebooks');
const required = process.env.COURSE_KIT_REQUIRE_E2E === '1';

const missing: string[] = [];
if (!hasJupyter('nbconvert')) missing.push('jupyter nbconvert');
if (!existsSync(CHROMIUM)) missing.push(CHROMIUM);
const available = missing.length === 0;

if (!available) {
  const reason = `e2e-jupyter: ${missing.join(' and ')} not installed`;
  if (required) {
    describe('e2e with Jupyter and Chromium', () => {
      it('has its tools (COURSE_KIT_REQUIRE_E2E=1)', () => {
        throw new Error(`${reason}; install them (see .ci/run) or unset COURSE_KIT_REQUIRE_E2E`);
      });
    });
  } else {
    console.warn(`${reason}: skipping (set COURSE_KIT_REQUIRE_E2E=1 to make this a failure)`);
  }
}

interface PageReport {
  plots: number;
  rendered: number;
  errors: string[];
  blocked: string[];
}

/** Open a file in Chromium with all non-file requests blocked; wait for every plot. */
async function inspectPage(browser: Browser, file: string): Promise<PageReport> {
  const context = await browser.newContext({ offline: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const blocked: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120_000 });
    await page
      .waitForFunction(
        // Strings: this code runs in the page (the project has no DOM typings).
        "[...document.querySelectorAll('.course-kit-plot')].every((div) => div.querySelector('.main-svg'))",
        undefined,
        { timeout: 60_000, polling: 250 },
      )
      .catch(() => undefined); // counted below
    const counts = (await page.evaluate(`(() => {
      const divs = [...document.querySelectorAll('.course-kit-plot')];
      return { plots: divs.length, rendered: divs.filter((d) => d.querySelector('.main-svg')).length };
    })()`)) as { plots: number; rendered: number };
    return { ...counts, errors, blocked };
  } finally {
    await context.close();
  }
}

describe.runIf(available)('e2e with Jupyter and Chromium', () => {
  let browser: Browser;
  let reports: NotebookReport[];
  const out = mkdtempSync(join(tmpdir(), 'e2e-jupyter-'));

  beforeAll(async () => {
    reports = await runAll({ notebooksDir, outDir: out, log: () => undefined });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 30 * 60 * 1000);

  afterAll(async () => {
    await browser?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('executed every notebook through real Jupyter without failures', () => {
    expect(reports.length).toBe(findNotebooks(notebooksDir).length);
    expect(reports.length).toBeGreaterThan(0);
    for (const r of reports) {
      expect(r.runner).toBe('jupyter');
      const problems = r.failures.map((f) => `${relative(notebooksDir, r.file)} cell ${f.cell}: ${f.message}`);
      expect(problems).toEqual([]);
    }
  });

  it('renders every plot of every exported page with no errors and no network', async () => {
    let totalPlots = 0;
    for (const r of reports) {
      const page = await inspectPage(browser, r.htmlPath);
      const name = relative(notebooksDir, r.file);
      expect({ name, errors: page.errors }).toEqual({ name, errors: [] });
      expect({ name, rendered: page.rendered }).toEqual({ name, rendered: page.plots });
      totalPlots += page.plots;
    }
    // The lecture notebook plots; a page with zero plots everywhere means show() broke.
    expect(totalPlots).toBeGreaterThan(0);
  }, 10 * 60 * 1000);

  it('catches the cells tslab silently drops after an error', () => {
    const r = runWithJupyter(join(fixtures, 'type-error.ipynb'), join(out, 'fixtures'));
    expect(r.failures.map((f) => f.cell)).toEqual([2, 3]);
    expect(r.failures[0]!.message).toMatch(/not assignable to type 'string'/);
    expect(r.failures[1]!.message).toMatch(/not executed/);
  });

  it('renders the plots of a page written by the embedded runner', async () => {
    const [report] = await runAll({ notebooksDir: fixtures, outDir: join(out, 'embedded'), filter: 'good', embedded: true, log: () => undefined });
    expect(report!.failures).toEqual([]);
    const page = await inspectPage(browser, report!.htmlPath);
    expect(page.errors).toEqual([]);
    expect(page.plots).toBe(2);
    expect(page.rendered).toBe(2);
  }, 120_000);

  it('draws plots on a page where require.js (AMD) is active', async () => {
    const requirejs = '/usr/share/javascript/requirejs/require.min.js';
    // A stand-in AMD loader when Debian's libjs-requirejs is not installed.
    const loader = existsSync(requirejs)
      ? `<script src="${pathToFileURL(requirejs).href}"></script>`
      : '<script>window.define = function () { throw new Error("anonymous define() called"); }; window.define.amd = {};</script>';
    const file = join(out, 'amd.html');
    const fig = curves({ loss: [1, 0.5, 0.25] }, { title: 'Loss' });
    writeFileSync(
      file,
      `<!DOCTYPE html><html><head><meta charset="utf-8">${loader}</head><body>` +
        figureHtml(fig, { includePlotly: true }) +
        figureHtml(fig, { includePlotly: false }) +
        '</body></html>',
    );
    const page = await inspectPage(browser, file);
    expect(page.errors).toEqual([]);
    expect(page.plots).toBe(2);
    expect(page.rendered).toBe(2);
  }, 120_000);
});
