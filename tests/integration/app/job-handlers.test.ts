/**
 * Start-up checks every queue's job table against its handlers (STYLE "Immich"): a job that
 * can be enqueued without a handler fails `createSyndicate` at once, not eight attempts later.
 * Real: Redis, SQLite, BullMQ. Fake: the channel modules (minimal ones made here).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.js';
import { createSyndicate, type Syndicate } from '../../../src/app.js';
import type { ChannelModule } from '../../../src/channels/module.js';
import { createLogger } from '../../../src/logger.js';
import { defineChannelQueue, enqueueDeliver } from '../../../src/queue/channel-queue.js';
import type { DeliverJobs, JobHandlers } from '../../../src/queue/jobs.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/wait.js';

type ExtraJobs = DeliverJobs & { extra: { note: string } };

function testConfig(prefix: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-handlers-'));
  return loadConfig(
    { DATA_DIR: dataDir, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, CHANNELS: 'feeds', LOG_LEVEL: 'silent' },
    { cwd: dataDir },
  ).config;
}

/** A module under the name `feeds` (a name CHANNELS accepts) whose queue handles only `deliver`. */
function moduleDeclaring(enqueues: Array<keyof ExtraJobs & string>): ChannelModule {
  return {
    name: 'feeds',
    async build() {
      // Deliberately incomplete: the type checker refuses such a table, and start-up must too.
      const handlers = { deliver: async () => 'delivered' } as unknown as JobHandlers<ExtraJobs>;
      return {
        mode: 'live',
        queue: defineChannelQueue<ExtraJobs>({
          name: 'feeds',
          handlers,
          enqueues,
          enqueue: (article, queue) => enqueueDeliver(queue, article),
        }),
        services: {},
      };
    },
  };
}

const prefixes: string[] = [];
const opened: Syndicate[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await Promise.all(prefixes.splice(0).map(deletePrefix));
});

describe('job handlers', () => {
  it('fails start-up when a job the queue enqueues has no handler', async () => {
    const prefix = uniquePrefix('handlers');
    prefixes.push(prefix);
    await expect(createSyndicate(testConfig(prefix), createLogger('silent'), [moduleDeclaring(['deliver', 'extra'])])).rejects.toThrow(
      'queue "feeds": no handler for job "extra"',
    );
  });

  it('fails a job of an unknown name once, without retrying it', async () => {
    const prefix = uniquePrefix('handlers');
    prefixes.push(prefix);
    const syndicate = await createSyndicate(testConfig(prefix), createLogger('silent'), [moduleDeclaring(['deliver'])]);
    opened.push(syndicate);
    await syndicate.startWorkers(['feeds']);
    const job = await syndicate.queues.channel('feeds').add('mystery', {}, { attempts: 8 });
    const failed = await waitFor(
      async () => {
        const state = await syndicate.queues.channel('feeds').getJob(job.id!);
        return state?.failedReason ? state : null;
      },
      10_000,
      'the job to fail',
    );
    expect(failed.failedReason).toBe('queue "feeds" has no handler for job "mystery"');
    expect(failed.attemptsMade).toBe(1);
  });
});
