import type { Redis } from 'ioredis';

/**
 * How long a remembered value lives: as long as a failed job is kept (FAILED_JOB_RETENTION), far
 * beyond any retry that could still want it. @defaultValue 30 days
 */
export const REDIS_MEMORY_TTL_SECONDS = 30 * 24 * 3600;

/**
 * A small remembered mapping (e.g. article → the platform's container id). Each entry is a key
 * of its own, `<key>:<field>`, that expires after `ttlSeconds`: one entry per article would
 * otherwise pile up in Redis for ever. Entries an earlier version wrote into the hash `key`
 * (which never expired) are still read.
 */
export function redisMemory(redis: Redis, key: string, ttlSeconds = REDIS_MEMORY_TTL_SECONDS) {
  return {
    async remember(field: string, value: string): Promise<void> {
      await redis.set(`${key}:${field}`, value, 'EX', ttlSeconds);
    },
    async recall(field: string): Promise<string | null> {
      return (await redis.get(`${key}:${field}`)) ?? (await redis.hget(key, field));
    },
  };
}
