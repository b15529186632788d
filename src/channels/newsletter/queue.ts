/**
 * The newsletter's queue: one BullMQ queue whose limiter holds MAIL_RATE for every worker
 * process together. Its jobs:
 *
 *   deliver        plan an article: ledger rows for its subscribers → batch jobs   (newsletter-batch.ts)
 *   batch          send an article to ≤ batchSize subscribers                      (newsletter-batch.ts)
 *   confirm-email  the double opt-in email of one subscription request
 *   digest         a scheduled digest run → digest-batch jobs                      (newsletter-digest.ts)
 *   digest-batch   the digests of ≤ batchSize subscribers                          (newsletter-digest.ts)
 */
import type { Job, Queue } from 'bullmq';
import type { Subscriber } from '../../domain/subscriber.js';
import { classifyMailError } from './send.js';
import { enqueueDeliver, type ChannelDefinition } from '../../queue/channel-queue.js';
import { DEFAULT_JOB_OPTIONS, JobName, jobIds, type ConfirmEmailJobData } from '../../queue/jobs.js';
import { NEWSLETTER_CHANNEL, planNewsletter, sendBatch, type NewsletterDeps } from './batch.js';
import { sendDigestBatch, splitDigest } from './digest.js';

export interface NewsletterChannel extends ChannelDefinition {
  /** Queues the confirmation email of the subscriber's latest request. */
  enqueueConfirmation(subscriber: Subscriber, queue: Queue): Promise<void>;
}

export function newsletterChannel(
  deps: NewsletterDeps & {
    /** The newsletter queue, for the jobs a job adds (batches after a plan or a digest). */
    queue: () => Queue;
    timeZone: string;
    limiter?: { max: number; duration: number };
    concurrency?: number;
  },
): NewsletterChannel {
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

  return {
    name: NEWSLETTER_CHANNEL,
    concurrency: deps.concurrency ?? 4,
    ...(deps.limiter ? { limiter: deps.limiter } : {}),
    enqueue: (article, queue, options) => enqueueDeliver(queue, article, {}, options),
    async enqueueConfirmation(subscriber, queue) {
      const data: ConfirmEmailJobData = { subscriberId: subscriber.id, requestedAt: subscriber.requestedAt.getTime() };
      await queue.add(JobName.confirmEmail, data, { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.confirmEmail(subscriber.id, data.requestedAt) });
    },
    process(job, token) {
      const queue = deps.queue();
      switch (job.name) {
        case JobName.deliver:
          return planNewsletter(deps, job, token, queue);
        case JobName.batch:
          return sendBatch(deps, job, token);
        case JobName.confirmEmail:
          return sendConfirmation(job);
        case JobName.digest:
          return splitDigest(deps, job, queue);
        case JobName.digestBatch:
          return sendDigestBatch(deps, job, token, deps.timeZone);
        default:
          throw new Error(`newsletter queue: unknown job "${job.name}"`);
      }
    },
  };
}
