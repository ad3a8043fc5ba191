/**
 * Exported notebook pages render their maths offline on any machine.
 *
 * nbconvert's pages load MathJax from Debian's /usr/share/javascript; elsewhere every
 * formula stayed raw TeX. The kit's pages (nbconvert's after withOfflineMaths, and the
 * embedded runner's) carry KaTeX inlined. Here they are opened in headless Chromium run
 * inside bubblewrap with no network namespace access and /usr/share/javascript hidden
 * (an empty tmpfs over it), i.e. as on a machine without Debian's JavaScript packages.
 *
 * The browser checks need /usr/bin/chromium and bwrap (the nbconvert ones also
 * `jupyter nbconvert`); they are skipped with a logged reason when missing, unless
 * COURSE_KIT_REQUIRE_E2E=1 makes that a failure. The string checks always run.
 */
import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { pathToFileURL } from 'url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notebookToHtml, renderMarkdown } from '../src/notebook/html';
import { offlineMathsHead, selfContainedPage, withOfflineMaths } from '../src/notebook/maths';
import { cellSource, readNotebook, type Notebook } from '../src/notebook/nbformat';
import { hasJupyter } from '../src/notebook/runner';

const CHROMIUM = '/usr/bin/chromium';
const HIDDEN = '/usr/share/javascript';
const lecture = resolve(__dirname, '../../notebooks/05-backpropagation.ipynb');
const required = process.env.COURSE_KIT_REQUIRE_E2E === '1';

const hasBwrap = spawnSync('bwrap', ['--version']).status === 0;
const missing = [...(existsSync(CHROMIUM) ? [] : [CHROMIUM]), ...(hasBwrap ? [] : ['bwrap (bubblewrap)'])];
const browserOk = missing.length === 0;
const nbconvertOk = browserOk && hasJupyter('nbconvert');
if (!browserOk || !nbconvertOk) {
  const reason = `e2e-maths: ${[...missing, ...(hasJupyter('nbconvert') ? [] : ['jupyter nbconvert'])].join(', ')} not installed`;
  if (required) {
    describe('offline maths in Chromium', () => {
      it('has its tools (COURSE_KIT_REQUIRE_E2E=1)', () => {
        throw new Error(`${reason}; install them (see .ci/run) or unset COURSE_KIT_REQUIRE_E2E`);
      });
    });
  } else {
    console.warn(`${reason}: skipping the browser checks that need them`);
  }
}

/** Formulas in a markdown source, counted independently of html.ts: $$…$$ blocks and $…$ spans outside code. */
function countFormulas(source: string): number {
  const noCode = source.replace(/```[\s\S]*?```|`[^`\n]*`/g, '');
  const display = noCode.match(/\$\$[\s\S]+?\$\$/g) ?? [];
  const inline = noCode.replace(/\$\$[\s\S]+?\$\$/g, '').match(/\$[^$\n]+?\$/g) ?? [];
  return display.length + inline.length;
}

const lectureNotebook = readNotebook(lecture);
const lectureFormulas = lectureNotebook.cells.filter((c) => c.cell_type === 'markdown').reduce((n, c) => n + countFormulas(cellSource(c)), 0);

describe('offline maths: the page carries its renderer', () => {
  it('markdown keeps formulas verbatim (no emphasis from _ or *, backslashes kept) and escapes HTML', () => {
    const html = renderMarkdown('Sum $x_j = b_j + \\sum_i y_i w_{ij}$ and *em*, `code $a$`, <b>x</b>\n\n$$\n\\frac{a_1}{b_2} < c\n$$');
    expect(html).toContain('$x_j = b_j + \\sum_i y_i w_{ij}$');
    expect(html).toContain('$$\n\\frac{a_1}{b_2} &lt; c\n$$');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<code>code $a$</code>');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('inlines KaTeX (script, auto-render, CSS with data: fonts) and drops the MathJax loader', () => {
    const head = offlineMathsHead();
    expect(head).toMatch(/katex/i);
    expect(head).toContain('renderMathInElement');
    expect(head).toContain('data:font/woff2;base64,');
    expect(head).not.toMatch(/url\(fonts\//);
    expect(head).not.toMatch(/<script[^>]+src=/);
    const nbconvertLike =
      '<html><head><title>t</title>\n<!-- Load mathjax -->\n<script src="file:///usr/share/javascript/mathjax/MathJax.js?config=TeX"> </script>\n' +
      '<script type="text/x-mathjax-config">init_mathjax();</script>\n<!-- End of mathjax configuration --></head><body>$x$</body></html>';
    const page = withOfflineMaths(nbconvertLike);
    expect(page).not.toMatch(/mathjax/i);
    expect(page).toContain('renderMathInElement');
    expect(page.indexOf('renderMathInElement')).toBeLessThan(page.indexOf('</head>'));
    expect(notebookToHtml(lectureNotebook, 'lecture')).toContain('renderMathInElement');
    const withRequire = nbconvertLike.replace('<title>t</title>', '<title>t</title><script src="file:///usr/share/javascript/requirejs/require.min.js"></script>');
    expect(selfContainedPage(withRequire)).not.toMatch(/src="file:/);
  });

  it('the lecture notebook has formulas to render', () => {
    expect(lectureFormulas).toBeGreaterThan(100);
  });
});

interface MathsReport {
  rendered: number;
  errors: number;
  rawTeX: string[];
  fontLoaded: boolean;
  blocked: string[];
  pageErrors: string[];
}

describe.runIf(browserOk)('offline maths in Chromium (no network, /usr/share/javascript hidden)', () => {
  const out = mkdtempSync(join(tmpdir(), 'e2e-maths-'));
  let browser: Browser;

  beforeAll(async () => {
    // Chromium in a bubblewrap sandbox: no network namespace access, an empty /usr/share/javascript.
    const launcher = join(out, 'chromium-without-shared-js.sh');
    writeFileSync(launcher, `#!/bin/sh\nexec bwrap --dev-bind / / --tmpfs ${HIDDEN} --unshare-net --die-with-parent ${CHROMIUM} "$@"\n`);
    chmodSync(launcher, 0o755);
    browser = await chromium.launch({
      executablePath: launcher,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(out, { recursive: true, force: true });
  });

  async function inspect(file: string): Promise<MathsReport> {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const blocked: string[] = [];
    const pageErrors: string[] = [];
    page.on('requestfailed', (r) => blocked.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120_000 });
      // A page with the kit's renderer marks itself when done; one without it (the negative control) has nothing to wait for.
      await page
        .waitForFunction("!window.renderMathInElement || document.documentElement.getAttribute('data-maths') === 'rendered'", undefined, { timeout: 30_000 })
        .catch(() => undefined);
      // Strings: this code runs in the page (the project has no DOM typings).
      const report = (await page.evaluate(`(async () => {
        await document.fonts.ready;
        const cells = [...document.querySelectorAll('.jp-MarkdownOutput, .text_cell_render, .cell.markdown')];
        const rawTeX = [];
        for (const cell of cells) {
          const copy = cell.cloneNode(true);
          copy.querySelectorAll('.katex, code, pre').forEach((k) => k.remove());
          const m = copy.textContent.match(/\\$[^$]{0,40}|\\\\frac|\\\\partial/g);
          if (m) rawTeX.push(...m);
        }
        return {
          rendered: document.querySelectorAll('.katex').length,
          errors: document.querySelectorAll('.katex-error').length,
          rawTeX,
          fontLoaded: document.fonts.check('16px KaTeX_Main') && [...document.fonts].some((f) => f.family.includes('KaTeX') && f.status === 'loaded'),
        };
      })()`)) as Omit<MathsReport, 'blocked' | 'pageErrors'>;
      return { ...report, blocked, pageErrors };
    } finally {
      await context.close();
    }
  }

  it('the embedded runner’s page of the lecture notebook renders every formula', async () => {
    const file = join(out, 'embedded.html');
    writeFileSync(file, notebookToHtml(lectureNotebook, '05-backpropagation'));
    const r = await inspect(file);
    expect(r.pageErrors).toEqual([]);
    expect(r.errors).toBe(0);
    expect(r.rawTeX).toEqual([]);
    expect(r.rendered).toBe(lectureFormulas);
    expect(r.fontLoaded).toBe(true);
    expect(r.blocked).toEqual([]);
  }, 180_000);

  it.runIf(nbconvertOk)('nbconvert’s page renders every formula once the kit has replaced its MathJax loader; without that it shows raw TeX', async () => {
    const nb: Notebook = { ...lectureNotebook, cells: lectureNotebook.cells.filter((c) => c.cell_type === 'markdown') };
    const source = join(out, 'lecture-text.ipynb');
    writeFileSync(source, JSON.stringify(nb));
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'html', '--output-dir', out, '--output', 'nbconvert-raw', source], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const raw = readFileSync(join(out, 'nbconvert-raw.html'), 'utf8');
    expect(raw).toMatch(/mathjax/i); // the bug: a loader that exists only on some machines

    // Without the kit's renderer, on a machine without /usr/share/javascript: raw TeX.
    const before = await inspect(join(out, 'nbconvert-raw.html'));
    expect(before.rendered).toBe(0);
    expect(before.rawTeX.length).toBeGreaterThan(0);
    expect(before.blocked.some((u) => u.includes('mathjax'))).toBe(true); // its loader is not there

    const fixed = join(out, 'nbconvert-offline.html');
    writeFileSync(fixed, selfContainedPage(raw)); // what npm run notebooks writes
    expect(readFileSync(fixed, 'utf8')).not.toMatch(/src="file:/);
    const after = await inspect(fixed);
    expect(after.pageErrors).toEqual([]);
    expect(after.blocked).toEqual([]); // nothing requested from this machine's files or the network
    expect(after.errors).toBe(0);
    expect(after.rawTeX).toEqual([]);
    expect(after.rendered).toBe(lectureFormulas);
    expect(after.fontLoaded).toBe(true);
  }, 240_000);
});
