/**
 * The embedded start: when no Redis answers at REDIS_URL and `redis-server` is on the PATH,
 * run one as a child process with its data (append-only file) in DATA_DIR/redis, so that
 * `npm start` works on a fresh machine. Otherwise say how to get one. The password in
 * REDIS_URL reaches redis-server on its standard input, never in its arguments (which `ps`
 * shows to every user), and no message repeats it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { redactRedisUrl, redisAnswers } from './redis.js';

export class RedisUnavailableError extends Error {
  constructor(url: string, reason: string) {
    super(
      `No Redis answers at ${redactRedisUrl(url)} (${reason}). Start one with \`docker compose up -d redis\`, ` +
        "or install Debian's package (`apt-get install redis-server`) so Syndicate can start its own, " +
        'or point REDIS_URL at a Redis ≥ 6.2.',
    );
    this.name = 'RedisUnavailableError';
  }
}

export interface EmbeddedRedis {
  child: ChildProcess;
  stop(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns null when Redis already answers; starts an embedded one when it may; throws
 * RedisUnavailableError with instructions otherwise.
 */
export async function ensureRedis(url: string, dataDir: string, logger: Logger): Promise<EmbeddedRedis | null> {
  if (await redisAnswers(url)) return null;
  const parsed = new URL(url);
  if (!LOCAL_HOSTS.has(parsed.hostname)) throw new RedisUnavailableError(url, 'it is not on this machine, so none can be started here');
  if (!onPath('redis-server')) throw new RedisUnavailableError(url, 'and redis-server is not on the PATH');

  const dir = path.join(dataDir, 'redis');
  // Its append-only file holds the queued jobs: owner only, like the rest of DATA_DIR.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = parsed.port || '6379';
  const args = [
    '--port',
    port,
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
  ];
  const password = parsed.password ? decodeURIComponent(parsed.password) : '';
  // `-` reads a configuration file from standard input before the arguments apply.
  const child = spawn('redis-server', ['-', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(password ? `requirepass ${configString(password)}\n` : '');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await redisAnswers(url, 300)) {
      logger.info({ port, dir }, 'started an embedded redis-server (append-only file in DATA_DIR/redis)');
      return {
        child,
        stop: async () => {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  const said = redactPassword(stderr, password).trim().slice(0, 500);
  throw new RedisUnavailableError(url, `redis-server did not start: ${said || 'no answer within 10 s'}`);
}

/** `value` as a double-quoted redis.conf string: every byte hex-escaped, so nothing in it is syntax. */
function configString(value: string): string {
  return `"${[...Buffer.from(value, 'utf8')].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}"`;
}

/** `text` without `password`, raw or as redis.conf would echo it. */
function redactPassword(text: string, password: string): string {
  if (!password) return text;
  return text.split(password).join('[redacted]').split(configString(password)).join('"[redacted]"');
}
