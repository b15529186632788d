import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ workers and subscribers. `maxRetriesPerRequest: null` is what
 * BullMQ workers require (blocking commands must wait through reconnects instead of failing).
 * Never for a command a request waits on: while Redis is away its commands wait, unbounded.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * How long a command on a {@link createCommandRedis} connection may take before it fails:
 * below SPEC §7's 2 s for a 503, far above what Syndicate's commands and BullMQ's scripts take.
 */
export const COMMAND_TIMEOUT_MS = 1000;

/**
 * A Redis connection for commands someone waits on: enqueueing (BullMQ `Queue`, which unlike
 * `Worker` does not need `maxRetriesPerRequest: null`), counters, readiness. While Redis is
 * down a command fails at once instead of queueing (`enableOfflineQueue: false`); while it
 * hangs, after {@link COMMAND_TIMEOUT_MS}. The connection itself keeps reconnecting, so work
 * resumes by itself. Commands sent before the first `ready` fail too: wait for it first
 * ({@link waitUntilReady}).
 */
export function createCommandRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableReadyCheck: true,
    ...options,
  });
}

/** Resolves true once `redis` is ready, false after `timeoutMs` (or when it ended) without. */
export async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  if (redis.status === 'end') return false;
  let done: (ready: boolean) => void = () => undefined;
  const settled = new Promise<boolean>((resolve) => (done = resolve));
  const onReady = () => done(true);
  const onEnd = () => done(false);
  const timer = setTimeout(onEnd, timeoutMs);
  redis.once('ready', onReady);
  redis.once('end', onEnd);
  try {
    return await settled;
  } finally {
    clearTimeout(timer);
    redis.off('ready', onReady);
    redis.off('end', onEnd);
  }
}

/** `url` with its password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = 'redacted';
    return parsed.toString().replace(':redacted@', ':[redacted]@');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
  }
}

/** True when a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
