/**
 * The feeds' wiring. Workers render feeds when articles change (coalesced by FeedBuilder) and
 * store them; API processes keep them in memory (FeedCache), answer polls before Fastify routes
 * anything (fast-path.ts), and drop what a worker announces as changed.
 */
import type { Config } from '../../../config/load.js';
import { feedKey } from './document.js';
import { FeedDocumentStore } from '../../store/feed-documents.js';
import { typedQueue } from '../../queue/jobs.js';
import type { BuiltChannel, ChannelCore, ChannelPreview } from '../module.js';
import { FeedBuilder } from './builder.js';
import { FeedCache } from './cache.js';
import { fitItemContent } from './item-limits.js';
import { feedContext, feedSite } from './context.js';
import { serveCachedFeed } from './fast-path.js';
import { announceFeedChanges, createFeedsQueue, feedChangesChannel, FEEDS_CHANNEL, WEBSUB_JOB_OPTIONS, type FeedJobs } from './queue.js';
import { renderFeed } from './render.js';
import { FEED_CACHE_CONTROL, feedRoutes } from './routes.js';
import { feedUrls, FEED_FORMATS } from './urls.js';

/** What the feeds' tests and benchmarks reach. */
export interface FeedsServices {
  builder: FeedBuilder;
  documents: FeedDocumentStore;
  /** This process's in-memory feeds (API processes). */
  cache: FeedCache;
}

/** Each feed format's entry for the article, for previews. */
export function previewFeeds(config: Config): ChannelPreview {
  const site = feedSite(config);
  return {
    key: 'feed',
    render: (article, now) => {
      const context = feedContext(site, feedUrls(site.publicBaseUrl), undefined, now);
      // As the feed will carry it: content over the item limit becomes its summary and a link.
      const item = { article: fitItemContent(article, site.maxItemContentBytes), updatedAt: now };
      return Object.fromEntries(FEED_FORMATS.map((format) => [format, renderFeed(format, [item], context)]));
    },
  };
}

export async function buildFeeds(core: ChannelCore): Promise<BuiltChannel<FeedsServices>> {
  const { config, redis, logger } = core;
  const documents = new FeedDocumentStore(core.database);
  const builder = new FeedBuilder({
    articles: core.articles,
    documents,
    redis,
    prefix: config.queuePrefix,
    site: feedSite(config),
    logger,
    onChanged: announceFeedChanges(redis, config.queuePrefix, config.feeds.hubs, (data) =>
      typedQueue<FeedJobs>(core.queue(FEEDS_CHANNEL)).add('websub-ping', data, WEBSUB_JOB_OPTIONS),
    ),
  });
  const cache = new FeedCache(documents, FEED_CACHE_CONTROL);
  let subscriber: ReturnType<typeof core.connectRedis> | undefined;
  if (!config.channels.includes(FEEDS_CHANNEL)) return { mode: 'off', services: { builder, documents, cache } };

  return {
    mode: 'live',
    queue: createFeedsQueue({
      articles: core.articles,
      deliveries: core.deliveries,
      leaseMs: core.leaseMs,
      logger,
      events: core.events,
      builder,
      publicBaseUrl: config.publicBaseUrl,
      hubs: config.feeds.hubs,
    }),
    routes: async (app) => app.register(feedRoutes, { cache }),
    fastPath: (request, response) => serveCachedFeed(cache, request, response),
    async startApi() {
      subscriber = core.connectRedis();
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
    },
    async startWorker() {
      // A fresh database has no rendered feeds yet; readers should get an empty feed, not 404.
      if (!(await documents.getValidators(feedKey('rss')))) await builder.rebuildEverything();
    },
    async close() {
      subscriber?.disconnect();
    },
    metrics: [
      {
        name: 'syndicate_feed_rebuilds_total',
        help: 'Feed rebuilds (the site feeds and the changed category feeds rendered and stored), all workers together',
        type: 'counter',
        read: () => [{ value: builder.rebuildCount }],
      },
    ],
    services: { builder, documents, cache },
  };
}
