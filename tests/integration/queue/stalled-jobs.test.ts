/**
 * Stall handling: a job whose worker dies under it runs again; one that keeps killing its
 * worker ends `failed` ("job stalled more than allowable limit"), and so does the ledger row it
 * held, for good. Real: worker processes killed with SIGKILL (fixtures/dying-worker.ts), Redis,
 * BullMQ, SQLite, the ledger runner.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createLogger } from '../../../src/logger.js';
import { enqueueDeliver, type ChannelQueue } from '../../../src/queue/channel-queue.js';
import { DEFAULT_JOB_OPTIONS, jobIds } from '../../../src/queue/jobs.js';
import { Queues } from '../../../src/queue/queues.js';
import { Reconciler } from '../../../src/queue/reconciler.js';
import { createRedis } from '../../../src/queue/redis.js';
import { ledgerKeysOf } from '../../../src/queue/stalled-jobs.js';
import { createQueueWorker } from '../../../src/queue/worker.js';
import { ArticleStore } from '../../../src/store/articles.js';
import { openDatabase } from '../../../src/store/database.js';
import { DeliveryStore } from '../../../src/store/deliveries.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait.js';
import { articleRecord } from '../store/article-records.js';

const fixture = fileURLToPath(new URL('./fixtures/dying-worker.ts', import.meta.url));

const STALL_LOG = 'deliveries failed: their job kept stopping its worker';

describe('stall handling', () => {
  const prefix = uniquePrefix('stalls');
  const connection = createRedis(TEST_REDIS_URL);

  afterAll(async () => {
    await deletePrefix(prefix);
    await connection.quit();
  });

  it('reads JOB_LOCK_MS, JOB_STALLED_INTERVAL_MS and JOB_MAX_STALLED, and hands them to BullMQ', async () => {
    const defaults = loadConfig({}, { cwd: mkdtempSync(path.join(tmpdir(), 'syndicate-stalls-')) }).config;
    expect(defaults.jobs).toEqual({ lockMs: 30_000, stalledIntervalMs: 30_000, maxStalled: 2 });
    expect(defaults.reconcileIntervalMs).toBe(60_000);
    const { config } = loadConfig(
      { JOB_LOCK_MS: '4000', JOB_STALLED_INTERVAL_MS: '1500', JOB_MAX_STALLED: '3', RECONCILE_INTERVAL_S: '5' },
      { cwd: mkdtempSync(path.join(tmpdir(), 'syndicate-stalls-')) },
    );
    expect(config.jobs).toEqual({ lockMs: 4_000, stalledIntervalMs: 1_500, maxStalled: 3 });
    expect(config.reconcileIntervalMs).toBe(5_000);
    const worker = createQueueWorker('settings', {}, { connection, prefix, logger: createLogger('silent'), stall: config.jobs });
    try {
      expect(worker.opts).toMatchObject({ lockDuration: 4_000, stalledInterval: 1_500, maxStalledCount: 3 });
    } finally {
      await worker.close();
    }
  });

  it('knows which ledger rows a job holds', () => {
    expect(ledgerKeysOf('x', { name: 'deliver', data: { articleId: 'a', target: '' } })).toEqual([
      { articleId: 'a', channel: 'x', target: '' },
    ]);
    expect(ledgerKeysOf('newsletter', { name: 'batch', data: { articleId: 'a', targets: ['s1', 's2'] } })).toEqual([
      { articleId: 'a', channel: 'newsletter', target: 's1' },
      { articleId: 'a', channel: 'newsletter', target: 's2' },
    ]);
    expect(ledgerKeysOf('x', { name: 'retract', data: { articleId: 'a' } })).toEqual([]);
    expect(ledgerKeysOf('newsletter', { name: 'digest-batch', data: { frequency: 'daily', targets: ['s1'] } })).toEqual([]);
  });

  it(
    'fails a job that keeps killing its worker, and the row it held, with the reason; the reconciler leaves both',
    { timeout: 90_000 },
    async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'syndicate-stalls-')), 'syndicate.db');
      const database = await openDatabase(`sqlite:${file}`);
      await migrateToLatest(database);
      const articles = new ArticleStore(database);
      const deliveries = new DeliveryStore(database);
      const queues = new Queues(connection, prefix);
      const key = { articleId: 'poison', channel: 'x', target: '' };
      try {
        await articles.insert(articleRecord('poison', { state: 'published' }));
        await deliveries.ensure([{ ...key, state: 'queued' }], new Date());
        await queues
          .channel('x')
          .add('deliver', { articleId: 'poison', target: '' }, { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.deliver('poison') });

        let deaths = 0;
        let output = '';
        for (let run = 0; run < 6; run++) {
          const child = spawn(process.execPath, ['--import', 'tsx', fixture, TEST_REDIS_URL, prefix, file], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
          const exited = new Promise<'died'>((resolve) => child.once('exit', () => resolve('died')));
          // The row fails before the worker logs why: wait for both, or the kill can beat the log line.
          const failed = waitFor(
            async () => (await deliveries.get(key))?.state === 'failed' && output.includes(STALL_LOG),
            30_000,
            'the row failed and the worker said why',
          ).then(() => 'failed' as const);
          const outcome = await Promise.race([exited, failed]);
          if (outcome === 'died') {
            deaths += 1;
            continue;
          }
          child.kill('SIGTERM');
          await exited;
          break;
        }

        const job = await queues.channel('x').getJob(jobIds.deliver('poison'));
        expect({ deaths, state: await job?.getState(), reason: job?.failedReason }).toEqual({
          deaths: 2,
          state: 'failed',
          reason: 'job stalled more than allowable limit',
        });
        const row = await deliveries.get(key);
        expect(row).toMatchObject({ state: 'failed', attempts: 2 });
        expect(row?.lastError).toMatch(/^job stalled more than allowable limit: its worker stopped while delivering/);
        expect(output).toContain(STALL_LOG);

        const x: ChannelQueue = {
          name: 'x',
          handlers: {},
          enqueues: [],
          enqueue: (article, queue, options) => enqueueDeliver(queue, article, {}, options),
        };
        const reconciler = new Reconciler(
          { articles, deliveries, queues, channels: [x], redis: connection, prefix, logger: createLogger('silent') },
          { intervalMs: 60_000, leaseMs: 0, graceMs: 0, retryBackoffMs: 0 },
        );
        expect(await reconciler.reconcileOnce()).toMatchObject({ requeued: {}, failed: 0 });
        expect((await deliveries.get(key))?.state).toBe('failed');
      } finally {
        await queues.close();
        await database.close();
      }
    },
  );
});
