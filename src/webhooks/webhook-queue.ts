/**
 * The `webhooks` queue: one job per (event, URL), so a receiver that is down delays only its
 * own copies. A job POSTs the event's JSON, signed afresh on every attempt, and counts any
 * answer outside 2xx (a redirect included) or no answer as a failure; BullMQ retries it with
 * an exponential back-off for about a day.
 */
import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import type { Logger } from '../logger.js';
import { JOB_STACK_TRACE_LIMIT, type JobHandlers } from '../queue/jobs.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import type { WebhookEvent } from './webhook-event.js';

/** The queue's name (and its worker's). */
export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJobData {
  /** Where to POST (one of WEBHOOK_URLS). */
  url: string;
  /** The body, fixed when the event happened: every attempt sends the same bytes. */
  event: WebhookEvent;
}

/** The webhooks queue's job table. */
export type WebhookJobs = { post: WebhookJobData };

/** Attempts of one webhook. @defaultValue 14 */
export const WEBHOOK_ATTEMPTS = 14;
/** The first retry's delay, doubled for each one after it. @defaultValue 10 s */
export const WEBHOOK_FIRST_RETRY_MS = 10_000;

/**
 * 14 attempts, 10 s apart at first and doubling: the last one comes about 22.7 hours after the
 * first ({@link webhookRetrySpanMs}). No jitter: a day's span must not shrink. Kept: delivered
 * ones a day, given-up ones a week, at most 10,000 of each (a receiver down for days fails
 * every event: the newest 10,000 show what it missed), each with its last few stack traces.
 */
export const WEBHOOK_JOB_OPTIONS = {
  attempts: WEBHOOK_ATTEMPTS,
  backoff: { type: 'exponential', delay: WEBHOOK_FIRST_RETRY_MS },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  stackTraceLimit: JOB_STACK_TRACE_LIMIT,
} as const satisfies JobsOptions;

/** Time from the first attempt to the last, when every one fails: BullMQ's exponential delays added up. */
export function webhookRetrySpanMs(attempts = WEBHOOK_ATTEMPTS, firstRetryMs = WEBHOOK_FIRST_RETRY_MS): number {
  let total = 0;
  for (let retry = 1; retry < attempts; retry++) total += firstRetryMs * 2 ** (retry - 1);
  return total;
}

/** The job id of `event` for `url`: enqueueing the same event twice makes one job. */
export function webhookJobId(event: WebhookEvent, url: string): string {
  return `webhook-${event.id}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

/** Options of {@link createWebhookHandlers}. */
export interface WebhookSenderOptions {
  /** WEBHOOK_SECRET. */
  secret: string;
  logger: Logger;
  /** Time-out of one POST, answer included. @defaultValue 10000 */
  timeoutMs?: number;
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock the signature's `t` is read from. @defaultValue () => new Date() */
  now?: () => Date;
}

/** @defaultValue of {@link WebhookSenderOptions.timeoutMs} */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** A receiver's answer outside 2xx, or none. The message names the receiver's origin only: a path may hold a token. */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  constructor(
    readonly origin: string,
    readonly status: number | null,
    message: string,
  ) {
    super(`webhook to ${origin}: ${message}`);
  }
}

/** POSTs one webhook; resolves with the receiver's status, throws {@link WebhookDeliveryError} otherwise. */
export async function postWebhook(data: WebhookJobData, options: WebhookSenderOptions): Promise<number> {
  const body = JSON.stringify(data.event);
  const timestamp = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const origin = new URL(data.url).origin;
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(data.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Syndicate-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(options.secret, body, timestamp),
      },
      body,
      // A redirect is an answer we cannot re-sign for; the receiver should give its final URL.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    throw new WebhookDeliveryError(origin, null, `no answer (${(error as Error).message}${cause})`);
  }
  if (response.status < 200 || response.status >= 300)
    throw new WebhookDeliveryError(origin, response.status, `answered ${response.status}`);
  return response.status;
}

/** The webhooks queue's handler: POST, and say so in the log when the last attempt failed too. */
export function createWebhookHandlers(options: WebhookSenderOptions): JobHandlers<WebhookJobs> {
  return {
    async post(job) {
      try {
        const status = await postWebhook(job.data, options);
        return { status };
      } catch (error) {
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          options.logger.error(
            { eventId: job.data.event.id, type: job.data.event.type, err: (error as Error).message },
            'webhook given up after its last attempt',
          );
        }
        throw error;
      }
    },
  };
}
