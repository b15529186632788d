/**
 * Composition root: every dependency built once from Config. `createSyndicate` opens the
 * database (migrated), Redis and the queues; `startApi` and `startWorkers` add the HTTP
 * listener and the BullMQ workers; `close` takes everything down in order.
 */
import { Worker, type Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import path from 'node:path';
import type { Config } from '../config/load.js';
import { ARTICLE_CHANNEL_NAMES } from '../config/schema.js';
import type { Channel } from './channels/channel.js';
import { platformEntries } from './channels/registry.js';
import { FeedCache } from './channels/feeds/cache.js';
import { FEED_CACHE_CONTROL } from './channels/feeds/routes.js';
import type { Logger } from './logger.js';
import type { ChannelDefinition } from './queue/channel-queue.js';
import { fanOut } from './queue/fan-out.js';
import { FeedBuilder, type FeedSite } from './channels/feeds/builder.js';
import { announceFeedChanges, feedChangesChannel, feedsChannel, FEEDS_CHANNEL, WEBSUB_JOB_OPTIONS } from './channels/feeds/queue.js';
import { JobName, PUBLISH_QUEUE, type PublishJobData } from './queue/jobs.js';
import { ChannelHealth } from './queue/channel-health.js';
import { outboxChannel } from './queue/outbox-channel.js';
import { Queues } from './queue/queues.js';
import { redisMemory } from './queue/redis-memory.js';
import { socialChannel } from './queue/platform-queue.js';
import { ImageLibrary, type VariantName } from './services/images.js';
import type { Article } from './domain/article.js';
import { createRedis } from './queue/redis.js';
import { ArticleService } from './services/article-service.js';
import { createPreviewRenderer } from './services/preview.js';
import { ArticleStore } from './store/articles.js';
import { openDatabase, type Database } from './store/database.js';
import { DeliveryStore } from './store/deliveries.js';
import { FeedDocumentStore } from './store/feed-documents.js';
import { MediaStore } from './store/media.js';
import { SubscriberStore } from './store/subscribers.js';
import { createLetters } from './channels/newsletter/letters.js';
import type { EmailSite } from './channels/newsletter/render.js';
import { createMailer, messageIdDomain, type Mailer } from './channels/newsletter/send.js';
import { createTokenSigner } from './channels/newsletter/tokens.js';
import { PENDING_TTL_MS } from './domain/subscriber.js';
import { mailRatePlan, NEWSLETTER_CHANNEL } from './channels/newsletter/batch.js';
import { newsletterChannel, type NewsletterChannel } from './channels/newsletter/queue.js';
import { scheduleDigests } from './channels/newsletter/digest.js';
import { SubscriptionService } from './channels/newsletter/subscriptions.js';
import { migrateToLatest } from './store/migrate.js';

/** A worker role: the fan-out (`publish`) or one channel's queue. */
export type WorkerRole = string;

export interface Syndicate {
  config: Config;
  logger: Logger;
  database: Database;
  redis: Redis;
  queues: Queues;
  articles: ArticleStore;
  deliveries: DeliveryStore;
  documents: FeedDocumentStore;
  subscribers: SubscriberStore;
  subscriptions: SubscriptionService;
  /** The newsletter's mailer; undefined when the channel is off. */
  mailer: Mailer | undefined;
  images: ImageLibrary;
  builder: FeedBuilder;
  channels: readonly ChannelDefinition[];
  service: ArticleService;
  /** Roles `startWorkers` accepts. */
  roles: readonly WorkerRole[];
  startApi(options?: { listen?: boolean }): Promise<FastifyInstance>;
  startWorkers(roles: readonly WorkerRole[]): Promise<Worker[]>;
  /** Stops taking work, lets running jobs finish (up to SHUTDOWN_TIMEOUT), closes connections. */
  close(): Promise<void>;
}

/** Lease of a ledger claim: longer than any single call's time-out. */
const DELIVERY_LEASE_MS = 120_000;

/** Feed branding and limits from Config. */
export function feedSite(config: Config): FeedSite {
  return {
    title: config.site.title,
    description: config.site.description,
    language: config.site.language,
    siteUrl: config.site.url,
    publicBaseUrl: config.publicBaseUrl,
    items: config.feeds.items,
    hubs: config.feeds.hubs,
    rebuildIntervalMs: config.feeds.rebuildIntervalMs,
  };
}

export async function createSyndicate(config: Config, logger: Logger): Promise<Syndicate> {
  const database = await openDatabase(config.databaseUrl);
  const applied = await migrateToLatest(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  const redis = createRedis(config.redisUrl);
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  const articles = new ArticleStore(database);
  const deliveries = new DeliveryStore(database);
  const documents = new FeedDocumentStore(database);
  const media = new MediaStore(database);
  const subscribers = new SubscriberStore(database);

  const site = feedSite(config);

  const health = new ChannelHealth(redis, config.queuePrefix);
  const images = new ImageLibrary(media, { publicBaseUrl: config.publicBaseUrl, allowPrivate: config.mediaAllowPrivate });
  const platformDeps = {
    image: (article: Article, variant: VariantName, sourceUrl?: string) => images.variant(article, variant, sourceUrl),
    containers: redisMemory(redis, `${config.queuePrefix}:instagram-containers`),
  };
  const platforms = await platformEntries(config);

  // Each enabled platform is live (credentials), writes to the outbox, or is off.
  const outboxDir = path.join(config.dataDir, 'outbox');
  const platformChannels: Channel[] = [];
  const modes: Record<string, 'live' | 'outbox' | 'off'> = {};
  for (const entry of platforms) {
    const channel = entry.live?.(platformDeps) ?? (config.outbox ? outboxChannel(entry.composer, outboxDir) : null);
    modes[entry.name] = entry.live ? 'live' : channel ? 'outbox' : 'off';
    if (channel) platformChannels.push(channel);
  }
  // The newsletter: live over SMTP_URL, .eml files in the outbox, or off.
  const newsletterEnabled = config.channels.includes(NEWSLETTER_CHANNEL);
  if (newsletterEnabled) modes[NEWSLETTER_CHANNEL] = config.mail.smtpUrl ? 'live' : config.outbox ? 'outbox' : 'off';
  const emailSite = emailSiteOf(config);
  const mailFrom = config.mail.from ?? `newsletter@${new URL(config.publicBaseUrl).hostname}`;
  const mailer =
    modes[NEWSLETTER_CHANNEL] === 'live' || modes[NEWSLETTER_CHANNEL] === 'outbox'
      ? createMailer({
          ...(config.mail.smtpUrl ? { smtpUrl: config.mail.smtpUrl } : {}),
          from: mailFrom,
          replyTo: config.mail.replyTo ?? null,
          dkim: config.mail.dkim ?? null,
          outboxDir,
        })
      : undefined;
  const tokens = createTokenSigner(config.secretKey);
  const messageDomain = messageIdDomain({ from: mailFrom, publicBaseUrl: config.publicBaseUrl });
  const letters = createLetters({
    site: emailSite,
    tokens,
    messageDomain,
    listId: `<newsletter.${messageDomain}>`,
    unsubscribeMailto: config.mail.unsubscribeMailto ?? null,
    confirmTtlMs: PENDING_TTL_MS,
  });

  const notBuilt = config.channels.filter(
    (name) => name !== FEEDS_CHANNEL && name !== NEWSLETTER_CHANNEL && !platforms.some((entry) => entry.name === name),
  );
  const feedsEnabled = config.channels.includes(FEEDS_CHANNEL);
  const queues = new Queues(redis, config.queuePrefix, [
    ...(feedsEnabled ? [FEEDS_CHANNEL] : []),
    ...(mailer ? [NEWSLETTER_CHANNEL] : []),
    ...platformChannels.map((c) => c.name),
  ]);

  const builder: FeedBuilder = new FeedBuilder({
    articles,
    documents,
    redis,
    prefix: config.queuePrefix,
    site,
    logger,
    onChanged: announceFeedChanges(redis, config.queuePrefix, config.feeds.hubs, (data) =>
      queues.channel(FEEDS_CHANNEL).add(JobName.websubPing, data, WEBSUB_JOB_OPTIONS),
    ),
  });

  const channels: ChannelDefinition[] = [];
  const runnerDeps = { articles, deliveries, leaseMs: DELIVERY_LEASE_MS, logger };
  if (feedsEnabled) {
    channels.push(feedsChannel({ ...runnerDeps, builder, publicBaseUrl: config.publicBaseUrl, hubs: config.feeds.hubs }));
  }
  let newsletter: NewsletterChannel | undefined;
  if (mailer) {
    const ratePlan = mailRatePlan(config.mail.rate);
    newsletter = newsletterChannel({
      articles,
      deliveries,
      subscribers,
      mailer,
      letters,
      leaseMs: config.mail.leaseMs,
      batchSize: ratePlan.batchSize,
      ...(ratePlan.limiter ? { limiter: ratePlan.limiter } : {}),
      logger,
      queue: () => queues.channel(NEWSLETTER_CHANNEL),
      timeZone: config.digest.timeZone,
    });
    channels.push(newsletter);
  }
  for (const channel of platformChannels) channels.push(socialChannel(channel, { ...runnerDeps, health }));
  const subscriptions = new SubscriptionService({
    subscribers,
    deliveries,
    articles,
    tokens,
    enqueueConfirmation: newsletter ? (subscriber) => newsletter.enqueueConfirmation(subscriber, queues.channel(NEWSLETTER_CHANNEL)) : null,
    recordIp: config.subscribe.recordIp,
  });
  const byMode = (mode: string) => Object.keys(modes).filter((name) => modes[name] === mode);
  logger.info(
    {
      live: [...(feedsEnabled ? [FEEDS_CHANNEL] : []), ...byMode('live')],
      outbox: byMode('outbox'),
      off: byMode('off'),
      notBuiltYet: notBuilt,
    },
    `channels: live ${[...(feedsEnabled ? [FEEDS_CHANNEL] : []), ...byMode('live')].join(', ') || 'none'}; outbox ${byMode('outbox').join(', ') || 'none'} (${outboxDir}); off ${byMode('off').join(', ') || 'none'}${notBuilt.length ? `; not built yet: ${notBuilt.join(', ')}` : ''}`,
  );

  const service = new ArticleService({ articles, deliveries, queues, builder, channels, articleChannelNames: ARTICLE_CHANNEL_NAMES });
  const roles = [PUBLISH_QUEUE, ...channels.map((c) => c.name)];
  const workers: Worker[] = [];
  const listeners: Redis[] = [];
  let api: FastifyInstance | undefined;

  async function startApi(options: { listen?: boolean } = {}): Promise<FastifyInstance> {
    const cache = new FeedCache(documents, FEED_CACHE_CONTROL);
    const subscriber = createRedis(config.redisUrl);
    subscriber.on('error', (error) => logger.warn({ err: error.message }, 'redis subscriber error'));
    // After a reconnect we may have missed announcements: forget everything.
    subscriber.on('ready', () => cache.invalidate());
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        cache.invalidate(JSON.parse(message) as string[]);
      } catch {
        cache.invalidate();
      }
    });
    await subscriber.subscribe(feedChangesChannel(config.queuePrefix));
    listeners.push(subscriber);

    // Loaded here: worker-only processes do not carry Fastify.
    const { buildApp } = await import('./http/app.js');
    api = await buildApp({
      logger,
      publisherToken: config.publisherToken,
      publicBaseUrl: config.publicBaseUrl,
      articles: service,
      feeds: cache,
      health: {
        redis: async () => {
          await redis.ping();
        },
        database: () => database.ping(),
        channels: () => health.failing(),
      },
      media,
      preview: createPreviewRenderer({
        site,
        channelNames: ARTICLE_CHANNEL_NAMES,
        composers: platforms.map((entry) => entry.composer),
        ...(newsletterEnabled ? { email: emailSite } : {}),
      }),
      site: { title: emailSite.title, url: emailSite.url, language: emailSite.language },
      ...(newsletterEnabled ? { subscriptions } : {}),
      subscribeRateLimit: { max: config.subscribe.ratePerMinute, timeWindowMs: 60_000, redis, keyPrefix: config.queuePrefix },
    });
    if (options.listen ?? true) {
      await api.listen({ port: config.port, host: config.host });
    }
    return api;
  }

  async function startWorkers(requested: readonly WorkerRole[]): Promise<Worker[]> {
    for (const role of requested) {
      if (!roles.includes(role)) throw new Error(`unknown worker role "${role}" (known: ${roles.join(', ')})`);
    }
    const started: Worker[] = [];
    for (const role of requested) {
      const worker =
        role === PUBLISH_QUEUE
          ? new Worker(
              PUBLISH_QUEUE,
              async (job: Job<PublishJobData>) => {
                const result = await fanOut({ articles, deliveries, queues, channels }, job.data.articleId);
                logger.info({ articleId: job.data.articleId, ...result }, 'article fanned out');
                return result;
              },
              { connection: createRedis(config.redisUrl), prefix: config.queuePrefix, concurrency: 4 },
            )
          : channelWorker(channels.find((c) => c.name === role)!);
      worker.on('failed', (job, error) =>
        logger.warn({ queue: role, jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
      );
      worker.on('error', (error) => logger.error({ queue: role, err: error.message }, 'worker error'));
      started.push(worker);
    }
    workers.push(...started);
    if (requested.includes(NEWSLETTER_CHANNEL)) await scheduleDigests(queues.channel(NEWSLETTER_CHANNEL), config.digest);
    if (requested.includes(FEEDS_CHANNEL)) {
      // A fresh database has no rendered feeds yet; readers should get an empty feed, not 404.
      if (!(await documents.getValidators('site/rss'))) await builder.rebuildEverything();
    }
    return started;
  }

  function channelWorker(channel: ChannelDefinition): Worker {
    const worker: Worker = new Worker(channel.name, (job, token) => channel.process(job, token, (ms) => worker.rateLimit(ms)), {
      connection: createRedis(config.redisUrl),
      prefix: config.queuePrefix,
      concurrency: channel.concurrency ?? 1,
      ...(channel.limiter ? { limiter: channel.limiter } : {}),
    });
    return worker;
  }

  async function close(): Promise<void> {
    const deadline = config.shutdownTimeoutMs;
    await api?.close();
    // Let running jobs finish; past the deadline hand them back (they stall and run again).
    await Promise.all(
      workers.map(async (worker) => {
        let timer: NodeJS.Timeout | undefined;
        const graceful = worker.close();
        const forced = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            logger.warn({ queue: worker.name }, 'jobs still running at the shutdown deadline; handing them back');
            void worker.close(true).then(resolve, resolve);
          }, deadline);
        });
        await Promise.race([graceful, forced]);
        clearTimeout(timer);
        await worker.disconnect().catch(() => {});
      }),
    );
    await queues.close();
    mailer?.close();
    for (const listener of listeners) listener.disconnect();
    // QUIT only on a connection that is up: one still connecting would keep reconnecting.
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
    await database.close();
  }

  return {
    config,
    logger,
    database,
    redis,
    queues,
    articles,
    deliveries,
    documents,
    subscribers,
    subscriptions,
    mailer,
    images,
    builder,
    channels,
    service,
    roles,
    startApi,
    startWorkers,
    close,
  };
}

/** Email branding from Config (SITE_*, MAIL_POSTAL_ADDRESS). */
export function emailSiteOf(config: Config): EmailSite {
  return {
    title: config.site.title,
    url: config.site.url,
    publicBaseUrl: config.publicBaseUrl,
    postalAddress: config.mail.postalAddress ?? null,
    language: config.site.language ?? 'en',
  };
}
