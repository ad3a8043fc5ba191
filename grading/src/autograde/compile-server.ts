/**
 * A compile server: converts notebook cells with tslab's TypeScript converter
 * (type-check, then JavaScript) for the grading sandboxes, so that no
 * sandbox has to load TypeScript (hundreds of ms) or create a converter
 * (about two seconds of CPU). One server lives for many submissions; its
 * compiler stays warm.
 *
 * Started by compiler.ts confined like a sandbox (bubblewrap and the permission model; it
 * reads only what a sandbox may read, never writes, spawns nothing): it
 * processes student source, though it never runs it.
 *
 * Usage: node compile-server.js <home>   (then requests over IPC)
 *   request { q, prev, src }  → reply { q, compiled } or { q, error, broken }
 * A conversion is a pure function of (prev, src) here: the converter's
 * folder is the empty sandbox home, its files never change and module cells
 * (@module) are not converted, so nothing of one submission reaches the next.
 * When tslab's converter throws (not a type error: an internal failure) it
 * may be left in a broken state, so the server answers and exits.
 */
import { performance } from 'perf_hooks';
import type { Compiled } from './protocol';

/* eslint-disable @typescript-eslint/no-var-requires */
const { createWarmConverter } = require('../notebook/executor') as typeof import('../notebook/executor');
const { getCodeMetadata } = require('tslab/dist/metadata') as typeof import('tslab/dist/metadata');

/** Type-checked once at start, so the course library's declarations are parsed ahead. */
const WARM_UP = 'import { test, check } from "@course-kit/lib";';

interface Request {
  q: number;
  prev: string;
  src: string;
}

/** tslab's metadata and, for an ordinary node cell, its conversion. */
export function compileCell(convert: (prev: string, src: string) => Compiled['converted'], prev: string, src: string): Compiled {
  const meta = getCodeMetadata(src);
  // The executor converts neither module cells (addModule) nor browser cells.
  if (meta.module || meta.mode === 'browser') return { meta };
  return { meta, converted: convert(prev, src) };
}

function main(): void {
  const home = process.argv[2];
  if (!home || !process.send) throw new Error('usage: node compile-server.js <home> (with an IPC channel)');
  const started = performance.now();
  const converter = createWarmConverter(home, { warmUp: WARM_UP });
  const send = process.send.bind(process);
  process.on('message', (m: Request) => {
    if (!m || typeof m.q !== 'number' || typeof m.prev !== 'string' || typeof m.src !== 'string') return;
    try {
      send({ q: m.q, compiled: compileCell((p, s) => converter.convert(p, s), m.prev, m.src) });
    } catch (e) {
      const error = e instanceof Error ? e.stack ?? e.message : String(e);
      send({ q: m.q, error, broken: true }, () => process.exit(1));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready: true, ms: performance.now() - started });
}

if (require.main === module) main();
