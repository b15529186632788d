/**
 * Turns events on this process's bus into webhook jobs, one per URL (SPEC §4). Listening never
 * slows the emitter: the article and ledger reads and the enqueue run on their own, and
 * `flush` waits for those still running (a CLI `retract` exits only after its webhook is queued).
 *
 * At least once, from here on: once queued, a webhook is retried for a day. An event whose
 * enqueue fails (Redis away at that moment) is logged and lost; the ledger stays the truth.
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { EventBus, SyndicateEvent } from '../events.js';
import type { Logger } from '../logger.js';
import { typedQueue } from '../queue/jobs.js';
import type { ArticleStore } from '../store/articles.js';
import type { DeliveryStore } from '../store/deliveries.js';
import { toWebhookEvent, webhookTypeOf, type WebhookEvent } from './webhook-event.js';
import { WEBHOOK_JOB_OPTIONS, webhookJobId, type WebhookJobs } from './webhook-queue.js';

export interface WebhookPublisherDeps {
  /** WEBHOOK_URLS. */
  urls: readonly string[];
  /** The `webhooks` queue. */
  queue: Queue;
  articles: Pick<ArticleStore, 'get'>;
  deliveries: Pick<DeliveryStore, 'get'>;
  logger: Logger;
  /** Attempts and back-off of each job. @defaultValue WEBHOOK_JOB_OPTIONS (about a day) */
  jobOptions?: JobsOptions;
  now?: () => Date;
}

export class WebhookPublisher {
  private readonly pending = new Set<Promise<unknown>>();
  private readonly now: () => Date;

  constructor(private readonly deps: WebhookPublisherDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Publishes every event `events` carries from now on; returns the function that stops it. */
  listen(events: EventBus): () => void {
    return events.on((event) => {
      if (webhookTypeOf(event) === null) return;
      const running = this.publish(event).catch((error: unknown) =>
        this.deps.logger.error({ event: event.type, err: (error as Error).message }, 'webhook event not queued; it is lost'),
      );
      this.pending.add(running);
      void running.finally(() => this.pending.delete(running));
    });
  }

  /** Queues the webhook for `event` to every URL; resolves with it, or null when the event sends none. */
  async publish(event: SyndicateEvent): Promise<WebhookEvent | null> {
    if (webhookTypeOf(event) === null) return null;
    const now = this.now();
    const articleId = event.type === 'delivery.completed' ? event.key.articleId : 'articleId' in event ? event.articleId : null;
    const [article, delivery] = await Promise.all([
      articleId === null ? null : this.deps.articles.get(articleId),
      event.type === 'delivery.completed' ? this.deps.deliveries.get(event.key) : null,
    ]);
    const webhook = toWebhookEvent(event, { article, delivery, now });
    if (!webhook) return null;
    const queue = typedQueue<WebhookJobs>(this.deps.queue);
    await Promise.all(
      this.deps.urls.map((url) =>
        queue.add('post', { url, event: webhook }, { ...(this.deps.jobOptions ?? WEBHOOK_JOB_OPTIONS), jobId: webhookJobId(webhook, url) }),
      ),
    );
    return webhook;
  }

  /** Waits until every event heard so far is queued (or has failed to be). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
