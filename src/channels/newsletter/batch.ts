/**
 * Per-article newsletter, the way LEDGER.md says, in two steps:
 *
 *   plan (one job per article)        batch (one job per ≤ batchSize subscribers)
 *   ─ subscribers, page by page  →    ─ each row: claim → send over SMTP → complete at once
 *   ─ ledger rows, in bulk            ─ unsubscribed / bounced / retracted → cancelled
 *   ─ pending rows → batch jobs       ─ 4xx → retry (the job backs off), 5xx → bounced
 *
 * Nothing holds the whole list: subscribers and ledger rows are read in pages. A batch that
 * runs again (retry, stall, restart) claims only rows still `queued`/`retry`, so nobody gets
 * the article twice; a row claimed by a worker that died is sent again after its lease and
 * counted as an ambiguous re-send.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { DeliveryKey } from '../../domain/delivery.js';
import { wantsArticle, type Subscriber } from '../../domain/subscriber.js';
import type { Letters } from './letters.js';
import { classifyMailError, type MailMessage, type Mailer } from './send.js';
import type { ArticleStore } from '../../store/articles.js';
import type { DeliveryStore } from '../../store/deliveries.js';
import type { SubscriberStore } from '../../store/subscribers.js';
import { RetryableDeliveryError } from '../../queue/delivery-runner.js';
import { groupCommit, type Complete } from '../../queue/group-commit.js';
import { outcomeFields } from '../../queue/delivery-runner.js';
import type { EventBus } from '../../events.js';
import { DEFAULT_JOB_OPTIONS, type DeliverJobData } from '../../queue/jobs.js';
import { newsletterJobIds, type BatchJobData } from './jobs.js';

import { NEWSLETTER_CHANNEL } from './name.js';

/** Subscribers read per query while planning. */
const PLAN_PAGE_SIZE = 1000;
/** Rows claimed together and handed to the SMTP pool at once (a few per pooled connection). */
const SEND_WINDOW = 10;

export interface NewsletterDeps {
  articles: ArticleStore;
  deliveries: DeliveryStore;
  subscribers: SubscriberStore;
  mailer: Mailer;
  letters: Letters;
  /** How long a claim protects a row; longer than an SMTP send's time-out. */
  leaseMs: number;
  /** Subscribers per batch job (see batchSizeFor). */
  batchSize: number;
  logger: Logger;
  /** Counts re-sends whose first attempt's outcome was unknown (LEDGER.md "Email"). */
  onAmbiguousResend?: () => void;
  /** Told of every completed row and ambiguous re-send (metrics, webhooks). */
  events?: EventBus;
  now?: () => Date;
}

/**
 * Batch size and BullMQ limiter for MAIL_RATE: the limiter counts jobs, so with a rate a
 * batch is a fifth of a second's worth of mail and the queue starts one batch per
 * `batchSize / rate` seconds — across every worker process, since the limiter lives in Redis.
 */
export function mailRatePlan(rate: number): { batchSize: number; limiter?: { max: number; duration: number } } {
  if (rate <= 0) return { batchSize: 100 };
  const batchSize = Math.min(100, Math.max(1, Math.round(rate / 5)));
  return { batchSize, limiter: { max: 1, duration: Math.max(1, Math.round((1000 * batchSize) / rate)) } };
}

/**
 * The plan job (the article's row with target ''): writes a row per confirmed immediate
 * subscriber who wants the article, then queues batches for every row still to be tried —
 * which also picks up rows an operator re-queued with `retry`.
 */
export async function planNewsletter(deps: NewsletterDeps, job: Job<DeliverJobData>, token: string | undefined, queue: Queue) {
  const now = deps.now ?? (() => new Date());
  const { articleId } = job.data;
  const article = await deps.articles.get(articleId);
  if (!article || article.state === 'retracted') {
    await deps.deliveries.cancelPending(articleId, now(), NEWSLETTER_CHANNEL);
    return { planned: false, reason: article ? 'retracted' : 'missing' };
  }

  const key: DeliveryKey = { articleId, channel: NEWSLETTER_CHANNEL, target: '' };
  const claimToken = randomUUID();
  const claimed = await deps.deliveries.claim(key, claimToken, deps.leaseMs, now());
  let recipients: number | null = null;
  if (claimed) {
    recipients = 0;
    const slugs = article.categories.map((category) => category.slug);
    let after: string | null = null;
    for (;;) {
      const page = await deps.subscribers.pageRecipientCategories('immediate', after, PLAN_PAGE_SIZE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const wanted = page.filter((subscriber) => wantsArticle(subscriber, slugs));
      recipients += wanted.length;
      await deps.deliveries.ensure(
        wanted.map((subscriber) => ({ articleId, channel: NEWSLETTER_CHANNEL, target: subscriber.id, state: 'queued' as const })),
        now(),
      );
    }
    await deps.deliveries.complete(key, claimToken, { state: 'sent', externalId: `recipients:${recipients}` }, now());
  } else {
    const current = await deps.deliveries.get(key);
    if (current?.state === 'claimed' && current.claimedAt && token) {
      // Another plan run is writing the rows: look again when its lease ends.
      await job.moveToDelayed(current.claimedAt.getTime() + deps.leaseMs + 50, token);
      throw new DelayedError();
    }
    if (current?.state === 'cancelled' || current?.state === 'skipped') return { planned: false, reason: current.state };
  }

  const batches = await queueBatches(deps, queue, articleId, job.id ?? randomUUID());
  deps.logger.info({ articleId, channel: NEWSLETTER_CHANNEL, recipients: recipients ?? undefined, batches }, 'newsletter planned');
  return { planned: true, recipients, batches };
}

async function queueBatches(deps: NewsletterDeps, queue: Queue, articleId: string, run: string): Promise<number> {
  let after = '';
  let count = 0;
  for (;;) {
    const targets = await deps.deliveries.pendingTargets(articleId, NEWSLETTER_CHANNEL, after, PLAN_PAGE_SIZE);
    if (targets.length === 0) return count;
    after = targets[targets.length - 1]!;
    const jobs = [];
    for (let start = 0; start < targets.length; start += deps.batchSize) {
      const slice = targets.slice(start, start + deps.batchSize);
      const data: BatchJobData = { articleId, targets: slice };
      jobs.push({
        name: 'batch',
        data,
        opts: { ...DEFAULT_JOB_OPTIONS, jobId: newsletterJobIds.batch(articleId, safeRun(run), slice[0]!) },
      });
    }
    await queue.addBulk(jobs);
    count += jobs.length;
  }
}

/** Job ids must not contain ':' (BullMQ's separator). */
function safeRun(run: string): string {
  return run.replace(/:/g, '_');
}

/** Sends one batch. Throws RetryableDeliveryError when some rows must be tried again. */
export async function sendBatch(deps: NewsletterDeps, job: Job<BatchJobData>, token: string | undefined) {
  const now = deps.now ?? (() => new Date());
  const { articleId, targets } = job.data;
  const article = await deps.articles.get(articleId);
  if (!article || article.state === 'retracted') {
    await deps.deliveries.cancelPending(articleId, now(), NEWSLETTER_CHANNEL);
    return { sent: 0, cancelled: targets.length };
  }
  const subscribers = new Map((await deps.subscribers.getMany(targets)).map((subscriber) => [subscriber.id, subscriber]));
  const complete = emittingCompletions(completerOf(deps), deps.events);
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const tally = { sent: 0, retry: 0, failed: 0, cancelled: 0, busyUntil: 0 };

  // Unsubscribed or bounced after the plan: nothing leaves for them.
  const wanted: Subscriber[] = [];
  for (const target of targets) {
    const subscriber = subscribers.get(target);
    if (subscriber?.state === 'confirmed') wanted.push(subscriber);
    else tally.cancelled += await deps.deliveries.cancelPendingForTarget(NEWSLETTER_CHANNEL, target, now());
  }

  let letterFor: (subscriber: Subscriber) => MailMessage;
  try {
    letterFor = deps.letters.article(article);
  } catch (error) {
    // The same article renders the same way on every attempt: retrying cannot help.
    tally.failed += await failUnrenderable(deps, articleId, wanted, error, now);
    deps.logger.error(
      { articleId, channel: NEWSLETTER_CHANNEL, batch: job.id, failed: tally.failed, error: renderError(error) },
      'newsletter render failed',
    );
    return tally;
  }

  // Rows are claimed a window at a time, right before their sends, so a claim never waits
  // behind the whole batch in the SMTP pool: the lease only has to outlast one window.
  for (let start = 0; start < wanted.length; start += SEND_WINDOW) {
    const window = wanted.slice(start, start + SEND_WINDOW);
    const claimToken = randomUUID();
    const claimed = await deps.deliveries.claimTargets(
      articleId,
      NEWSLETTER_CHANNEL,
      window.map((subscriber) => subscriber.id),
      claimToken,
      deps.leaseMs,
      now(),
    );
    if (claimed.length < window.length) tally.busyUntil = Math.max(tally.busyUntil, await liveClaimEnd(deps, articleId, window, claimed));
    await Promise.all(
      claimed.map(async (row) => {
        const subscriber = subscribers.get(row.target)!;
        const key: DeliveryKey = { articleId, channel: NEWSLETTER_CHANNEL, target: row.target };
        if (row.attempts > 1 && row.lastError === null) {
          // The earlier attempt never completed: SMTP may have accepted it. Counted, not hidden.
          deps.onAmbiguousResend?.();
          deps.events?.emit({ type: 'delivery.ambiguous_resend', key });
          deps.logger.warn({ articleId, channel: NEWSLETTER_CHANNEL, target: row.target }, 'ambiguous re-send after a lost claim');
        }
        const message = letterFor(subscriber);
        try {
          await deps.mailer.send(message);
          await complete(key, claimToken, { state: 'sent', externalId: message.messageId });
          tally.sent += 1;
        } catch (error) {
          const classified = classifyMailError(error);
          if (classified.kind === 'bounce') {
            await complete(key, claimToken, { state: 'failed', error: `bounced: ${classified.message}` });
            await deps.subscribers.markBounced(row.target, classified.message, now());
            await deps.deliveries.cancelPendingForTarget(NEWSLETTER_CHANNEL, row.target, now());
            tally.failed += 1;
          } else {
            const state = lastAttempt ? 'failed' : 'retry';
            await complete(key, claimToken, { state, error: classified.message });
            tally[state] += 1;
          }
          deps.logger.warn(
            { articleId, channel: NEWSLETTER_CHANNEL, target: row.target, kind: classified.kind, error: classified.message },
            'delivery outcome',
          );
        }
      }),
    );
  }

  deps.logger.info({ articleId, channel: NEWSLETTER_CHANNEL, batch: job.id, ...tally, busyUntil: undefined }, 'newsletter batch');
  if (tally.busyUntil > 0 && token) {
    // Rows claimed by a worker that died: come back when their lease ends.
    await job.moveToDelayed(tally.busyUntil + 50, token);
    throw new DelayedError();
  }
  if (tally.retry > 0) throw new RetryableDeliveryError(`${tally.retry} of ${targets.length} recipients will be retried`);
  return tally;
}

/**
 * Claims the rows of `wanted` and completes them `failed` with the render error as `lastError`:
 * through the ledger like a send, so a row another worker holds is left to that worker.
 * @returns how many rows were failed.
 */
async function failUnrenderable(
  deps: NewsletterDeps,
  articleId: string,
  wanted: readonly Subscriber[],
  error: unknown,
  now: () => Date,
): Promise<number> {
  const claimToken = randomUUID();
  const ids = wanted.map((subscriber) => subscriber.id);
  const claimed = await deps.deliveries.claimTargets(articleId, NEWSLETTER_CHANNEL, ids, claimToken, deps.leaseMs, now());
  if (claimed.length === 0) return 0;
  const outcome = { state: 'failed' as const, error: renderError(error) };
  const items = claimed.map((row) => ({ key: { articleId, channel: NEWSLETTER_CHANNEL, target: row.target }, token: claimToken, outcome }));
  const applied = await deps.deliveries.completeMany(items, now());
  items.forEach((item, i) => applied[i] && deps.events?.emit({ type: 'delivery.completed', key: item.key, ...outcome }));
  return applied.filter(Boolean).length;
}

/** `lastError` of a delivery whose email could not be rendered. */
export function renderError(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `render failed: ${message}`.slice(0, 500);
}

/** When the live claims among `window`'s unclaimed rows end (0 when none is live). */
async function liveClaimEnd(deps: NewsletterDeps, articleId: string, window: Subscriber[], claimed: { target: string }[]): Promise<number> {
  const taken = new Set(claimed.map((row) => row.target));
  let end = 0;
  for (const subscriber of window) {
    if (taken.has(subscriber.id)) continue;
    const current = await deps.deliveries.get({ articleId, channel: NEWSLETTER_CHANNEL, target: subscriber.id });
    if (current?.state === 'claimed' && current.claimedAt) end = Math.max(end, current.claimedAt.getTime() + deps.leaseMs);
  }
  return end;
}

/** `complete`, telling `events` of each row it recorded. */
export function emittingCompletions(complete: Complete, events: EventBus | undefined): Complete {
  if (!events) return complete;
  return async (key, token, outcome) => {
    const applied = await complete(key, token, outcome);
    if (applied) events.emit({ type: 'delivery.completed', key, ...outcomeFields(outcome) });
    return applied;
  };
}

/** One group-commit completer per ledger, shared by the batches running in this process. */
const completers = new WeakMap<DeliveryStore, Complete>();
function completerOf(deps: NewsletterDeps): Complete {
  let complete = completers.get(deps.deliveries);
  if (!complete) {
    complete = groupCommit(deps.deliveries, deps.now ?? (() => new Date()));
    completers.set(deps.deliveries, complete);
  }
  return complete;
}
