/**
 * The feeds channel joined to the queue: a `deliver` job is done once a rebuild covers its
 * article (coalesced in FeedBuilder); `refresh` jobs follow updates and retractions; changed
 * feeds are announced to API processes (cache invalidation) and to WebSub hubs.
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ArticleRecord } from '../../domain/article.js';
import { pingHubs } from './websub.js';
import { feedUrls } from './urls.js';
import type { ChannelDefinition } from '../../queue/channel-queue.js';
import { enqueueDeliver } from '../../queue/channel-queue.js';
import type { DeliveryRunnerDeps } from '../../queue/delivery-runner.js';
import { runDelivery } from '../../queue/delivery-runner.js';
import type { FeedBuilder } from './builder.js';
import { DEFAULT_JOB_OPTIONS, JobName, type DeliverJobData, type RefreshJobData, type WebsubPingJobData } from '../../queue/jobs.js';

export const FEEDS_CHANNEL = 'feeds';

/** Redis pub/sub channel on which changed feed keys are announced. */
export function feedChangesChannel(prefix: string): string {
  return `${prefix}:feeds:changed`;
}

export interface FeedsDeliveryDeps extends DeliveryRunnerDeps {
  builder: FeedBuilder;
  publicBaseUrl: string;
  hubs: readonly string[];
}

export function feedsChannel(deps: FeedsDeliveryDeps): ChannelDefinition {
  return {
    name: FEEDS_CHANNEL,
    async enqueue(article: ArticleRecord, queue, options) {
      const generation = await deps.builder.markDirty(article.categories);
      await enqueueDeliver(queue, article, { generation }, options);
    },
    async process(job: Job, token: string | undefined) {
      switch (job.name) {
        case JobName.deliver: {
          const data = job.data as DeliverJobData;
          return runDelivery(
            deps,
            job,
            token,
            { articleId: data.articleId, channel: FEEDS_CHANNEL, target: '' },
            {
              call: async () => {
                await deps.builder.ensureBuilt(data.generation ?? Number.MAX_SAFE_INTEGER);
                return { state: 'sent', externalUrl: feedUrls(deps.publicBaseUrl).rss };
              },
            },
          );
        }
        case JobName.refresh:
          return deps.builder.ensureBuilt((job.data as RefreshJobData).generation);
        case JobName.websubPing:
          return pingHubs(deps.hubs, (job.data as WebsubPingJobData).topics);
        default:
          throw new Error(`feeds queue: no handler for job "${job.name}"`);
      }
    },
  };
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
