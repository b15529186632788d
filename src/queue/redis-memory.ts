import type { Redis } from 'ioredis';

/** A small remembered mapping in a Redis hash (e.g. article → the platform's container id). */
export function redisMemory(redis: Redis, key: string) {
  return {
    async remember(field: string, value: string): Promise<void> {
      await redis.hset(key, field, value);
    },
    async recall(field: string): Promise<string | null> {
      return redis.hget(key, field);
    },
  };
}
