/**
 * Composition root (STYLE "Immich": a plain list and a loop). `createSyndicate` opens the
 * database (migrated) and Redis, builds the core every channel shares, then each channel module
 * in CHANNELS; `startApi` and `startWorkers` add the HTTP listener and the BullMQ workers;
 * `close` takes everything down in order. No channel is named here.
 */
import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { ChannelName, Config } from '../config/load.js';
import { ARTICLE_CHANNEL_NAMES } from '../config/schema.js';
import type { BuiltChannel, ChannelModule } from './channels/module.js';
import { CHANNEL_MODULES } from './channels/modules.js';
import { createCore, type Core } from './core.js';
import type { Logger } from './logger.js';
import { missingHandlers, type ChannelQueue } from './queue/channel-queue.js';
import { closeWorkers } from './queue/close-workers.js';
import { fanOut } from './queue/fan-out.js';
import { eraseHandlers, PUBLISH_QUEUE, type JobHandlers, type PublishJobs } from './queue/jobs.js';
import { createQueueWorker } from './queue/worker.js';
import { ArticleService } from './services/article-service.js';

/** A worker role: the fan-out or an enabled channel's queue. */
export type WorkerRole = typeof PUBLISH_QUEUE | ChannelName;

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
  const workers: Worker[] = [];
  let api: FastifyInstance | undefined;

  async function startApi(options: { listen?: boolean } = {}): Promise<FastifyInstance> {
    for (const channel of built.values()) await channel.startApi?.();
    // Loaded here: worker-only processes do not carry Fastify.
    const [{ buildApp }, { createPreviewRenderer }] = await Promise.all([import('./http/app.js'), import('./services/preview.js')]);
    api = await buildApp({
      logger,
      publisherToken: config.publisherToken,
      publicBaseUrl: config.publicBaseUrl,
      articles: service,
      health: { redis: async () => void (await redis.ping()), database: () => database.ping(), channels: () => core.health.failing() },
      media,
      preview: createPreviewRenderer(
        await Promise.all(modules.flatMap((m) => (m.preview && config.channels.includes(m.name) ? [m.preview(config)] : []))),
      ),
      channels: [...built.values()],
    });
    if (options.listen ?? true) await api.listen({ port: config.port, host: config.host });
    return api;
  }

  async function startWorkers(requested: readonly string[]): Promise<Worker[]> {
    const unknown = requested.filter((role) => !(roles as string[]).includes(role));
    if (unknown.length) throw new Error(`unknown worker role "${unknown[0]}" (known: ${roles.join(', ')})`);
    const started = requested.map((role) => {
      const channelQueue = channelQueues.find((c) => c.name === role);
      const options = { connection: core.connectRedis(), prefix: config.queuePrefix, logger };
      if (!channelQueue) return createQueueWorker(role, eraseHandlers(publishHandlers), { ...options, concurrency: 4 });
      return createQueueWorker(role, channelQueue.handlers, {
        ...options,
        concurrency: channelQueue.concurrency,
        limiter: channelQueue.limiter,
      });
    });
    workers.push(...started);
    for (const channel of built.values()) if (channel.queue && requested.includes(channel.queue.name)) await channel.startWorker?.();
    return started;
  }

  const publishHandlers: JobHandlers<PublishJobs> = {
    async publish(job) {
      const result = await fanOut({ ...core, queues, channels: channelQueues }, job.data.articleId);
      logger.info({ articleId: job.data.articleId, ...result }, 'article fanned out');
      return result;
    },
  };

  return {
    ...{ config, logger, database, redis, media, service, roles, queues, channelQueues, startApi, startWorkers },
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
      await closeWorkers(workers, config.shutdownTimeoutMs, logger);
      for (const channel of built.values()) await channel.close?.();
      await core.close();
    },
  };
}
