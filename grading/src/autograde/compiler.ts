/**
 * The parent's side of cell conversion: a pool of compile servers
 * (compile-server.js), one per core by default, shared by all sandboxes of
 * this process, with a cache of conversions.
 *
 * Why: creating tslab's converter costs about two seconds of CPU and
 * loading TypeScript a few hundred milliseconds; a sandbox per submission
 * that did both spent most of its time there. A server creates its
 * converter once and stays warm (JIT-compiled TypeScript) for many
 * submissions, and instructor cells that follow the same declarations
 * (most students declare the same functions) are converted only once.
 *
 * The cache is sound because a conversion is a pure function of (previous
 * declarations, source) in a server (see compile-server.ts). A server that
 * times out is killed; one that reports an internal failure exits and the
 * request is retried once on a fresh server. Idle servers exit after a
 * while; none keeps the parent process alive.
 */
import { ChildProcess, spawn } from 'child_process';
import { existsSync } from 'fs';
import { availableParallelism } from 'os';
import { join } from 'path';
import type { Compiled } from './protocol';
import { confinedCommand, sandboxHome, sandboxReadPaths } from './sandbox-env';

export interface CompilerOptions {
  /** Number of servers (default: the machine's cores). */
  size: number;
  /** V8 old-space cap of a server (MB). */
  heapMb: number;
  /** Address-space cap via prlimit (MB); 0 disables it. */
  addressSpaceMb: number;
  /** A server is recycled after this many conversions (bounds any slow growth of its heap). */
  maxUses: number;
  /** A server idle this long exits (ms). */
  idleMs: number;
  /** Conversions kept in the cache. */
  cacheEntries: number;
}

export const DEFAULT_COMPILER: CompilerOptions = {
  size: Math.max(1, availableParallelism()),
  heapMb: 1024,
  addressSpaceMb: 4096,
  maxUses: 2000,
  idleMs: 20_000,
  cacheEntries: 4000,
};

/** Why a conversion failed; `retry` when another server may succeed. */
export class CompileError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
  }
}

/** A server normally starts in about two seconds; much longer means a machine under heavy load or a broken install. */
const STARTUP_LIMIT_MS = 60_000;

type Reply = { q: number; compiled: Compiled } | { q: number; error: string; broken?: boolean } | { ready: true; ms: number };

/** One compile server process, converting one cell at a time. */
class CompileServer {
  private readonly proc: ChildProcess;
  private readonly ready: Promise<void>;
  private waiting: { q: number; resolve: (c: Compiled) => void; reject: (e: CompileError) => void } | undefined;
  private q = 0;
  private stderr = '';
  private idleTimer: NodeJS.Timeout | undefined;
  uses = 0;
  dead = false;

  constructor(private readonly options: CompilerOptions, onExit: (s: CompileServer) => void) {
    const paths = sandboxReadPaths();
    const entry = join(paths.gradingDist, 'autograde', 'compile-server.js');
    if (!existsSync(entry)) throw new Error(`compile server not built: ${entry} is missing (run npm run build)`);
    const home = sandboxHome();
    // Isolated like a sandbox (bubblewrap, permission model, caps): it reads student source.
    const { cmd, args } = confinedCommand(entry, [home], { home, heapMb: options.heapMb, addressSpaceMb: options.addressSpaceMb, fileSizeMb: 4, scratchMb: 1 });
    this.proc = spawn(cmd, args, { cwd: home, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' } });
    this.proc.stderr?.setEncoding('utf8');
    this.proc.stderr?.on('data', (t: string) => {
      this.stderr = (this.stderr + t).slice(-16000);
    });
    let started: () => void;
    let failed: (e: CompileError) => void;
    this.ready = new Promise<void>((res, rej) => {
      started = res;
      failed = rej;
    });
    this.ready.catch(() => undefined);
    this.proc.on('message', (m: Reply) => {
      if ('ready' in m) return started();
      const w = this.waiting;
      if (!w || m.q !== w.q) return;
      this.waiting = undefined;
      if ('compiled' in m) w.resolve(m.compiled);
      else w.reject(new CompileError(`the TypeScript converter failed: ${m.error}`, m.broken === true));
    });
    const died = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      clearTimeout(this.idleTimer);
      const error = new CompileError(`the compile server ${why}${this.stderr ? `:\n${this.stderr.trim()}` : ''}`, true);
      failed(error);
      this.waiting?.reject(error);
      this.waiting = undefined;
      onExit(this);
    };
    this.proc.on('error', (e) => died(`could not start (${e.message})`));
    this.proc.on('exit', (code, signal) => died(`exited (${signal ? `signal ${signal}` : `code ${code}`})`));
    // Neither the process nor its channel keeps the parent alive; a pending request's timer does.
    this.proc.unref();
    (this.proc.stderr as { unref?: () => void } | null)?.unref?.();
    (this.proc.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Convert `src` after the declarations `prev`; rejects with a CompileError on failure or after `timeoutMs`. */
  async convert(prev: string, src: string, timeoutMs: number): Promise<Compiled> {
    clearTimeout(this.idleTimer);
    let timer: NodeJS.Timeout | undefined;
    const limit = (ms: number, what: string) =>
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.kill();
          reject(new CompileError(`${what} took longer than ${ms / 1000} s`, false));
        }, ms);
      });
    try {
      await Promise.race([this.ready, limit(STARTUP_LIMIT_MS, 'starting the compile server')]);
      clearTimeout(timer);
      this.uses++;
      const q = ++this.q;
      const reply = new Promise<Compiled>((resolve, reject) => {
        this.waiting = { q, resolve, reject };
      });
      reply.catch(() => undefined);
      if (this.dead) throw new CompileError('the compile server exited before the request', true);
      this.proc.send({ q, prev, src }, (err) => {
        if (err && this.waiting?.q === q) this.waiting.reject(new CompileError(`could not reach the compile server (${err.message})`, true));
      });
      return await Promise.race([reply, limit(timeoutMs, 'the TypeScript conversion')]);
    } finally {
      clearTimeout(timer);
      if (!this.dead) {
        this.idleTimer = setTimeout(() => this.kill(), this.options.idleMs);
        this.idleTimer.unref();
      }
    }
  }

  get worn(): boolean {
    return this.uses >= this.options.maxUses;
  }

  kill(): void {
    if (!this.dead) this.proc.kill('SIGKILL');
  }
}

/** Compile servers and a cache of their conversions. */
export class CompilerPool {
  private readonly servers = new Set<CompileServer>();
  private readonly idle: CompileServer[] = [];
  private readonly waiters: ((s: CompileServer) => void)[] = [];
  private readonly cache = new Map<string, Compiled>();
  readonly stats = { conversions: 0, cacheHits: 0, retries: 0, started: 0 };

  constructor(readonly options: CompilerOptions = DEFAULT_COMPILER) {}

  /** Start the servers now (they take about two seconds), so that the first cells do not wait. */
  warm(): void {
    while (this.servers.size < this.options.size) this.idle.push(this.startServer());
  }

  /** tslab's metadata and conversion of `src` after the declarations `prev`. */
  async compile(prev: string, src: string, timeoutMs: number): Promise<Compiled> {
    const key = prev + '\u0000' + src;
    const hit = this.cache.get(key);
    if (hit) {
      this.stats.cacheHits++;
      return hit;
    }
    let compiled: Compiled;
    try {
      compiled = await this.once(prev, src, timeoutMs);
    } catch (e) {
      if (!(e instanceof CompileError) || !e.retry) throw e;
      this.stats.retries++;
      compiled = await this.once(prev, src, timeoutMs);
    }
    this.stats.conversions++;
    this.cache.set(key, compiled);
    if (this.cache.size > this.options.cacheEntries) this.cache.delete(this.cache.keys().next().value as string);
    return compiled;
  }

  /** Stop every server (they also stop by themselves when idle or when this process exits). */
  close(): void {
    for (const s of this.servers) s.kill();
  }

  private async once(prev: string, src: string, timeoutMs: number): Promise<Compiled> {
    const server = await this.acquire();
    try {
      return await server.convert(prev, src, timeoutMs);
    } finally {
      this.release(server);
    }
  }

  private startServer(): CompileServer {
    this.stats.started++;
    const s = new CompileServer(this.options, (dead) => {
      this.servers.delete(dead);
      const i = this.idle.indexOf(dead);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.servers.add(s);
    return s;
  }

  private acquire(): Promise<CompileServer> {
    const s = this.idle.pop();
    if (s) return Promise.resolve(s);
    if (this.servers.size < this.options.size) return Promise.resolve(this.startServer());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(s: CompileServer): void {
    if (s.worn) s.kill();
    const usable = s.dead || s.worn ? undefined : s;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(usable ?? this.startServer());
    } else if (usable) {
      this.idle.push(usable);
    }
  }
}

let shared: CompilerPool | undefined;

/** The process-wide pool the sandboxes use. */
export function compilerPool(): CompilerPool {
  shared ??= new CompilerPool();
  return shared;
}
