/**
 * The queue side of every platform channel (anything implementing `Channel`: X, Facebook,
 * Instagram, Mastodon, Bluesky, and the outbox): compose, reconcile with `find` when an earlier
 * attempt's answer was lost, send, and turn the platform's classified errors into ledger
 * outcomes. Retractions take the post back down where the platform allows it.
 */
import type { Job } from 'bullmq';
import type { Channel, ErrorClass, Receipt } from '../channels/channel.js';
import type { Article } from '../domain/article.js';
import type { DeliveryOutcome } from '../domain/delivery.js';
import { defineChannelQueue, enqueueDeliver, type ChannelQueue } from './channel-queue.js';
import type { ChannelHealth } from './channel-health.js';
import { errorMessage, RateLimitedError, runDelivery, type DeliveryRunnerDeps } from './delivery-runner.js';
import { DEFAULT_JOB_OPTIONS, jobIds, typedQueue, type JobContext, type PlatformJobs, type RetractJobData } from './jobs.js';

export interface PlatformQueueDeps extends DeliveryRunnerDeps {
  health: ChannelHealth;
  /**
   * Errors that are not the platform's but ours to judge first (an image refused by the SSRF
   * guard will be refused again): a class here wins over the channel's own `classify`.
   */
  classifyLocal?: (error: unknown) => ErrorClass | null;
}

function sent(receipt: Receipt): DeliveryOutcome {
  return { state: 'sent', externalId: receipt.externalId, externalUrl: receipt.externalUrl };
}

export function createPlatformQueue<Post>(channel: Channel<Post>, deps: PlatformQueueDeps): ChannelQueue {
  const classify = (error: unknown): ErrorClass => deps.classifyLocal?.(error) ?? channel.classify(error);

  /** Runs a platform call; classified failures become outcomes (or RateLimitedError / a throw to retry). */
  async function attempt(call: () => Promise<DeliveryOutcome>): Promise<DeliveryOutcome> {
    try {
      const outcome = await call();
      await deps.health.markHealthy(channel.name);
      return outcome;
    } catch (error) {
      const classified = classify(error);
      switch (classified.kind) {
        case 'rate_limited':
          throw new RateLimitedError(classified.until, classified.message);
        case 'retry':
          return { state: 'retry', error: classified.message };
        case 'duplicate':
          return { state: 'duplicate', error: classified.message };
        case 'auth':
          await deps.health.markFailing(channel.name, classified.message);
          return { state: 'failed', error: `credentials refused: ${classified.message}` };
        case 'permanent':
          return { state: 'failed', error: classified.message };
      }
    }
  }

  const compose = (article: Article) => channel.compose(article);

  async function deliver(job: Job<PlatformJobs['deliver']>, context: JobContext) {
    return runDelivery(
      deps,
      job,
      context.token,
      { articleId: job.data.articleId, channel: channel.name, target: '' },
      {
        // An earlier attempt may have reached the platform without its answer reaching us.
        reconcile: async (article) => {
          const composed = compose(article);
          if ('skip' in composed) return null;
          const found = await attempt(async () => {
            const receipt = await channel.find(article, composed.post);
            return receipt ? sent(receipt) : { state: 'skipped', error: 'not found' };
          });
          return found.state === 'skipped' ? null : found;
        },
        call: async (article) => {
          const composed = compose(article);
          if ('skip' in composed) return { state: 'skipped', error: composed.skip };
          return attempt(async () => sent(await channel.send(composed.post, article)));
        },
      },
      context.rateLimit,
    );
  }

  async function retract(job: Job<RetractJobData>) {
    const { articleId } = job.data;
    const key = { articleId, channel: channel.name, target: '' };
    const row = await deps.deliveries.get(key);
    // A send in flight may still succeed: look again after a back-off.
    if (row?.state === 'claimed') throw new Error('a delivery is in flight; retracting once it has finished');
    if (row?.state !== 'sent' || !row.externalId) return { retracted: false };
    try {
      const result = await channel.retract({ externalId: row.externalId, externalUrl: row.externalUrl });
      await deps.deliveries.setState(
        key,
        result,
        new Date(),
        result === 'manual_action' ? `delete it by hand: ${row.externalUrl ?? row.externalId}` : null,
      );
      deps.logger.info({ articleId, channel: channel.name, state: result, externalId: row.externalId }, 'retraction outcome');
      deps.events?.emit({ type: 'delivery.completed', key, state: result, externalId: row.externalId, externalUrl: row.externalUrl });
      return { retracted: result === 'retracted' };
    } catch (error) {
      const classified = classify(error);
      if (classified.kind === 'retry' || classified.kind === 'rate_limited') throw error; // BullMQ backs off
      await deps.deliveries.setState(key, 'manual_action', new Date(), `could not delete: ${errorMessage(error)}`);
      deps.events?.emit({ type: 'delivery.completed', key, state: 'manual_action', error: errorMessage(error) });
      return { retracted: false };
    }
  }

  return defineChannelQueue<PlatformJobs>({
    name: channel.name,
    handlers: { deliver, retract },
    enqueues: ['deliver', 'retract'],
    enqueue: (article, queue, options) => enqueueDeliver(queue, article, {}, options),
    async onRetract(articleId, queue) {
      await typedQueue<PlatformJobs>(queue).add('retract', { articleId }, { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.retract(articleId) });
    },
  });
}
