import { readFileSync } from 'fs';

let cached: string | undefined;

/**
 * The minified plotly.js browser bundle as text. plotly.js-dist-min is a
 * browser bundle that cannot be imported in Node, so pages and notebook
 * outputs inline this text in a <script> tag (no network needed to view them).
 */
export function plotlySource(): string {
  if (cached === undefined) {
    cached = readFileSync(require.resolve('plotly.js-dist-min'), 'utf8');
  }
  return cached;
}
