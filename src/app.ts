/**
 * Composition root (STYLE "Immich": a plain list and a loop). `createSyndicate` opens the
 * database (migrated) and Redis, builds the core every channel shares, then each channel module
 * in CHANNELS; `startApi` and `startWorkers` add the HTTP listener and the BullMQ workers;
 * `close` takes everything down in order. No channel is named here.
 */
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/load.js';
import { ARTICLE_CHANNEL_NAMES } from '../config/schema.js';
import type { BuiltChannel, ChannelModule } from './channels/module.js';
import { CHANNEL_MODULES } from './channels/modules.js';
import { createCore, type Core } from './core.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics/metrics.js';
import { startApiProcess } from './processes/api.js';
import type { ProcessContext, WorkerRole } from './processes/context.js';
import { WorkerProcesses } from './processes/workers.js';
import { missingHandlers, type ChannelQueue } from './queue/channel-queue.js';
import { PUBLISH_QUEUE } from './queue/jobs.js';
import { ArticleService } from './services/article-service.js';
import { startWebhooks, WEBHOOK_QUEUE } from './webhooks/webhooks.js';

export type { WorkerRole } from './processes/context.js';

export interface Syndicate extends Pick<
  Core,
  'config' | 'logger' | 'database' | 'redis' | 'articles' | 'deliveries' | 'media' | 'images' | 'queues' | 'events'
> {
  service: ArticleService;
  /** The queue side of each channel that is not off. */
  channelQueues: readonly ChannelQueue[];
  /** Roles `startWorkers` accepts: `publish` and each queue's name. */
  roles: readonly WorkerRole[];
  /** A channel module as built in this process (`off` when not in CHANNELS). */
  channel<Services>(module: ChannelModule<Services>): BuiltChannel<Services>;
  startApi(options?: { listen?: boolean }): Promise<FastifyInstance>;
  /** Starts a worker for each role; throws for a name that is not one of `roles`. */
  startWorkers(roles: readonly string[]): Promise<Worker[]>;
  /** Stops taking work, lets running jobs finish (up to SHUTDOWN_TIMEOUT), closes connections. */
  close(): Promise<void>;
  /** This process's metrics: counted here, summed in Redis, shown by `GET /metrics` (src/metrics/). */
  metrics: Metrics;
}

export async function createSyndicate(config: Config, logger: Logger, modules = CHANNEL_MODULES): Promise<Syndicate> {
  const core = await createCore(config, logger);
  const { database, redis, queues, media } = core;

  const built = new Map<ChannelModule, BuiltChannel>();
  for (const module of modules) built.set(module, await module.build(core));
  const channelQueues = [...built.values()].flatMap((channel) => (channel.queue ? [channel.queue] : []));
  for (const channelQueue of channelQueues) {
    queues.enable(channelQueue.name);
    const missing = missingHandlers(channelQueue);
    if (missing.length) throw new Error(`queue "${channelQueue.name}": no handler for job ${missing.map((n) => `"${n}"`).join(', ')}`);
  }
  const modes = Object.fromEntries(
    ['live', 'outbox', 'off'].map((mode) => [mode, [...built].filter(([, c]) => c.mode === mode).map(([m]) => m.name)]),
  );
  const list = (mode: string) => modes[mode]!.join(', ') || 'none';
  logger.info(modes, `channels: live ${list('live')}; outbox ${list('outbox')} (${core.outboxDir}); off ${list('off')}`);

  const service = new ArticleService({ ...core, queues, channels: channelQueues, articleChannelNames: ARTICLE_CHANNEL_NAMES });
  const roles: WorkerRole[] = [PUBLISH_QUEUE, ...[...built].flatMap(([module, channel]) => (channel.queue ? [module.name] : []))];
  const metrics = new Metrics({
    config,
    redis,
    logger,
    events: core.events,
    queues: () => [queues.publish, ...channelQueues.map((channelQueue) => queues.channel(channelQueue.name))],
    channels: [...built.values()],
  });
  // Every process publishes its events as webhooks (SPEC §4); processes running workers also POST them.
  const webhooks = config.webhooks
    ? startWebhooks({
        ...config.webhooks,
        queue: queues.channel(WEBHOOK_QUEUE),
        articles: core.articles,
        deliveries: core.deliveries,
        events: core.events,
        logger,
      })
    : undefined;
  const context: ProcessContext = { config, logger, core, modules, built, channelQueues, service, metrics, webhooks, roles };
  const workers = new WorkerProcesses(context);
  let api: FastifyInstance | undefined;

  return {
    ...{ config, logger, database, redis, media, service, roles, queues, channelQueues, metrics },
    startApi: async (options) => (api = await startApiProcess(context, options)),
    startWorkers: (requested) => workers.start(requested),
    articles: core.articles,
    deliveries: core.deliveries,
    images: core.images,
    events: core.events,
    channel<Services>(module: ChannelModule<Services>) {
      const channel = built.get(module as ChannelModule);
      if (!channel) throw new Error(`channel "${module.name}" is not in this process's module list`);
      return channel as BuiltChannel<Services>;
    },
    async close() {
      await api?.close();
      await workers.close();
      for (const channel of built.values()) await channel.close?.();
      // The last jobs' outcomes are queued as webhooks before the queues close.
      await webhooks?.flush();
      webhooks?.stop();
      // After the workers: their last counts go out before Redis closes.
      await metrics.close();
      await core.close();
    },
  };
}
