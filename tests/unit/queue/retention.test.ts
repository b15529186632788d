/**
 * Redis holds a bounded number of finished jobs per queue: every queue's default job options,
 * and every set of options callers spread into `add`, keep completed and failed jobs by count as
 * well as by age, and the events streams are capped. Real: Redis (this file's own prefix),
 * BullMQ queues made by the app's `Queues`, jobs added through `enqueueDeliver`. Read: the
 * sources, for `removeOnComplete`/`removeOnFail` written anywhere under src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_CHANNELS } from '../../../config/schema.js';
import { WEBSUB_JOB_OPTIONS } from '../../../src/channels/feeds/queue.js';
import { enqueueDeliver } from '../../../src/queue/channel-queue.js';
import { DEFAULT_JOB_OPTIONS, FAILED_JOB_RETENTION, PUBLISH_QUEUE } from '../../../src/queue/jobs.js';
import { QUEUE_EVENTS_MAX_LEN, Queues } from '../../../src/queue/queues.js';
import { createCommandRedis, waitUntilReady } from '../../../src/queue/redis.js';
import { WEBHOOK_JOB_OPTIONS, WEBHOOK_QUEUE } from '../../../src/webhooks/webhook-queue.js';
import type { ArticleRecord } from '../../../src/domain/article.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';

type Keep = JobsOptions['removeOnComplete'];

/** Why `keep` lets finished jobs pile up, or null when it bounds them by count. */
function unbounded(keep: Keep): string | null {
  if (keep === true) return null; // removed at once
  if (typeof keep === 'number') return keep >= 0 ? null : `a negative count (${keep})`;
  if (keep === undefined || keep === false) return 'kept for ever';
  if (typeof keep.count !== 'number' || !Number.isFinite(keep.count) || keep.count < 0) {
    return `no count bound (${JSON.stringify(keep)})`;
  }
  return null;
}

function expectBounded(label: string, options: JobsOptions | undefined): void {
  expect(unbounded(options?.removeOnComplete), `${label}: removeOnComplete`).toBeNull();
  expect(unbounded(options?.removeOnFail), `${label}: removeOnFail`).toBeNull();
}

describe('bounded job retention', () => {
  it('tells a count bound from an age alone', () => {
    expect(unbounded({ age: 3600 })).toMatch(/no count bound/);
    expect(unbounded(undefined)).toBe('kept for ever');
    expect(unbounded(false)).toBe('kept for ever');
    expect(unbounded({ age: 3600, count: 100 })).toBeNull();
    expect(unbounded(100)).toBeNull();
    expect(unbounded(true)).toBeNull();
  });

  it('bounds every set of job options that enqueuers spread into add()', () => {
    expectBounded('DEFAULT_JOB_OPTIONS', DEFAULT_JOB_OPTIONS);
    expectBounded('WEBHOOK_JOB_OPTIONS', WEBHOOK_JOB_OPTIONS);
    expectBounded('WEBSUB_JOB_OPTIONS', WEBSUB_JOB_OPTIONS);
    // Failed jobs stay long enough for an operator to look into them.
    expect(FAILED_JOB_RETENTION.age).toBeGreaterThanOrEqual(7 * 24 * 3600);
    expect(DEFAULT_JOB_OPTIONS.stackTraceLimit).toBeGreaterThan(0);
  });

  it('writes removeOnComplete and removeOnFail in src/ only with a count bound', () => {
    const src = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(src, file), 'utf8');
      for (const match of text.matchAll(/removeOn(?:Complete|Fail):\s*([^,}\n]+(?:}|,|\n))/g)) {
        const value = match[1]!.trim();
        // A number, `true`, one of the bounded retention constants, or an object literal naming a count.
        const bounded =
          /^(\d[\d_]*|true)\b/.test(value) ||
          /^(COMPLETED|FAILED)_JOB_RETENTION\b/.test(value) ||
          (value.startsWith('{') && /\bcount:/.test(text.slice(match.index, text.indexOf('}', match.index) + 1)));
        if (!bounded) offenders.push(`${file}: ${match[0].trim()}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  describe('in Redis', () => {
    const prefix = uniquePrefix('retention');
    let redis: Redis;
    let queues: Queues;

    beforeAll(async () => {
      redis = createCommandRedis(TEST_REDIS_URL);
      expect(await waitUntilReady(redis, 5000)).toBe(true);
      queues = new Queues(redis, prefix);
    });

    afterAll(async () => {
      await queues.close();
      await redis.quit();
      await deletePrefix(prefix);
    });

    it('gives every queue bounded default job options and a capped events stream', () => {
      for (const name of [PUBLISH_QUEUE, ...KNOWN_CHANNELS, WEBHOOK_QUEUE]) {
        const queue = queues.channel(name);
        expectBounded(`queue ${name}`, queue.defaultJobOptions);
        expect(queue.opts.streams?.events?.maxLen, `queue ${name}: events maxLen`).toBe(QUEUE_EVENTS_MAX_LEN);
      }
    });

    it('stores the bounds on the jobs themselves, as BullMQ applies them when a job finishes', async () => {
      const queue = queues.channel('x');
      await enqueueDeliver(queue, { id: 'kept-bounded' } as ArticleRecord);
      // A job added with no options of its own gets the queue's.
      const bare = await queue.add('deliver', { articleId: 'bare', target: '' });
      for (const id of ['deliver-kept-bounded', bare.id!]) {
        const job = await queue.getJob(id);
        expectBounded(`job ${id}`, job?.opts);
      }
    });
  });
});
