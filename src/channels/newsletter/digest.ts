/**
 * Digests: BullMQ job schedulers start a `digest` job at DIGEST_HOUR (daily) and on
 * DIGEST_WEEKDAY (weekly) in TZ. It splits the frequency's confirmed subscribers into
 * `digest-batch` jobs; each subscriber gets the articles published since their last digest
 * (matching their categories), or nothing when there are none.
 *
 * The ledger row of a digest is keyed by its newest article: the next digest of that
 * subscriber starts after it, so a digest that runs again finds its row and does not repeat.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, type Queue } from 'bullmq';
import type { ArticleRecord } from '../../domain/article.js';
import type { DeliveryKey } from '../../domain/delivery.js';
import { wantsArticle, type Subscriber } from '../../domain/subscriber.js';
import { classifyMailError, type MailMessage } from './send.js';
import { RetryableDeliveryError } from '../../queue/delivery-runner.js';
import { DEFAULT_JOB_OPTIONS } from '../../queue/jobs.js';
import { newsletterJobIds, type DigestBatchJobData, type DigestJobData } from './jobs.js';
import { emittingCompletions, renderError, type NewsletterDeps } from './batch.js';

/** Ledger channel of digests (their rows are not the per-article newsletter's). */
export const DIGEST_CHANNEL = 'newsletter-digest';

/** A digest never reaches further back than this, however long ago the last one was. */
const MAX_LOOKBACK_MS = 31 * 24 * 3600 * 1000;
/** Articles in one digest at most: the newest ones. */
const MAX_DIGEST_ARTICLES = 50;
const PAGE_SIZE = 1000;

export interface DigestSchedule {
  hour: number;
  weekday: number;
  timeZone: string;
}

/** Creates or updates the two schedulers (idempotent: every worker start calls it). */
export async function scheduleDigests(queue: Queue, schedule: DigestSchedule): Promise<void> {
  const template = (frequency: 'daily' | 'weekly') => ({
    name: 'digest',
    data: { frequency } satisfies DigestJobData,
    opts: { attempts: DEFAULT_JOB_OPTIONS.attempts, backoff: DEFAULT_JOB_OPTIONS.backoff, removeOnComplete: 100, removeOnFail: 100 },
  });
  await queue.upsertJobScheduler('digest-daily', { pattern: `0 ${schedule.hour} * * *`, tz: schedule.timeZone }, template('daily'));
  await queue.upsertJobScheduler(
    'digest-weekly',
    { pattern: `0 ${schedule.hour} * * ${schedule.weekday}`, tz: schedule.timeZone },
    template('weekly'),
  );
}

/** When the scheduler meant this run to happen: its job id is `repeat:<scheduler>:<due ms>`. */
export function dueTime(job: Pick<Job, 'id' | 'timestamp' | 'delay'>): number {
  const due = Number(job.id?.split(':').pop());
  return Number.isSafeInteger(due) && due > 0 ? due : job.timestamp + (job.delay ?? 0);
}

/** The `digest` job: one `digest-batch` job per page of the frequency's subscribers. */
export async function splitDigest(deps: NewsletterDeps, job: Job<DigestJobData>, queue: Queue) {
  const { frequency } = job.data;
  const periodEnd = job.data.periodEnd ?? dueTime(job);
  if (frequency === 'daily') {
    // Once a day is often enough to forget requests nobody confirmed within 7 days.
    const expired = await deps.subscribers.deleteExpiredPending(deps.now?.() ?? new Date());
    if (expired > 0) deps.logger.info({ expired }, 'expired pending subscriptions deleted');
  }
  let after: string | null = null;
  let batches = 0;
  for (;;) {
    const page: Subscriber[] = await deps.subscribers.pageRecipients(frequency, after, PAGE_SIZE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const jobs = [];
    for (let start = 0; start < page.length; start += deps.batchSize) {
      const targets = page.slice(start, start + deps.batchSize).map((subscriber) => subscriber.id);
      const data: DigestBatchJobData = { frequency, periodEnd, targets };
      jobs.push({
        name: 'digest-batch',
        data,
        opts: { ...DEFAULT_JOB_OPTIONS, jobId: newsletterJobIds.digestBatch(frequency, periodEnd, targets[0]!) },
      });
    }
    await queue.addBulk(jobs);
    batches += jobs.length;
  }
  deps.logger.info({ channel: DIGEST_CHANNEL, frequency, periodEnd: new Date(periodEnd).toISOString(), batches }, 'digest split');
  return { batches };
}

/** The `digest-batch` job: each subscriber's digest, through the ledger. */
export async function sendDigestBatch(deps: NewsletterDeps, job: Job<DigestBatchJobData>, token: string | undefined, timeZone: string) {
  const now = deps.now ?? (() => new Date());
  // One row at a time, each written at once (LEDGER.md step 4), and told to listeners.
  const complete = emittingCompletions(
    (key, claimToken, outcome) => deps.deliveries.complete(key, claimToken, outcome, now()),
    deps.events,
  );
  const { frequency, targets } = job.data;
  const periodEnd = new Date(job.data.periodEnd);
  const subscribers = (await deps.subscribers.getMany(targets)).filter((s) => s.state === 'confirmed' && s.frequency === frequency);
  if (subscribers.length === 0) return { sent: 0 };
  const sinceOf = (subscriber: Subscriber) =>
    Math.max(periodEnd.getTime() - MAX_LOOKBACK_MS, (subscriber.lastDigestAt ?? subscriber.confirmedAt ?? subscriber.createdAt).getTime());
  const earliest = Math.min(...subscribers.map(sinceOf));
  const candidates = await deps.articles.listPublishedBetween(new Date(earliest), periodEnd, 500);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const tally = { sent: 0, empty: 0, retry: 0, failed: 0, busyUntil: 0 };

  for (const subscriber of subscribers) {
    const since = sinceOf(subscriber);
    const slugs = (article: ArticleRecord) => article.categories.map((category) => category.slug);
    const articles = candidates
      .filter((article) => article.publishedAt.getTime() > since && wantsArticle(subscriber, slugs(article)))
      .slice(-MAX_DIGEST_ARTICLES);
    if (articles.length === 0) {
      // Nothing new for them: no email, and nothing is lost by moving their mark.
      await deps.subscribers.setLastDigestAt(subscriber.id, periodEnd);
      tally.empty += 1;
      continue;
    }
    const key: DeliveryKey = { articleId: articles[articles.length - 1]!.id, channel: DIGEST_CHANNEL, target: subscriber.id };
    await deps.deliveries.ensure([{ ...key, state: 'queued' }], now());
    const claimToken = randomUUID();
    const claimed = await deps.deliveries.claim(key, claimToken, deps.leaseMs, now());
    if (!claimed) {
      const current = await deps.deliveries.get(key);
      if (current?.state === 'sent') await deps.subscribers.setLastDigestAt(subscriber.id, periodEnd);
      if (current?.state === 'claimed' && current.claimedAt)
        tally.busyUntil = Math.max(tally.busyUntil, current.claimedAt.getTime() + deps.leaseMs);
      continue;
    }
    let message: MailMessage;
    try {
      message = deps.letters.digest(articles, subscriber, { frequency, periodEnd, timeZone });
    } catch (error) {
      // Rendering again gives the same error: failed, not retried (their mark stays, so the
      // articles are offered again in their next digest).
      await complete(key, claimToken, { state: 'failed', error: renderError(error) });
      deps.logger.error({ channel: DIGEST_CHANNEL, frequency, target: subscriber.id, error: renderError(error) }, 'digest render failed');
      tally.failed += 1;
      continue;
    }
    try {
      await deps.mailer.send(message);
      await complete(key, claimToken, { state: 'sent', externalId: message.messageId });
      await deps.subscribers.setLastDigestAt(subscriber.id, periodEnd);
      tally.sent += 1;
    } catch (error) {
      const classified = classifyMailError(error);
      const state = classified.kind === 'bounce' || lastAttempt ? 'failed' : 'retry';
      await complete(key, claimToken, { state, error: classified.message });
      if (classified.kind === 'bounce') await deps.subscribers.markBounced(subscriber.id, classified.message, now());
      tally[state] += 1;
    }
  }

  deps.logger.info({ channel: DIGEST_CHANNEL, frequency, batch: job.id, ...tally, busyUntil: undefined }, 'digest batch');
  if (tally.busyUntil > 0 && token) {
    await job.moveToDelayed(tally.busyUntil + 50, token);
    throw new DelayedError();
  }
  if (tally.retry > 0) throw new RetryableDeliveryError(`${tally.retry} digests will be retried`);
  return tally;
}
