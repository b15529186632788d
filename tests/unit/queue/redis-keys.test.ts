/**
 * Every key a queue makes sits in one Redis Cluster slot, and each queue in its own; so do the
 * keys the feeds builder's scripts and the metrics' MULTI use together. Real: Redis (the test
 * server, under this file's own prefixes), BullMQ through the app's `Queues` and
 * `createQueueWorker`, the feeds builder of a whole Syndicate (SQLite), shared metric totals.
 * Computed: the slots (key-slot.ts, checked here against answers of Redis's CLUSTER KEYSLOT),
 * since the test server is not a cluster.
 */
import { UnrecoverableError, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedsModule } from '../../../src/channels/feeds/module.js';
import { createLogger } from '../../../src/logger.js';
import { SharedTotals } from '../../../src/metrics/shared-totals.js';
import { Queues } from '../../../src/queue/queues.js';
import { createRedis } from '../../../src/queue/redis.js';
import { hashTag, keyGroupPrefix, queueKeyPrefix } from '../../../src/queue/redis-keys.js';
import { createQueueWorker } from '../../../src/queue/worker.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';
import { startTestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';
import { crc16, keySlot } from './key-slot.js';

const QUEUE_NAMES = ['x', 'newsletter'] as const;

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

const slotsOf = (keys: readonly string[]) => [...new Set(keys.map(keySlot))];

describe('the key-slot oracle', () => {
  it('computes CRC16-XMODEM', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('answers as Redis 7 CLUSTER KEYSLOT does, hash tags included', () => {
    const answers: Record<string, number> = {
      foo: 12182,
      somekey: 11058,
      'foo{hash_tag}': 2515,
      'foo{}{bar}': 8363, // an empty first tag: the whole key counts
      'foo{{bar}}zap': 4015, // the tag is "{bar"
      'foo{bar}{zap}': 5061, // only the first tag counts: "bar"
      '{user1000}.following': 3443,
      'syndicate:{publish}:publish:wait': 15389,
      'é{ü}': 9552,
    };
    for (const [key, slot] of Object.entries(answers)) expect(keySlot(key), key).toBe(slot);
  });
});

describe('hash tags in key names', () => {
  it('finds the tag Redis Cluster hashes, or none', () => {
    expect(hashTag('syndicate')).toBeNull();
    expect(hashTag('{syndicate}')).toBe('syndicate');
    expect(hashTag('news:{syndicate}:a')).toBe('syndicate');
    expect(hashTag('a{}b{c}')).toBeNull();
    expect(hashTag('a{b')).toBeNull();
    expect(hashTag('a{{b}}')).toBe('{b');
  });

  it('gives each queue its own tag under a plain prefix, and keeps a prefix that has one as it is', () => {
    expect(queueKeyPrefix('syndicate', 'publish')).toBe('syndicate:{publish}');
    expect(queueKeyPrefix('{syndicate}', 'publish')).toBe('{syndicate}');
    expect(queueKeyPrefix('news-{eu}', 'publish')).toBe('news-{eu}');
    expect(keyGroupPrefix('syndicate', 'feeds')).toBe('syndicate:{feeds}');
    expect(keyGroupPrefix('{syndicate}', 'feeds')).toBe('{syndicate}:feeds');
  });
});

describe.each([
  { form: 'a plain QUEUE_PREFIX', prefix: uniquePrefix('slots'), tagged: false },
  { form: 'a QUEUE_PREFIX with its own hash tag', prefix: `{${uniquePrefix('slots')}}`, tagged: true },
])('keys under $form', ({ prefix, tagged }) => {
  let redis: Redis;
  beforeAll(() => {
    redis = createRedis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await redis.quit();
  });

  it('puts every key of a queue in one slot: jobs done, failed, delayed, prioritized, deduplicated, scheduled, rate-limited, logged, paused', async () => {
    const queues = new Queues(redis, prefix);
    const workers: Worker[] = [];
    const connections: Redis[] = [];
    try {
      for (const name of QUEUE_NAMES) {
        const queue = queues.channel(name);
        const connection = createRedis(TEST_REDIS_URL);
        connections.push(connection);
        const worker = createQueueWorker(
          name,
          {
            async done(job, context) {
              await job.log('handled');
              await context.rateLimit(100);
              return 'ok';
            },
            async broken() {
              throw new UnrecoverableError('broken on purpose');
            },
          },
          {
            connection,
            prefix,
            logger: createLogger('silent'),
            limiter: { max: 1000, duration: 60_000 },
            stall: { lockMs: 5_000, stalledIntervalMs: 1_000, maxStalled: 1 },
          },
        );
        workers.push(worker);
        await queue.add('done', {}, { jobId: 'done-1' });
        await queue.add('broken', {}, { jobId: 'broken-1', attempts: 1 });
        await waitFor(
          async () => {
            const counts = await queue.getJobCounts('completed', 'failed');
            return counts.completed === 1 && counts.failed === 1;
          },
          10_000,
          `${name}: one job completed, one failed`,
        );
        await worker.close();

        await queue.add('later', {}, { jobId: 'later-1', delay: 3_600_000 });
        await queue.add('urgent', {}, { jobId: 'urgent-1', priority: 3 });
        await queue.add('once', {}, { deduplication: { id: 'once-only' } });
        await queue.upsertJobScheduler('every-hour', { every: 3_600_000 }, { name: 'scheduled', data: {} });
        await queue.pause();
        await queue.add('waiting', {}, { jobId: 'waiting-1' });
      }

      const keys = await keysUnder(redis, prefix);
      const byQueue = new Map<string, string[]>(QUEUE_NAMES.map((name) => [name, []]));
      for (const key of keys) {
        const owner = QUEUE_NAMES.find((name) => key.startsWith(`${queueKeyPrefix(prefix, name)}:${name}:`));
        expect(owner, `${key} belongs to no queue`).toBeDefined();
        byQueue.get(owner!)!.push(key);
      }
      for (const [name, queueKeys] of byQueue) {
        const suffixes = queueKeys.map((key) => key.slice(`${queueKeyPrefix(prefix, name)}:${name}:`.length));
        // Every kind of key the states above make, so the test cannot pass on a queue that made few.
        const expected = [
          'meta',
          'id',
          'events',
          'completed',
          'failed',
          'delayed',
          'prioritized',
          'pc',
          'limiter',
          'repeat',
          'repeat:every-hour',
          'de:once-only',
          'done-1',
          'done-1:logs',
          'later-1',
          'urgent-1',
          'waiting-1',
        ];
        expect(
          expected.filter((suffix) => !suffixes.includes(suffix)),
          `${name}: missing among ${suffixes.join(', ')}`,
        ).toEqual([]);
        expect(slotsOf(queueKeys), name).toEqual([keySlot(tagged ? prefix : `{${name}}`)]);
      }
      const [first, second] = QUEUE_NAMES.map((name) => slotsOf(byQueue.get(name)!)[0]);
      if (tagged) {
        // Under the deployment's own tag everything shares its slot, with the keys named as before.
        expect(first).toBe(second);
        expect(keys.every((key) => QUEUE_NAMES.some((name) => key.startsWith(`${prefix}:${name}:`)))).toBe(true);
      } else {
        expect(first).not.toBe(second);
      }
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
      await queues.close();
      await Promise.all(connections.map((connection) => connection.quit()));
    }
  });

  // A whole Syndicate starts here: slow on a busy machine.
  it("puts the feeds builder's keys in one slot", { timeout: 90_000 }, async () => {
    const t = await startTestSyndicate('slots-feeds', { roles: [], env: { QUEUE_PREFIX: prefix } });
    try {
      const { builder } = t.syndicate.channel(feedsModule).services;
      const group = `${keyGroupPrefix(prefix, 'feeds')}:`;
      const feedsKeys = async () => (await keysUnder(redis, prefix)).filter((key) => key.startsWith(group));
      const generation = await builder.markDirty([{ name: 'Harbour', slug: 'harbour' }]);
      const marked = await feedsKeys();
      await builder.ensureBuilt(generation);
      const built = await feedsKeys();

      const names = [...new Set([...marked, ...built])].map((key) => key.slice(group.length));
      expect(names).toEqual(expect.arrayContaining(['generation', 'dirty', 'built', 'last-build']));
      expect(slotsOf([...marked, ...built])).toEqual([keySlot(tagged ? prefix : '{feeds}')]);
    } finally {
      await t.stop();
    }
  });

  it('puts the shared metric totals, written in one MULTI, in one slot', async () => {
    // A prefix of its own under the file's: the Syndicate above wrote totals of its own.
    const own = `${prefix}:totals`;
    const totals = new SharedTotals(redis, own);
    totals.add('deliveries', 'x|sent', 1);
    totals.add('job_duration_seconds', 'newsletter|sum', 0.25);
    totals.add('feed_rebuilds', '', 1);
    await totals.flush();
    const keys = (await keysUnder(redis, own)).filter((key) => key.startsWith(`${keyGroupPrefix(own, 'metrics')}:`));
    expect(keys).toHaveLength(3);
    expect(slotsOf(keys)).toEqual([keySlot(tagged ? prefix : '{metrics}')]);
  });
});
