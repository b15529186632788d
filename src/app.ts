/**
 * Composition root (STYLE "Immich": a plain list and a loop). `createSyndicate` opens the
 * database (migrated) and Redis, builds the core every channel shares, then each channel module
 * in CHANNELS; `startApi` and `startWorkers` add the HTTP listener and the BullMQ workers;
 * `close` takes everything down in order. No channel is named here.
 */
import { UnrecoverableError, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import path from 'node:path';
import type { Config } from '../config/load.js';
import { ARTICLE_CHANNEL_NAMES } from '../config/schema.js';
import type { BuiltChannel, ChannelCore, ChannelModule } from './channels/module.js';
import { CHANNEL_MODULES } from './channels/modules.js';
import type { Logger } from './logger.js';
import { missingHandlers, type ChannelQueue } from './queue/channel-queue.js';
import { ChannelHealth } from './queue/channel-health.js';
import { fanOut } from './queue/fan-out.js';
import { PUBLISH_QUEUE, type JobContext } from './queue/jobs.js';
import { Queues } from './queue/queues.js';
import { createRedis } from './queue/redis.js';
import { ArticleService } from './services/article-service.js';
import { ImageLibrary } from './services/images.js';
import { ArticleStore } from './store/articles.js';
import { openDatabase, type Database } from './store/database.js';
import { DeliveryStore } from './store/deliveries.js';
import { MediaStore } from './store/media.js';
import { migrateToLatest } from './store/migrate.js';
import { closeWorkers } from './queue/close-workers.js';

/** A worker role: the fan-out (`publish`) or the name of an enabled channel's queue. */
export type WorkerRole = string;

export interface Syndicate {
  config: Config;
  logger: Logger;
  database: Database;
  redis: Redis;
  articles: ArticleStore;
  deliveries: DeliveryStore;
  media: MediaStore;
  images: ImageLibrary;
  service: ArticleService;
  queues: Queues;
  /** The queue side of each channel that is not off. */
  channelQueues: readonly ChannelQueue[];
  /** Roles `startWorkers` accepts: `publish` and each queue's name. */
  roles: readonly WorkerRole[];
  /** A channel module as built in this process; throws for a channel not in CHANNELS. */
  channel<Services>(module: ChannelModule<Services>): BuiltChannel<Services>;
  startApi(options?: { listen?: boolean }): Promise<FastifyInstance>;
  startWorkers(roles: readonly WorkerRole[]): Promise<Worker[]>;
  /** Stops taking work, lets running jobs finish (up to SHUTDOWN_TIMEOUT), closes connections. */
  close(): Promise<void>;
}

export async function createSyndicate(config: Config, logger: Logger, modules = CHANNEL_MODULES): Promise<Syndicate> {
  const database = await openDatabase(config.databaseUrl);
  const applied = await migrateToLatest(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const connections: Redis[] = [];
  const connectRedis = () => {
    const connection = createRedis(config.redisUrl);
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
    connections.push(connection);
    return connection;
  };
  const redis = connectRedis();
  const queues = new Queues(redis, config.queuePrefix);
  const queue = (name: string) => queues.channel(name);
  const media = new MediaStore(database);
  const core: ChannelCore = {
    config,
    logger,
    database,
    redis,
    connectRedis,
    articles: new ArticleStore(database),
    deliveries: new DeliveryStore(database),
    queue,
    images: new ImageLibrary(media, { publicBaseUrl: config.publicBaseUrl, allowPrivate: config.mediaAllowPrivate }),
    health: new ChannelHealth(redis, config.queuePrefix),
    outboxDir: path.join(config.dataDir, 'outbox'),
    leaseMs: 120_000,
  };

  const built = new Map<ChannelModule, BuiltChannel>();
  for (const module of modules) if (config.channels.includes(module.name as never)) built.set(module, await module.build(core));
  const channelQueues = [...built.values()].flatMap((channel) => (channel.queue ? [channel.queue] : []));
  for (const channelQueue of channelQueues) {
    queues.enable(channelQueue.name);
    const missing = missingHandlers(channelQueue);
    if (missing.length) throw new Error(`queue "${channelQueue.name}": no handler for job ${missing.map((n) => `"${n}"`).join(', ')}`);
  }
  const modes = (mode: string) =>
    [...built]
      .filter(([, c]) => c.mode === mode)
      .map(([m]) => m.name)
      .join(', ') || 'none';
  logger.info(`channels: live ${modes('live')}; outbox ${modes('outbox')} (${core.outboxDir}); off ${modes('off')}`);

  const service = new ArticleService({ ...core, queues, channels: channelQueues, articleChannelNames: ARTICLE_CHANNEL_NAMES });
  const roles = [PUBLISH_QUEUE, ...channelQueues.map((c) => c.name)];
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
      preview: createPreviewRenderer(await Promise.all([...built.keys()].flatMap((m) => (m.preview ? [m.preview(config)] : [])))),
      channels: [...built.values()],
    });
    if (options.listen ?? true) await api.listen({ port: config.port, host: config.host });
    return api;
  }

  async function startWorkers(requested: readonly WorkerRole[]): Promise<Worker[]> {
    const unknown = requested.filter((role) => !roles.includes(role));
    if (unknown.length) throw new Error(`unknown worker role "${unknown[0]}" (known: ${roles.join(', ')})`);
    const started = requested.map((role) => {
      const channelQueue = channelQueues.find((c) => c.name === role);
      const handle = channelQueue
        ? channelQueue.handlers
        : { publish: (job: { data: { articleId: string } }) => fanOutJob(job.data.articleId) };
      const worker: Worker = new Worker(
        role,
        async (job, token) => {
          const handler = (handle as Record<string, ((job: unknown, context: JobContext) => Promise<unknown>) | undefined>)[job.name];
          if (!handler) throw new UnrecoverableError(`queue "${role}" has no handler for job "${job.name}"`);
          return handler(job, { token, rateLimit: (ms) => worker.rateLimit(ms) });
        },
        {
          connection: connectRedis(),
          prefix: config.queuePrefix,
          concurrency: channelQueue ? (channelQueue.concurrency ?? 1) : 4,
          ...(channelQueue?.limiter ? { limiter: channelQueue.limiter } : {}),
        },
      );
      worker.on('failed', (job, error) =>
        logger.warn({ queue: role, jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
      );
      worker.on('error', (error) => logger.error({ queue: role, err: error.message }, 'worker error'));
      return worker;
    });
    workers.push(...started);
    for (const channel of built.values()) if (channel.queue && requested.includes(channel.queue.name)) await channel.startWorker?.();
    return started;
  }

  async function fanOutJob(articleId: string) {
    const result = await fanOut({ articles: core.articles, deliveries: core.deliveries, queues, channels: channelQueues }, articleId);
    logger.info({ articleId, ...result }, 'article fanned out');
    return result;
  }

  return {
    ...{ config, logger, database, redis, media, service, roles, queues, channelQueues, startApi, startWorkers },
    articles: core.articles,
    deliveries: core.deliveries,
    images: core.images,
    channel<Services>(module: ChannelModule<Services>) {
      const channel = built.get(module as ChannelModule);
      if (!channel) throw new Error(`channel "${module.name}" is not in CHANNELS`);
      return channel as BuiltChannel<Services>;
    },
    async close() {
      await api?.close();
      await closeWorkers(workers, config.shutdownTimeoutMs, logger);
      await queues.close();
      for (const channel of built.values()) await channel.close?.();
      // QUIT only on a connection that is up: one still connecting would keep reconnecting.
      for (const connection of connections) {
        if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
        else connection.disconnect();
      }
      await database.close();
    },
  };
}
