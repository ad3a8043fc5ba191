/**
 * Offline maths for exported notebook pages.
 *
 * Jupyter's nbconvert writes pages that load MathJax from wherever the machine
 * keeps it (Debian: /usr/share/javascript/mathjax); opened anywhere else, every
 * formula stays raw TeX. So every page the kit exports carries its own renderer:
 * KaTeX from npm, inlined into the page (script, auto-render extension and CSS, with
 * the woff2 fonts as data: URLs). The page then needs no network and no file
 * outside itself.
 *
 * Formulas are rendered in the browser by KaTeX's auto-render, with the delimiters
 * Jupyter uses ($…$, $$…$$, \(…\), \[…\]), only inside markdown cells: code and
 * outputs (printed text, plots) are left alone.
 */
import { readFileSync } from 'fs';
import { dirname, join } from 'path';

/** Elements whose text is never scanned for maths (code, outputs, plots). */
const IGNORED_CLASSES = ['jp-OutputArea', 'jp-InputArea', 'output', 'source', 'course-kit-plot'];

/** Where the markdown of a cell lives in nbconvert's lab/classic templates and in html.ts's pages. */
const MARKDOWN_SELECTOR = '.jp-MarkdownOutput, .text_cell_render, .cell.markdown';

let cached: string | null = null;

function katexDist(): string {
  return join(dirname(require.resolve('katex/package.json')), 'dist');
}

/** KaTeX's CSS with every font as a woff2 data: URL (every browser that runs KaTeX reads woff2). */
function inlineCss(dist: string): string {
  const css = readFileSync(join(dist, 'katex.min.css'), 'utf8');
  return css.replace(/src:([^;}]*)/g, (_whole, sources: string) => {
    const woff2 = /url\((fonts\/[^)]+\.woff2)\)/.exec(sources);
    if (!woff2) return `src:${sources}`;
    const data = readFileSync(join(dist, woff2[1]!)).toString('base64');
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
}

/**
 * A script that runs `code` with `define`, `module` and `exports` shadowed, so that a
 * UMD bundle sets its browser global even on pages where require.js (AMD) is loaded,
 * as in nbconvert's pages.
 */
function globalScript(code: string): string {
  // "</script" inside the code would end the element early; split it.
  const safe = code.replace(/<\/script/gi, '<\\/script');
  return `<script>(function (define, module, exports) {\n${safe}\n}).call(window);</script>`;
}

/**
 * The <head> fragment that makes a page render its maths offline: KaTeX's CSS
 * (fonts inlined), KaTeX, auto-render, and the call that renders every markdown cell.
 */
export function offlineMathsHead(): string {
  if (cached !== null) return cached;
  const dist = katexDist();
  const katex = readFileSync(join(dist, 'katex.min.js'), 'utf8');
  const autoRender = readFileSync(join(dist, 'contrib', 'auto-render.min.js'), 'utf8');
  const options = {
    delimiters: [
      { left: '$$', right: '$$', display: true },
      { left: '\\[', right: '\\]', display: true },
      { left: '\\(', right: '\\)', display: false },
      { left: '$', right: '$', display: false },
    ],
    ignoredClasses: IGNORED_CLASSES,
    throwOnError: false,
  };
  const render = [
    '(function () {',
    '  function renderAll() {',
    `    var cells = document.querySelectorAll(${JSON.stringify(MARKDOWN_SELECTOR)});`,
    `    for (var i = 0; i < cells.length; i++) window.renderMathInElement(cells[i], ${JSON.stringify(options)});`,
    "    document.documentElement.setAttribute('data-maths', 'rendered');",
    '  }',
    "  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', renderAll); else renderAll();",
    '})();',
  ].join('\n');
  cached = [
    '<!-- Maths: KaTeX (MIT licence), inlined so that the page renders formulas offline -->',
    `<style>${inlineCss(dist)}</style>`,
    globalScript(katex),
    globalScript(autoRender),
    `<script>${render}</script>`,
  ].join('\n');
  return cached;
}

/**
 * nbconvert's page with its MathJax loader (a file or URL that exists only on some
 * machines) replaced by the inlined KaTeX renderer.
 */
export function withOfflineMaths(html: string): string {
  let out = html.replace(/<!-- Load mathjax -->[\s\S]*?<!-- End of mathjax configuration -->/i, '');
  // Any MathJax left (other templates): its loader and its configuration scripts.
  out = out.replace(/<script[^>]*src="[^"]*mathjax[^"]*"[^>]*>\s*<\/script>/gi, '');
  out = out.replace(/<script type="text\/x-mathjax-config">[\s\S]*?<\/script>/gi, '');
  const head = offlineMathsHead();
  return /<\/head>/i.test(out) ? out.replace(/<\/head>/i, () => `${head}\n</head>`) : `${head}\n${out}`;
}

/**
 * nbconvert's page made independent of the machine it was exported on: its maths
 * rendered by the inlined KaTeX (withOfflineMaths), and its require.js loader, a
 * file:// script from this machine's /usr/share/javascript, dropped (the kit's
 * plots draw with or without an AMD loader; nothing else on the page uses it).
 */
export function selfContainedPage(html: string): string {
  return withOfflineMaths(html.replace(/<script[^>]*src="file:[^"]*require(?:\.min)?\.js"[^>]*>\s*<\/script>/gi, ''));
}
