/**
 * Composition root (STYLE "Immich": a plain list and a loop). `createSyndicate` opens the
 * database (migrated) and Redis, builds the core every channel shares, then each channel module
 * in CHANNELS; `startApi` and `startWorkers` add the HTTP listener and the BullMQ workers;
 * `close` takes everything down in order. No channel is named here.
 */
import type { Job, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { ChannelName, Config } from '../config/load.js';
import { ARTICLE_CHANNEL_NAMES } from '../config/schema.js';
import type { BuiltChannel, ChannelModule } from './channels/module.js';
import { CHANNEL_MODULES } from './channels/modules.js';
import { createCore, type Core } from './core.js';
import { CredentialMonitor } from './credentials/credential-monitor.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics/metrics.js';
import { missingHandlers, type ChannelQueue } from './queue/channel-queue.js';
import { closeWorkers } from './queue/close-workers.js';
import { fanOut } from './queue/fan-out.js';
import { eraseHandlers, PUBLISH_QUEUE, type JobHandlers, type PublishJobs } from './queue/jobs.js';
import { Reconciler } from './queue/reconciler.js';
import { failStalledDeliveries } from './queue/stalled-jobs.js';
import { createQueueWorker } from './queue/worker.js';
import { ArticleService } from './services/article-service.js';
import { startWebhooks, WEBHOOK_QUEUE } from './webhooks/webhooks.js';
import { SubscriberStore } from './store/subscribers.js';

/** A worker role: the fan-out or an enabled channel's queue. */
export type WorkerRole = typeof PUBLISH_QUEUE | ChannelName;

/**
 * The limiter of a channel queue without one of its own. It never holds a job back by itself,
 * but BullMQ heeds a rate limit put on the queue (`JobContext.rateLimit`: a platform's 429 until
 * its reset) only in workers that have a limiter: without it, the other processes' workers
 * would go on calling the platform, each until its own 429.
 */
const HONOUR_QUEUE_RATE_LIMITS = { max: 1_000_000_000, duration: 1000 } as const;

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
  const workers: Worker[] = [];
  const metrics = new Metrics({
    config,
    redis,
    logger,
    events: core.events,
    queues: () => [queues.publish, ...channelQueues.map((channelQueue) => queues.channel(channelQueue.name))],
    channels: [...built.values()],
  });
  // One per process that runs workers; the lock in Redis lets one of them work at a time.
  let reconciler: Reconciler | undefined;
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
  let webhookWorker: Worker | undefined;
  const credentialMonitors: CredentialMonitor[] = [];
  let api: FastifyInstance | undefined;

  async function startApi(options: { listen?: boolean } = {}): Promise<FastifyInstance> {
    for (const channel of built.values()) await channel.startApi?.();
    // Loaded here: worker-only processes do not carry Fastify.
    const [{ buildApp }, { createPreviewRenderer }] = await Promise.all([import('./http/app.js'), import('./services/preview.js')]);
    const previews = await Promise.all(modules.flatMap((m) => (m.preview && config.channels.includes(m.name) ? [m.preview(config)] : [])));
    api = await buildApp({
      logger,
      publisherToken: config.publisherToken,
      publicBaseUrl: config.publicBaseUrl,
      trustProxy: config.trustProxy,
      articles: service,
      health: { redis: async () => void (await redis.ping()), database: () => database.ping(), channels: () => core.health.failing() },
      media,
      preview: createPreviewRenderer(previews),
      admin: {
        token: config.adminToken,
        secretKey: config.secretKey,
        publicBaseUrl: config.publicBaseUrl,
        siteTitle: config.site.title,
        service,
        articles: core.articles,
        deliveries: core.deliveries,
        subscribers: new SubscriberStore(database),
        channels: channelQueues.map((channelQueue) => channelQueue.name),
        previews,
        queues: [
          queues.publish,
          ...channelQueues.map((channelQueue) => queues.channel(channelQueue.name)),
          ...(webhooks ? [queues.channel(WEBHOOK_QUEUE)] : []),
        ],
        // Bull Board stays read-only until config has ADMIN_QUEUES_WRITABLE.
        queuesWritable: false,
      },
      channels: [...built.values()].map((channel) => metrics.instrument(channel)),
    });
    await api.register(metrics.routes);
    metrics.start();
    if (options.listen ?? true) await api.listen({ port: config.port, host: config.host });
    return api;
  }

  async function startWorkers(requested: readonly string[]): Promise<Worker[]> {
    const unknown = requested.filter((role) => !(roles as string[]).includes(role));
    if (unknown.length) throw new Error(`unknown worker role "${unknown[0]}" (known: ${roles.join(', ')})`);
    const started = requested.map((role) => {
      const channelQueue = channelQueues.find((c) => c.name === role);
      const options = {
        connection: core.connectRedis(),
        prefix: config.queuePrefix,
        logger,
        stall: config.jobs,
        onStalledOut: async (job: Job, reason: string) => void (await failStalledDeliveries(core.deliveries, logger, role, job, reason)),
      };
      if (!channelQueue) return createQueueWorker(role, eraseHandlers(publishHandlers), { ...options, concurrency: 4 });
      return createQueueWorker(role, channelQueue.handlers, {
        ...options,
        concurrency: channelQueue.concurrency,
        limiter: channelQueue.limiter ?? HONOUR_QUEUE_RATE_LIMITS,
      });
    });
    workers.push(...started);
    started.forEach((worker, i) => metrics.observeWorker(requested[i]!, worker));
    metrics.start();
    for (const channel of built.values()) if (channel.queue && requested.includes(channel.queue.name)) await channel.startWorker?.();
    if (requested.length > 0 && !reconciler) {
      // Claims older than the longest lease belong to a worker that died.
      const leaseMs = Math.max(core.leaseMs, config.mail.leaseMs);
      reconciler = new Reconciler(
        { ...core, channels: channelQueues, prefix: config.queuePrefix },
        { intervalMs: config.reconcileIntervalMs, leaseMs },
      );
      reconciler.start();
    }
    if (requested.length > 0 && webhooks && !webhookWorker) {
      webhookWorker = createQueueWorker(WEBHOOK_QUEUE, webhooks.handlers, {
        connection: core.connectRedis(),
        prefix: config.queuePrefix,
        logger,
        concurrency: 4,
        stall: config.jobs,
      });
      workers.push(webhookWorker);
    }
    // The credentials of the channels this process works for, checked now and hourly (/readyz, expiry warnings).
    const checkable = [...built].flatMap(([module, channel]) =>
      channel.check && requested.includes(module.name) ? [{ name: module.name, check: () => channel.check!() }] : [],
    );
    if (checkable.length > 0) {
      const monitor = new CredentialMonitor({
        channels: checkable,
        health: core.health,
        events: core.events,
        logger,
        redis,
        prefix: config.queuePrefix,
      });
      monitor.start();
      credentialMonitors.push(monitor);
    }
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
    ...{ config, logger, database, redis, media, service, roles, queues, channelQueues, startApi, startWorkers, metrics },
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
      await reconciler?.stop();
      await Promise.all(credentialMonitors.map((monitor) => monitor.stop()));
      await closeWorkers(workers, config.shutdownTimeoutMs, logger);
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
