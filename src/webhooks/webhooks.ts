/**
 * Outbound webhooks' wiring (SPEC §4), for the composition root: every process publishes the
 * events its bus carries into the `webhooks` queue; processes that run workers also POST them.
 */
import type { Queue } from 'bullmq';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { eraseHandlers, type JobHandlers, type JobTable } from '../queue/jobs.js';
import type { ArticleStore } from '../store/articles.js';
import type { DeliveryStore } from '../store/deliveries.js';
import { WebhookPublisher } from './webhook-publisher.js';
import { createWebhookHandlers } from './webhook-queue.js';

export { WEBHOOK_QUEUE } from './webhook-queue.js';

export interface WebhooksDeps {
  /** WEBHOOK_URLS. */
  urls: readonly string[];
  /** WEBHOOK_SECRET. */
  secret: string;
  /** The `webhooks` queue. */
  queue: Queue;
  articles: Pick<ArticleStore, 'get'>;
  deliveries: Pick<DeliveryStore, 'get'>;
  events: EventBus;
  logger: Logger;
}

export interface Webhooks {
  /** The `webhooks` queue's handlers, for its worker. */
  readonly handlers: JobHandlers<JobTable>;
  /** Waits until every event heard so far is queued. */
  flush(): Promise<void>;
  /** Stops listening to the bus. */
  stop(): void;
}

/** Starts publishing the bus's events as webhooks. */
export function startWebhooks(deps: WebhooksDeps): Webhooks {
  const publisher = new WebhookPublisher(deps);
  const stop = publisher.listen(deps.events);
  return {
    handlers: eraseHandlers(createWebhookHandlers({ secret: deps.secret, logger: deps.logger })),
    flush: () => publisher.flush(),
    stop,
  };
}
