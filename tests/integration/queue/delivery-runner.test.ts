/**
 * The ledger protocol under crashes and failures (LEDGER.md), through real BullMQ jobs.
 * Real: Redis, BullMQ, SQLite. The "platform" is a pair of counting functions: the runner does
 * not care what it calls, and the point here is how often it calls.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryOutcome } from '../../../src/domain/delivery.js';
import { createLogger } from '../../../src/logger.js';
import { runDelivery, type DeliveryHandlers } from '../../../src/queue/delivery-runner.js';
import { ArticleStore } from '../../../src/store/articles.js';
import type { Database } from '../../../src/store/database.js';
import { DeliveryStore } from '../../../src/store/deliveries.js';
import { databaseTargets } from '../../helpers/database.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait.js';
import { articleRecord } from '../store/article-records.js';

const LEASE_MS = 600;
const sqlite = databaseTargets().find((target) => target.name === 'sqlite')!;

describe('runDelivery', () => {
  let database: Database;
  let articles: ArticleStore;
  let deliveries: DeliveryStore;
  const prefix = uniquePrefix('runner');
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let queue: Queue;
  let worker: Worker | undefined;
  let calls = 0;
  let reconciles = 0;
  let handlers: DeliveryHandlers;
  let n = 0;
  let articleId = '';

  beforeAll(async () => {
    database = await sqlite.open();
    articles = new ArticleStore(database);
    deliveries = new DeliveryStore(database);
    queue = new Queue('runner', { connection, prefix });
  });

  afterAll(async () => {
    await worker?.close();
    await queue.close();
    connection.disconnect();
    await deletePrefix(prefix);
    await database.close();
  });

  beforeEach(async () => {
    await worker?.close();
    worker = undefined;
    calls = 0;
    reconciles = 0;
    articleId = `article-${++n}`;
    await articles.insert(articleRecord(articleId, { state: 'published' }));
    await deliveries.ensure([{ articleId, channel: 'social', target: '', state: 'queued' }], new Date());
  });

  const key = () => ({ articleId, channel: 'social', target: '' });

  function startWorker(): void {
    const deps = { articles, deliveries, leaseMs: LEASE_MS, logger: createLogger('silent') };
    worker = new Worker('runner', (job: Job, token?: string) => runDelivery(deps, job, token, key(), handlers), {
      connection: new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }),
      prefix,
    });
  }

  async function enqueue(attempts = 3): Promise<Job> {
    return queue.add('deliver', {}, { attempts, backoff: { type: 'fixed', delay: 20 }, jobId: `deliver-${articleId}` });
  }

  const sent: DeliveryOutcome = { state: 'sent', externalId: 'post-1', externalUrl: 'https://social.test/post-1' };

  it('delivers once and records the outcome', async () => {
    handlers = { call: async () => (calls++, sent) };
    startWorker();
    const job = await enqueue();
    await waitFor(async () => (await deliveries.get(key()))?.state === 'sent', 5000);
    expect(await deliveries.get(key())).toMatchObject({ state: 'sent', attempts: 1, externalId: 'post-1' });
    expect(calls).toBe(1);

    // The same job delivered again (a stalled job, a repeated fan-out): nothing is called.
    await (await queue.getJob(job.id!))?.remove();
    await enqueue();
    await waitFor(async () => (await queue.getJob(`deliver-${articleId}`))?.finishedOn, 5000);
    expect(calls).toBe(1);
  });

  it('waits out the lease of a worker that died mid-call, then reconciles instead of calling again', async () => {
    // A worker claimed the row and was killed after the platform stored the post.
    await deliveries.claim(key(), 'dead-worker', LEASE_MS, new Date());
    handlers = {
      reconcile: async () => (reconciles++, sent),
      call: async () => (calls++, sent),
    };
    startWorker();
    const started = Date.now();
    await enqueue(1);
    await waitFor(async () => (await deliveries.get(key()))?.state === 'sent', 5000, 'the reconciled row');
    expect(Date.now() - started).toBeGreaterThanOrEqual(LEASE_MS - 50);
    expect({ calls, reconciles }).toEqual({ calls: 0, reconciles: 1 });
    expect((await deliveries.get(key()))?.attempts).toBe(2);
  });

  it('calls again when reconciling finds nothing', async () => {
    await deliveries.claim(key(), 'dead-worker', LEASE_MS, new Date(Date.now() - LEASE_MS - 1));
    handlers = { reconcile: async () => (reconciles++, null), call: async () => (calls++, sent) };
    startWorker();
    await enqueue();
    await waitFor(async () => (await deliveries.get(key()))?.state === 'sent', 5000);
    expect({ calls, reconciles }).toEqual({ calls: 1, reconciles: 1 });
  });

  it('retries a failing call with back-off and records retry, then sent', async () => {
    const states: string[] = [];
    handlers = {
      call: async () => {
        calls++;
        states.push((await deliveries.get(key()))!.state);
        if (calls < 3) throw new Error(`platform said 503 (${calls})`);
        return sent;
      },
    };
    startWorker();
    await enqueue(5);
    await waitFor(async () => (await deliveries.get(key()))?.state === 'sent', 5000);
    expect(calls).toBe(3);
    expect(states).toEqual(['claimed', 'claimed', 'claimed']);
    expect(await deliveries.get(key())).toMatchObject({ attempts: 3, state: 'sent' });
  });

  it('marks the delivery failed when the attempts are spent', async () => {
    handlers = { call: async () => (calls++, { state: 'retry', error: 'still down' }) };
    startWorker();
    await enqueue(2);
    await waitFor(async () => (await deliveries.get(key()))?.state === 'failed', 5000);
    expect(await deliveries.get(key())).toMatchObject({ state: 'failed', attempts: 2, lastError: 'still down' });
    expect(calls).toBe(2);
  });

  it('records a permanent outcome without retrying', async () => {
    handlers = { call: async () => (calls++, { state: 'duplicate', error: 'the platform already has this post' }) };
    startWorker();
    await enqueue(5);
    await waitFor(async () => (await deliveries.get(key()))?.state === 'duplicate', 5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(1);
  });

  it('cancels instead of calling when the article was retracted', async () => {
    await articles.retract(articleId, new Date());
    handlers = { call: async () => (calls++, sent) };
    startWorker();
    await enqueue();
    await waitFor(async () => (await deliveries.get(key()))?.state === 'cancelled', 5000);
    expect(calls).toBe(0);
  });
});
