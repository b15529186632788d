/**
 * A Redis of the chaos test's own: `redis-server` as a child process on a free port, without
 * persistence (`--save '' --appendonly no`), so that a restart comes back empty, as a Redis
 * without AOF does after a crash. Other test files' keys are never touched by its FLUSHALL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait.js';

export class ChaosRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** Starts one on a free port and waits until it answers PING. */
  static async start(): Promise<ChaosRedis> {
    const redis = new ChaosRedis(await freePort());
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, empty) on the same port. */
  async up(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    await waitFor(() => this.command((redis) => redis.ping()).catch(() => false), 10_000, `redis-server on port ${this.port}`);
  }

  /** Kills the server (SIGKILL): every connection drops, nothing answers until `up()`. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** FLUSHALL: every job, lock, limiter and marker gone while the service keeps running. */
  async flushAll(): Promise<void> {
    await this.command((redis) => redis.flushall());
  }

  async close(): Promise<void> {
    await this.down();
  }

  private async command<T>(run: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      return await run(redis);
    } finally {
      redis.disconnect();
    }
  }
}
