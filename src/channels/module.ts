/**
 * The one contract every channel module implements. The composition root (src/app.ts) knows
 * channels only through it: it builds each module in the list (modules.ts) from the same core,
 * logs its mode, registers its queue's handlers as a worker, its routes on the API, its preview,
 * and its CLI commands. A channel lives in its own folder; nothing outside it names its parts.
 */
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { ChannelName, Config } from '../../config/load.js';
import type { Article } from '../domain/article.js';
import type { Logger } from '../logger.js';
import type { ChannelQueue } from '../queue/channel-queue.js';
import type { ChannelHealth } from '../queue/channel-health.js';
import type { ImageLibrary } from '../services/images.js';
import type { ArticleStore } from '../store/articles.js';
import type { Database } from '../store/database.js';
import type { DeliveryStore } from '../store/deliveries.js';
import type { CliCommand } from '../cli/command.js';
import type { EventBus } from '../events.js';
import type { CredentialFinding } from './channel.js';

/** What every module is built from: the process's shared dependencies, built once. */
export interface ChannelCore {
  config: Config;
  logger: Logger;
  database: Database;
  /**
   * The shared connection for commands: it fails fast (no offline queue, a 1 s command time-out)
   * so a request never hangs on a Redis that is away. Not for blocking reads or subscriptions.
   */
  redis: Redis;
  /** A new connection, for a subscriber or a worker; the caller closes it. */
  connectRedis(): Redis;
  articles: ArticleStore;
  deliveries: DeliveryStore;
  /** The queue of a channel (created on first use). */
  queue(name: string): Queue;
  images: ImageLibrary;
  health: ChannelHealth;
  /** Where channels without credentials write (`DATA_DIR/outbox`). */
  outboxDir: string;
  /** How long a ledger claim protects a row. Longer than any single call's time-out. */
  leaseMs: number;
  /** Delivery and article events, for metrics and webhooks. */
  events: EventBus;
}

/** How a channel runs in this process: against the real service, into the outbox, or not at all. */
export type ChannelMode = 'live' | 'outbox' | 'off';

/** One series of a channel metric. */
export interface MetricSample {
  /** One value per label name. @defaultValue none */
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/** A metric a channel reports: plain numbers, so that no channel depends on prom-client. */
export interface ChannelMetric {
  /** Prometheus conventions: `syndicate_…`, base units, `_total` on a counter. */
  name: string;
  help: string;
  /**
   * `gauge`: `read` runs in the API process at each scrape (subscribers by state, from the
   * database). `counter`: `read` gives this process's running total (feed rebuilds, counted by
   * whichever worker made them); each process adds its increase to a total kept in Redis every
   * few seconds, and the API shows that total.
   */
  type: 'gauge' | 'counter';
  /** @defaultValue none */
  labelNames?: readonly string[];
  read(): readonly MetricSample[] | Promise<readonly MetricSample[]>;
}

/** A module built for this process. */
export interface BuiltChannel<Services = unknown> {
  mode: ChannelMode;
  /** The queue side; absent when the channel is off. */
  queue?: ChannelQueue;
  /** Public HTTP routes (the newsletter's sign-up pages, the feeds). */
  routes?: FastifyPluginAsync;
  /** Answers a request before Fastify routes it (cached feeds), returning true; false hands it on. */
  fastPath?(request: IncomingMessage, response: ServerResponse): boolean;
  /** Runs when this process starts the API (subscribe to cache invalidations…). */
  startApi?(): Promise<void>;
  /** Runs when this process starts the channel's worker (schedules, a first feed build…). */
  startWorker?(): Promise<void>;
  /** Releases what `build` opened. */
  close?(): Promise<void>;
  /** What the channel reports on `GET /metrics` (src/metrics/ exposes it; the channel only counts). */
  metrics?: readonly ChannelMetric[];
  /**
   * Checks the live channel's credentials with the platform (`syndicate doctor`, the workers'
   * hourly checks); never throws. Absent when the channel is not live (outbox, off) or has none.
   */
  check?(): Promise<CredentialFinding>;
  /** What the channel's own CLI commands and tests reach into (the newsletter's subscriber store…). */
  services: Services;
}

/** An article as one channel would render it, without credentials or I/O. */
export interface ChannelPreview {
  /** The key of this channel's part in a preview (`feed`, `email`, `x`…). */
  key: string;
  render(article: Article, now: Date): unknown;
}

export interface ChannelModule<Services = unknown> {
  /** The channel's name: its `CHANNELS` entry, queue, ledger rows and key in an article's `channels`. */
  readonly name: ChannelName;
  /** CLI commands the channel adds (`syndicate subscribers …`). */
  readonly commands?: readonly CliCommand[];
  /** The preview renderer; works without credentials (`syndicate preview` opens nothing). */
  preview?(config: Config): Promise<ChannelPreview>;
  /**
   * Builds the channel for this process. Every module is built: one not in `CHANNELS` is `off`
   * (no queue, no routes) but still gives its services, so `syndicate subscribers import` works
   * on a deployment without the newsletter.
   */
  build(core: ChannelCore): Promise<BuiltChannel<Services>>;
}

/** Off when not in `CHANNELS`; else live with credentials, or as `OUTBOX` says. */
export function modeOf(config: Config, name: ChannelName, hasCredentials: boolean): ChannelMode {
  if (!config.channels.includes(name)) return 'off';
  return hasCredentials ? 'live' : config.outbox ? 'outbox' : 'off';
}
