/**
 * The newsletter's queue side: one BullMQ queue whose limiter holds MAIL_RATE for every worker
 * process together. Its jobs are listed in jobs.ts.
 */
import type { Job, Queue } from 'bullmq';
import type { Subscriber } from '../../domain/subscriber.js';
import { defineChannelQueue, enqueueDeliver, type ChannelQueue } from '../../queue/channel-queue.js';
import { DEFAULT_JOB_OPTIONS, typedQueue } from '../../queue/jobs.js';
import { planNewsletter, sendBatch, type NewsletterDeps } from './batch.js';
import { sendDigestBatch, splitDigest } from './digest.js';
import { newsletterJobIds, type ConfirmEmailJobData, type NewsletterJobs } from './jobs.js';
import { NEWSLETTER_CHANNEL } from './name.js';
import { classifyMailError } from './send.js';

export interface NewsletterQueueDeps extends NewsletterDeps {
  /** Re-creates the digest schedulers, which live only in Redis (after Redis lost its keys). */
  scheduleDigests?: (queue: Queue) => Promise<void>;
  /** The newsletter queue, for the jobs a job adds (batches after a plan or a digest). */
  queue: () => Queue;
  timeZone: string;
  limiter?: { max: number; duration: number };
  concurrency?: number;
}

/** Queues the confirmation email of the subscriber's latest request. */
export async function enqueueConfirmation(subscriber: Subscriber, queue: Queue): Promise<void> {
  const data: ConfirmEmailJobData = { subscriberId: subscriber.id, requestedAt: subscriber.requestedAt.getTime() };
  await typedQueue<NewsletterJobs>(queue).add('confirm-email', data, {
    ...DEFAULT_JOB_OPTIONS,
    jobId: newsletterJobIds.confirmEmail(subscriber.id, data.requestedAt),
  });
}

export function createNewsletterQueue(deps: NewsletterQueueDeps): ChannelQueue {
  const now = deps.now ?? (() => new Date());

  async function sendConfirmation(job: Job<ConfirmEmailJobData>) {
    const subscriber = await deps.subscribers.get(job.data.subscriberId);
    // Confirmed meanwhile, or a newer request has its own email: nothing to send.
    if (subscriber?.state !== 'pending' || subscriber.requestedAt.getTime() !== job.data.requestedAt) return { sent: false };
    try {
      await deps.mailer.send(deps.letters.confirmation(subscriber, now()));
    } catch (error) {
      const classified = classifyMailError(error);
      if (classified.kind === 'bounce') {
        await deps.subscribers.markBounced(subscriber.id, classified.message, now());
        return { sent: false, bounced: classified.message };
      }
      throw error;
    }
    await deps.subscribers.markConfirmationSent(subscriber.id, now());
    deps.logger.info({ channel: NEWSLETTER_CHANNEL, subscriberId: subscriber.id }, 'confirmation email sent');
    return { sent: true };
  }

  return defineChannelQueue<NewsletterJobs>({
    name: NEWSLETTER_CHANNEL,
    concurrency: deps.concurrency ?? 4,
    ...(deps.limiter ? { limiter: deps.limiter } : {}),
    enqueues: ['deliver', 'batch', 'confirm-email', 'digest', 'digest-batch'],
    enqueue: (article, queue, options) => enqueueDeliver(queue, article, {}, options),
    ...(deps.scheduleDigests ? { reconcile: deps.scheduleDigests } : {}),
    async summarize(articleId, row) {
      if (row.state === 'skipped' || row.state === 'cancelled') return null;
      const counts = await deps.deliveries.countByState(articleId, NEWSLETTER_CHANNEL, { targetsOnly: true });
      const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
      const sent = counts.sent ?? 0;
      const failed = counts.failed ?? 0;
      const cancelled = (counts.cancelled ?? 0) + (counts.skipped ?? 0);
      return { total, sent, failed, cancelled, pending: total - sent - failed - cancelled };
    },
    handlers: {
      deliver: (job, { token }) => planNewsletter(deps, job, token, deps.queue()),
      batch: (job, { token }) => sendBatch(deps, job, token),
      'confirm-email': (job) => sendConfirmation(job),
      digest: (job) => splitDigest(deps, job, deps.queue()),
      'digest-batch': (job, { token }) => sendDigestBatch(deps, job, token, deps.timeZone),
    },
  });
}
