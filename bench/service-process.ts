/**
 * The whole service as a user runs it, for the memory and soak benchmarks: `node bin/syndicate.js
 * start` (what `npm start` runs: the sources through tsx) or the compiled `dist/src/cli/main.js
 * start` (the Docker image's entry), as a child process with its own DATA_DIR and QUEUE_PREFIX,
 * and its resident memory read from /proc (Linux) while it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The publisher token every benchmark service is started with. */
export const BENCH_PUBLISHER_TOKEN = 'bench-publisher-token-0123456789';

/** `npm start` (tsx over the sources) or the Docker image's compiled entry. */
/** The environment every benchmark service shares: a desk mailing through `smtpUrl`, unthrottled. */
export function deskEnv(smtpUrl: string): Record<string, string> {
  return {
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'Bench Desk <desk@news.example.com>',
    MAIL_RATE: '0',
    MAIL_POSTAL_ADDRESS: '1 Main St',
    PUBLIC_BASE_URL: 'https://news.example.com',
    SITE_TITLE: 'Bench Desk',
    PUBLISHER_TOKEN: BENCH_PUBLISHER_TOKEN,
  };
}

export type ServiceForm = 'npm-start' | 'compiled';

/** The command line of each form, relative to the repository (as in package.json and the Dockerfile). */
export const SERVICE_ENTRY: Record<ServiceForm, string> = {
  'npm-start': 'bin/syndicate.js',
  compiled: 'dist/src/cli/main.js',
};

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Resolves once the process has exited. */
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface StartServiceOptions {
  form: ServiceForm;
  port: number;
  /** The service's environment (DATA_DIR, QUEUE_PREFIX, CHANNELS…), on top of a clean one. */
  env: Record<string, string>;
  /** Node flags, e.g. `--heap-prof` (BENCH_MEMORY_FLAGS). */
  nodeFlags?: string[];
  /** Where the service's stdout and stderr go. @defaultValue 'inherit' */
  stdio?: 'inherit' | 'ignore';
}

/**
 * Starts the service; resolves once `GET /healthz` answers. The environment holds only PATH,
 * HOME and `env`: a developer's own REDIS_URL or CHANNELS must not leak into the benchmark.
 */
export async function startService(options: StartServiceOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), path.join(root, SERVICE_ENTRY[options.form]), 'start'], {
    // The data dir as working directory: no `.env` of the repository is read.
    cwd: options.env.DATA_DIR ?? root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(options.port), ...options.env },
    stdio: ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit'],
  });
  const exited = once(child, 'exit').then(() => undefined);
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 120_000;
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  for (;;) {
    if (exitedEarly) throw new Error(`${SERVICE_ENTRY[options.form]} start exited with ${child.exitCode} before answering`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${SERVICE_ENTRY[options.form]} start did not answer /healthz within 120 s`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return {
    child,
    pid: child.pid!,
    url,
    exited,
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** POSTs an article to the publish API; throws unless it was accepted. */
export async function publishArticle(url: string, article: Record<string, unknown>, method: 'POST' | 'PUT' = 'POST'): Promise<void> {
  const target = method === 'POST' ? `${url}/api/articles` : `${url}/api/articles/${encodeURIComponent(String(article.id))}`;
  const response = await fetch(target, {
    method,
    headers: { authorization: `Bearer ${BENCH_PUBLISHER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(article),
  });
  if (!response.ok) throw new Error(`${method} ${target}: ${response.status} ${await response.text()}`);
}

/** Retracts an article through the API. */
export async function retractArticle(url: string, id: string): Promise<void> {
  const response = await fetch(`${url}/api/articles/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${BENCH_PUBLISHER_TOKEN}` },
  });
  if (!response.ok) throw new Error(`DELETE /api/articles/${id}: ${response.status} ${await response.text()}`);
}

/** A process's resident memory from /proc/<pid>/status, in MB: now (VmRSS) and its peak so far (VmHWM). */
export function readRss(pid: number): { rssMb: number; peakMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped: the samples and the last peak read. */
export function sampleRss(pid: number, intervalMs = 250) {
  const started = performance.now();
  const samples: Array<{ seconds: number; rssMb: number }> = [];
  let peakMb = 0;
  const take = () => {
    const read = readRss(pid);
    if (!read) return;
    samples.push({ seconds: (performance.now() - started) / 1000, rssMb: read.rssMb });
    peakMb = Math.max(peakMb, read.peakMb);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    /** The highest VmHWM read (the kernel's own peak, so nothing between samples is missed). */
    get peakMb() {
      return peakMb;
    },
    stop() {
      take();
      clearInterval(timer);
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
