/**
 * The real service under chaos: `node bin/syndicate.js start` as a child process (API and every
 * worker), SQLite in a temp DATA_DIR, its own Redis. It can be killed (SIGKILL) and started
 * again on the same port and data; its log lines of every run are kept, to find the ambiguous
 * re-sends it reported. Short stall settings make a killed worker's jobs come back in seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SubscriberImporter } from '../../../src/channels/newsletter/subscriber-import.js';
import { openDatabase } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait.js';

const bin = fileURLToPath(new URL('../../../bin/syndicate.js', import.meta.url));
export const CHAOS_TOKEN = 'chaos-suite-publisher-token';

/** What the chaos suite runs the service with (README "Chaos suite"). */
export const CHAOS_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  MAIL_FROM: 'desk@news.test',
  MAIL_RATE: '0',
  // A dead worker's email claims are taken over after 5 s, its jobs once their 5 s lock expired
  // (shorter, and a worker merely slowed down by a loaded machine looks dead and sends again).
  MAIL_LEASE_SECONDS: '5',
  JOB_LOCK_MS: '5000',
  JOB_STALLED_INTERVAL_MS: '1000',
  // Kills are not poison: a job may be running at every one of them.
  JOB_MAX_STALLED: '10',
  RECONCILE_INTERVAL_S: '2',
  SHUTDOWN_TIMEOUT: '5',
  SITE_LANGUAGE: 'en',
};

/** The developer's shell must not add channels or credentials. */
const INHERITED =
  /^(X_|MASTODON_|BLUESKY_|FACEBOOK_|INSTAGRAM_|SMTP_|MAIL_|JOB_|RECONCILE_|DKIM_|REDIS_URL|DATABASE_URL|CHANNELS|QUEUE_PREFIX|OUTBOX|PORT|HOST|PUBLIC_BASE_URL|DATA_DIR)/;

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class ChaosService {
  readonly dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-chaos-'));
  private child: ChildProcess | undefined;
  private log = '';
  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  /** A service (not started yet) with `env` on top of CHAOS_ENV. */
  static async create(env: Record<string, string>): Promise<ChaosService> {
    return new ChaosService(await freePort(), env);
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every run's output so far. */
  output(): string {
    return this.log;
  }

  /** Confirmed immediate subscribers `reader-0000@example.org`…, written before the first start. */
  async seedSubscribers(count: number): Promise<string[]> {
    const database = await openDatabase(`sqlite:${path.join(this.dataDir, 'syndicate.db')}`);
    try {
      await migrateToLatest(database);
      const emails = Array.from({ length: count }, (_, i) => `reader-${String(i).padStart(4, '0')}@example.org`);
      const rows = emails.map((email) => ({ email, frequency: 'immediate' as const, categories: [], name: null }));
      await new SubscriberImporter(database).importMany(rows, { confirmed: true, now: new Date() });
      return emails;
    } finally {
      await database.close();
    }
  }

  /** Starts a process and waits until it is ready (Redis and the database answer). */
  async start(): Promise<void> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INHERITED.test(name)));
    const child = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...inherited,
        ...CHAOS_ENV,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: this.base,
        DATA_DIR: this.dataDir,
        PUBLISHER_TOKEN: CHAOS_TOKEN,
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    await waitFor(
      async () =>
        child.exitCode !== null ? Promise.reject(new Error('exited')) : (await fetch(`${this.base}/readyz`).catch(() => null))?.ok,
      // tsx compiles the sources at every start: seconds on an idle machine, much more on a busy one.
      120_000,
      'the service to be ready',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.log.slice(-3000)}`);
    });
  }

  /** SIGKILL: no shutdown, no finishing anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** A publisher API call; a time-out or a refused connection answers status 0. */
  async api(method: string, route: string, body?: unknown, timeoutMs = 10_000): Promise<ApiAnswer> {
    try {
      const response = await fetch(`${this.base}${route}`, {
        method,
        headers: { authorization: `Bearer ${CHAOS_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    } catch {
      return { status: 0, body: {} };
    }
  }

  /** The `(articleId, subscriber id)` pairs the service logged as ambiguous re-sends. */
  ambiguousResends(): Set<string> {
    const pairs = new Set<string>();
    for (const line of this.log.split('\n')) {
      if (!line.includes('ambiguous re-send')) continue;
      try {
        const entry = JSON.parse(line) as { articleId?: string; target?: string };
        if (entry.articleId && entry.target) pairs.add(`${entry.articleId}.${entry.target}`);
      } catch {
        // not a JSON line
      }
    }
    return pairs;
  }
}
