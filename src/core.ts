/**
 * The core every channel module is built from (`ChannelCore`): the database (migrated), Redis
 * connections, stores, queues, images and channel health, each made once per process.
 */
import type { Redis } from 'ioredis';
import path from 'node:path';
import type { Config } from '../config/load.js';
import type { ChannelCore } from './channels/module.js';
import type { Logger } from './logger.js';
import { EventBus } from './events.js';
import { ChannelHealth } from './queue/channel-health.js';
import { Queues } from './queue/queues.js';
import { PUBLISH_QUEUE } from './queue/jobs.js';
import { createCommandRedis, createRedis, waitUntilReady } from './queue/redis.js';
import { ImageLibrary } from './services/images.js';
import { ArticleStore } from './store/articles.js';
import { openDatabase, retryWhileBusy } from './store/database.js';
import { DeliveryStore } from './store/deliveries.js';
import { MediaStore } from './store/media.js';
import { migrateToLatest } from './store/migrate.js';

/** Lease of a ledger claim: longer than any single platform call's time-out. */
const DELIVERY_LEASE_MS = 120_000;

/**
 * How long start-up waits for Redis before going on without it: commands then fail at once
 * (503) until it answers, instead of every caller waiting. A process that needs it (`start`)
 * has made sure of it before.
 */
const REDIS_READY_WAIT_MS = 5000;

/** How long start-up retries migrations while another process holds the SQLite write lock. */
const MIGRATION_BUSY_BUDGET_MS = 30_000;

export interface Core extends ChannelCore {
  queues: Queues;
  media: MediaStore;
  /** Closes the queues and every Redis connection opened through `connectRedis`, then the database. */
  close(): Promise<void>;
}

export async function createCore(config: Config, logger: Logger): Promise<Core> {
  const database = await openDatabase(config.databaseUrl);
  const applied = await retryWhileBusy(() => migrateToLatest(database), { budgetMs: MIGRATION_BUSY_BUDGET_MS });
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const connections: Redis[] = [];
  const connectRedis = () => {
    const connection = createRedis(config.redisUrl);
    connection.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
    connections.push(connection);
    return connection;
  };
  // Commands (enqueue, counters, readiness) fail fast while Redis is away; workers and
  // subscribers get their own waiting connections from connectRedis.
  const redis = createCommandRedis(config.redisUrl);
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  connections.push(redis);
  if (!(await waitUntilReady(redis, REDIS_READY_WAIT_MS))) logger.warn('redis is not answering yet; commands fail until it does');
  const queues = new Queues(redis, config.queuePrefix);
  // A BullMQ Queue made while Redis is away waits for it on every call: make the ones this
  // process will use while it is here.
  for (const name of [PUBLISH_QUEUE, ...config.channels]) queues.channel(name);
  const media = new MediaStore(database);
  return {
    config,
    logger,
    database,
    redis,
    connectRedis,
    articles: new ArticleStore(database),
    deliveries: new DeliveryStore(database),
    media,
    queues,
    queue: (name) => queues.channel(name),
    images: new ImageLibrary(media, { publicBaseUrl: config.publicBaseUrl, allowPrivate: config.mediaAllowPrivate }),
    health: new ChannelHealth(redis, config.queuePrefix),
    outboxDir: path.join(config.dataDir, 'outbox'),
    leaseMs: DELIVERY_LEASE_MS,
    events: new EventBus((error, event) => logger.error({ err: (error as Error).message, event: event.type }, 'event listener failed')),
    async close() {
      await queues.close();
      // QUIT only on a connection that is up: one still connecting would keep reconnecting.
      for (const connection of connections) {
        if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
        else connection.disconnect();
      }
      await database.close();
    },
  };
}
