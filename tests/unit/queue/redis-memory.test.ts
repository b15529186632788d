/** What a channel remembers in Redis expires. Real: Redis (this file's own prefix). */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_MEMORY_TTL_SECONDS, redisMemory } from '../../../src/queue/redis-memory.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';

describe('redisMemory', () => {
  const prefix = uniquePrefix('redis-memory');
  const redis = new Redis(TEST_REDIS_URL);

  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('recalls what it remembered, and each entry expires', async () => {
    const memory = redisMemory(redis, `${prefix}:instagram-containers`);
    await memory.remember('article-1', 'container-1');
    expect(await memory.recall('article-1')).toBe('container-1');
    expect(await memory.recall('article-2')).toBeNull();
    const ttl = await redis.ttl(`${prefix}:instagram-containers:article-1`);
    expect(ttl).toBeGreaterThan(REDIS_MEMORY_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(REDIS_MEMORY_TTL_SECONDS);
  });

  it('forgets after its time to live', async () => {
    const memory = redisMemory(redis, `${prefix}:short`, 1);
    await memory.remember('article-1', 'container-1');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await memory.recall('article-1')).toBeNull();
  });

  it('still reads entries an earlier version kept in one hash', async () => {
    await redis.hset(`${prefix}:legacy`, 'article-1', 'container-old');
    expect(await redisMemory(redis, `${prefix}:legacy`).recall('article-1')).toBe('container-old');
  });
});
