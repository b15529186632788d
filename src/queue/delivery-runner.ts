/**
 * One delivery, the way LEDGER.md says: check what can cancel it, claim the row, reconcile an
 * earlier attempt whose answer was lost, call, complete at once. Every channel goes through here.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Delivery, DeliveryKey, DeliveryOutcome } from '../domain/delivery.js';
import { TERMINAL_STATES } from '../domain/delivery.js';
import type { ArticleRecord } from '../domain/article.js';
import type { Logger } from 'pino';
import type { ArticleStore } from '../store/articles.js';
import type { DeliveryStore } from '../store/deliveries.js';
import type { RateLimiter } from './jobs.js';
import type { EventBus } from '../events.js';
import { retryWhileBusy } from '../store/database.js';

export interface DeliveryRunnerDeps {
  articles: ArticleStore;
  deliveries: DeliveryStore;
  /** How long a claim protects a row from other workers. Longer than any call's time-out. */
  leaseMs: number;
  /** One line per delivery outcome. */
  logger: Logger;
  /** Told of every outcome (metrics, webhooks). */
  events?: EventBus;
  now?: () => Date;
}

export interface DeliveryHandlers {
  /** Looks on the platform for what an earlier, unanswered attempt may have made. */
  reconcile?: (article: ArticleRecord, delivery: Delivery) => Promise<DeliveryOutcome | null>;
  /** Makes the delivery. Throwing counts as a retryable failure. */
  call: (article: ArticleRecord, delivery: Delivery) => Promise<DeliveryOutcome>;
}

export type RunResult =
  { ran: true; outcome: DeliveryOutcome } | { ran: false; reason: 'missing' | 'cancelled' | 'finished'; delivery: Delivery | null };

/**
 * Thrown by a handler when the platform said "wait until `until`": the job waits without
 * spending an attempt, and the whole channel queue pauses (the limit is the account's).
 */
export class RateLimitedError extends Error {
  constructor(
    readonly until: Date,
    message: string,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** Thrown after a retryable outcome so that BullMQ backs off and runs the job again. */
export class RetryableDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableDeliveryError';
  }
}

/**
 * Runs the ledger protocol for `key` inside a BullMQ job. Returns what happened; throws
 * RetryableDeliveryError (BullMQ retries with back-off) or DelayedError (someone else holds a
 * live claim: look again when it expires, without spending an attempt).
 */
export async function runDelivery(
  deps: DeliveryRunnerDeps,
  job: Job,
  token: string | undefined,
  key: DeliveryKey,
  handlers: DeliveryHandlers,
  rateLimit?: RateLimiter,
): Promise<RunResult> {
  const now = deps.now ?? (() => new Date());
  const article = await deps.articles.get(key.articleId);
  if (!article || article.state === 'retracted') {
    await deps.deliveries.cancelPending(key.articleId, now(), key.channel);
    return { ran: false, reason: article ? 'cancelled' : 'missing', delivery: await deps.deliveries.get(key) };
  }

  const claimToken = randomUUID();
  const delivery = await deps.deliveries.claim(key, claimToken, deps.leaseMs, now());
  if (!delivery) {
    const current = await deps.deliveries.get(key);
    if (current?.state === 'claimed' && current.claimedAt && token) {
      // A live claim elsewhere (or ours from before a crash): come back when its lease ends.
      await job.moveToDelayed(current.claimedAt.getTime() + deps.leaseMs + 50, token);
      throw new DelayedError();
    }
    const finished = current !== null && TERMINAL_STATES.includes(current.state);
    return { ran: false, reason: finished ? 'finished' : 'missing', delivery: current };
  }

  let outcome: DeliveryOutcome | null = null;
  try {
    if (delivery.attempts > 1 && handlers.reconcile) outcome = await handlers.reconcile(article, delivery);
    outcome ??= await handlers.call(article, delivery);
  } catch (error) {
    if (error instanceof RateLimitedError) return waitForRateLimit(deps, job, token, key, claimToken, error, rateLimit);
    outcome = { state: 'retry', error: errorMessage(error) };
  }

  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  const final: DeliveryOutcome = outcome.state === 'retry' && lastAttempt ? { state: 'failed', error: outcome.error } : outcome;
  // Step 4 must land: a completion lost to a lock would leave the row claimed (a re-send later).
  const recorded = await retryWhileBusy(() => deps.deliveries.complete(key, claimToken, final, now()));
  deps.logger[final.state === 'sent' || final.state === 'skipped' ? 'info' : 'warn'](
    {
      articleId: key.articleId,
      channel: key.channel,
      target: key.target || undefined,
      state: final.state,
      attempt: delivery.attempts,
      ...(final.state === 'sent'
        ? { externalId: final.externalId ?? undefined, externalUrl: final.externalUrl ?? undefined }
        : { error: final.error }),
      ...(recorded ? {} : { note: 'claim lost before completion; outcome not recorded' }),
    },
    'delivery outcome',
  );
  if (recorded) deps.events?.emit({ type: 'delivery.completed', key, ...outcomeFields(final) });
  if (final.state === 'retry') throw new RetryableDeliveryError(final.error);
  return { ran: true, outcome: final };
}

async function waitForRateLimit(
  deps: DeliveryRunnerDeps,
  job: Job,
  token: string | undefined,
  key: DeliveryKey,
  claimToken: string,
  error: RateLimitedError,
  rateLimit: RateLimiter | undefined,
): Promise<never> {
  const now = deps.now?.() ?? new Date();
  await deps.deliveries.complete(key, claimToken, { state: 'retry', error: error.message, refundAttempt: true }, now);
  const delayMs = Math.max(1000, error.until.getTime() - now.getTime());
  deps.logger.warn({ articleId: key.articleId, channel: key.channel, until: error.until.toISOString() }, 'rate limited; waiting');
  deps.events?.emit({ type: 'delivery.rate_limited', channel: key.channel, until: error.until });
  if (rateLimit) {
    await rateLimit(delayMs);
    throw Worker.RateLimitError();
  }
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

/** An outcome as an event carries it. */
export function outcomeFields(outcome: DeliveryOutcome) {
  return outcome.state === 'sent'
    ? { state: outcome.state, externalId: outcome.externalId ?? null, externalUrl: outcome.externalUrl ?? null }
    : { state: outcome.state, error: outcome.error };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
