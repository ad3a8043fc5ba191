/**
 * A plain, self-contained HTML page for an executed notebook, used when
 * Jupyter's nbconvert is not installed. Markdown is rendered by markdown-it
 * (raw HTML in markdown is escaped) with its formulas kept intact for the
 * page's own KaTeX renderer (maths.ts: offline, no file outside the page),
 * code as preformatted text, and outputs like Jupyter shows them: text/html
 * embedded as is (plots bring their own script), images inline, text as
 * preformatted text.
 */
import MarkdownIt from 'markdown-it';
import { escapeHtml } from '../html';
import { offlineMathsHead } from './maths';
import { cellSource, type Notebook, type NotebookOutput } from './nbformat';

const markdownIt = new MarkdownIt({ html: false, linkify: false });

/**
 * Code spans and fences (left as they are), then maths in Jupyter's delimiters:
 * $$…$$, \[…\], \(…\), $…$ (not starting with a space, on one line).
 */
const CODE_OR_MATHS = /(```[\s\S]*?```|`[^`\n]*`)|(\$\$[\s\S]+?\$\$|\\\[[\s\S]+?\\\]|\\\([\s\S]+?\\\)|\$(?!\s)[^$\n]+?\$)/g;

/**
 * Markdown to HTML with every formula passed through untouched (markdown would
 * otherwise read its underscores and asterisks as emphasis and eat its
 * backslashes); the page's KaTeX renders them.
 */
export function renderMarkdown(source: string): string {
  const maths: string[] = [];
  const shielded = source.replace(CODE_OR_MATHS, (whole, code: string | undefined) => {
    if (code !== undefined) return whole;
    maths.push(whole);
    return `KITMATH${maths.length - 1}KITEND`;
  });
  return markdownIt.render(shielded).replace(/KITMATH(\d+)KITEND/g, (_m, k: string) => escapeHtml(maths[Number(k)]));
}

function join(t: unknown): string {
  return Array.isArray(t) ? t.join('') : String(t ?? '');
}

function renderOutput(out: NotebookOutput): string {
  switch (out.output_type) {
    case 'stream':
      return `<pre class="output ${out.name}">${escapeHtml(join(out.text))}</pre>`;
    case 'error':
      return `<pre class="output error">${escapeHtml(`${out.ename}: ${out.evalue}`)}</pre>`;
    case 'display_data':
    case 'execute_result': {
      const d = out.data;
      if (d['text/html'] !== undefined) return `<div class="output html">${join(d['text/html'])}</div>`;
      if (d['image/svg+xml'] !== undefined) return `<div class="output svg">${join(d['image/svg+xml'])}</div>`;
      for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
        if (d[mime] !== undefined) return `<img class="output" src="data:${mime};base64,${join(d[mime]).trim()}">`;
      }
      if (d['text/markdown'] !== undefined) return `<pre class="output markdown">${escapeHtml(join(d['text/markdown']))}</pre>`;
      if (d['text/plain'] !== undefined) return `<pre class="output">${escapeHtml(join(d['text/plain']))}</pre>`;
      return `<pre class="output">[${escapeHtml(Object.keys(d).join(', '))}]</pre>`;
    }
  }
}

/** The page for an executed notebook. */
export function notebookToHtml(nb: Notebook, title: string): string {
  const cells = nb.cells.map((cell, i) => {
    const src = escapeHtml(cellSource(cell));
    if (cell.cell_type === 'markdown') return `<section class="cell markdown" id="cell-${i + 1}">${renderMarkdown(cellSource(cell))}</section>`;
    if (cell.cell_type === 'raw') return `<section class="cell raw" id="cell-${i + 1}"><pre>${src}</pre></section>`;
    const count = cell.execution_count ?? ' ';
    const outputs = (cell.outputs ?? []).map(renderOutput).join('\n');
    return [
      `<section class="cell code" id="cell-${i + 1}">`,
      `<div class="prompt">[${count}]:</div>`,
      `<pre class="source"><code>${src}</code></pre>`,
      outputs,
      '</section>',
    ].join('\n');
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
${offlineMathsHead()}
<style>
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
.cell { margin: 1em 0; }
.markdown { font-family: Georgia, serif; font-size: 1.05em; line-height: 1.45; }
.markdown table { border-collapse: collapse; }
.markdown th, .markdown td { border: 1px solid #ccc; padding: .2em .5em; }
.markdown blockquote { color: #444; border-left: 3px solid #ccc; margin-left: 0; padding-left: 1em; }
.source { background: #f5f5f5; padding: .6em; border-left: 3px solid #888; overflow-x: auto; }
.prompt { color: #888; font-family: monospace; }
.output { margin: .4em 0; overflow-x: auto; }
.stderr, .error { background: #fdd; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${cells.join('\n')}
</body>
</html>
`;
}
