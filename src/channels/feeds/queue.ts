/**
 * The feeds' queue side: a `deliver` job is done once a rebuild covers its article (coalesced
 * in FeedBuilder); `refresh` jobs follow updates and retractions; changed feeds are announced
 * to API processes (cache invalidation) and to WebSub hubs.
 */
import type { Redis } from 'ioredis';
import { defineChannelQueue, enqueueDeliver, type ChannelQueue } from '../../queue/channel-queue.js';
import { runDelivery, type DeliveryRunnerDeps } from '../../queue/delivery-runner.js';
import { DEFAULT_JOB_OPTIONS, typedQueue, type DeliverJobs } from '../../queue/jobs.js';
import type { FeedBuilder } from './builder.js';
import { feedUrls } from './urls.js';
import { pingHubs } from './websub.js';

export const FEEDS_CHANNEL = 'feeds';

export interface RefreshJobData {
  articleId: string;
  generation: number;
}

export interface WebsubPingJobData {
  topics: string[];
}

/** The feeds queue's jobs. */
export type FeedJobs = DeliverJobs & { refresh: RefreshJobData; 'websub-ping': WebsubPingJobData };

const refreshJobId = (articleId: string, generation: number) => `refresh-${articleId}-${generation}`;

/** Redis pub/sub channel on which changed feed keys are announced. */
export function feedChangesChannel(prefix: string): string {
  return `${prefix}:feeds:changed`;
}

export interface FeedsQueueDeps extends DeliveryRunnerDeps {
  builder: FeedBuilder;
  publicBaseUrl: string;
  hubs: readonly string[];
}

export function createFeedsQueue(deps: FeedsQueueDeps): ChannelQueue {
  return defineChannelQueue<FeedJobs>({
    name: FEEDS_CHANNEL,
    enqueues: ['deliver', 'refresh', 'websub-ping'],
    async enqueue(article, queue, options) {
      const generation = await deps.builder.markDirty(article.categories);
      await enqueueDeliver(queue, article, { generation }, options);
    },
    async onUpdate(article, categories, queue) {
      const generation = await deps.builder.markDirty(categories);
      await typedQueue<FeedJobs>(queue).add(
        'refresh',
        { articleId: article.id, generation },
        { ...DEFAULT_JOB_OPTIONS, jobId: refreshJobId(article.id, generation) },
      );
    },
    handlers: {
      deliver: (job, context) =>
        runDelivery(
          deps,
          job,
          context.token,
          { articleId: job.data.articleId, channel: FEEDS_CHANNEL, target: '' },
          {
            call: async () => {
              await deps.builder.ensureBuilt(job.data.generation ?? Number.MAX_SAFE_INTEGER);
              return { state: 'sent', externalUrl: feedUrls(deps.publicBaseUrl).rss };
            },
          },
        ),
      refresh: (job) => deps.builder.ensureBuilt(job.data.generation),
      'websub-ping': (job) => pingHubs(deps.hubs, job.data.topics),
    },
  });
}

/** What a rebuild does with the feeds whose bytes changed. */
export function announceFeedChanges(
  redis: Redis,
  prefix: string,
  hubs: readonly string[],
  addPing: (data: WebsubPingJobData) => Promise<unknown>,
) {
  return async (changedKeys: string[], topics: string[]): Promise<void> => {
    await redis.publish(feedChangesChannel(prefix), JSON.stringify(changedKeys));
    if (hubs.length > 0) await addPing({ topics });
  };
}

export const WEBSUB_JOB_OPTIONS = { ...DEFAULT_JOB_OPTIONS, attempts: 6 };
