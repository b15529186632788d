/**
 * A whole feed rebuild — read the newest items from SQLite, render RSS, Atom and JSON Feed,
 * compress (gzip + brotli), hash, store — against the raw `feed` package only rendering the
 * same items, for 50 and 1,000 items. Then the rebuild one new article causes (the site feeds
 * and its two categories' feeds), against the same rebuild rendering every item afresh (as
 * before item fragments were kept). Also: how many rebuilds a burst of 500 articles costs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { createSyndicate } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { benchArticleInput, benchArticles } from './articles.js';
import { parseArticle, type Article, type Category } from '../src/domain/article.js';
import { feedContext } from '../src/channels/feeds/context.js';
import { buildFeedDocument, feedKey } from '../src/channels/feeds/document.js';
import { latestChange } from '../src/channels/feeds/fragment-cache.js';
import { fitItemContent } from '../src/channels/feeds/item-limits.js';
import { feedSite } from '../src/channels/feeds/module.js';
import { renderFeed } from '../src/channels/feeds/render.js';
import { FEED_FORMATS, feedUrls } from '../src/channels/feeds/urls.js';
import { renderRaw } from './feed-render.js';
import { fmt, percentile, timeMedian, type Row } from './stats.js';
import { feedsModule } from '../src/channels/feeds/module.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// As the burst test in tests/integration/channels/feeds/builder.test.ts allows.
const BURST_MAX_REBUILDS = 25;

async function withSyndicate<T>(
  env: Record<string, string>,
  fn: (s: Awaited<ReturnType<typeof createSyndicate>>) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-rebuild-'));
  const { config } = loadConfig(
    {
      DATA_DIR: dataDir,
      CHANNELS: 'feeds',
      QUEUE_PREFIX: `bench-rebuild-${process.pid}-${Date.now()}`,
      LOG_LEVEL: 'warn',
      REDIS_URL,
      ...env,
    },
    { cwd: dataDir },
  );
  const syndicate = await createSyndicate(config, createLogger('warn'));
  try {
    return await fn(syndicate);
  } finally {
    await syndicate.redis.del(...(await syndicate.redis.keys(`${config.queuePrefix}:*`)), 'nothing');
    await syndicate.close();
  }
}

/** Stores `article` as published, straight into the database (no queue, no rebuild). */
async function storePublished(syndicate: Awaited<ReturnType<typeof createSyndicate>>, article: Article, now: Date): Promise<void> {
  await syndicate.articles.insert({
    ...article,
    revision: 1,
    state: 'published',
    contentHash: article.id,
    createdAt: now,
    updatedAt: now,
    retractedAt: null,
  });
}

export async function benchFeedRebuild(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of [50, 1000]) {
    const articles = benchArticles(count).map((article) => ({ ...article, categories: [] }));
    const ours = await withSyndicate({ FEED_ITEMS: String(count) }, async (syndicate) => {
      const now = new Date();
      for (const article of articles) await storePublished(syndicate, article, now);
      const { builder, documents } = syndicate.channel(feedsModule).services;
      // Cold every time: no fragment kept, no document stored (an unchanged one is not compressed again).
      return timeMedian(
        async () => {
          builder.fragments.clear();
          for (const key of await documents.keys()) await documents.remove(key);
          await builder.rebuildEverything();
        },
        count === 50 ? 30 : 5,
        1,
      );
    });
    const raw = await timeMedian(() => renderRaw(articles), count === 50 ? 30 : 5, 1);
    rows.push({
      benchmark: `full rebuild, ${count} items (read, render ×3, gzip+br, store)`,
      ours: fmt(ours, 'ms'),
      baseline: `${fmt(raw, 'ms')} (raw \`feed\` render only)`,
      ratio: `${(ours / raw).toFixed(2)}× the time`,
      target: 'informational',
      figures: { ours, baseline: raw, ratio: ours / raw, unit: 'ms' },
    });
  }

  rows.push(await benchIncrementalRebuild());

  const rebuilds = await withSyndicate({}, async (syndicate) => {
    await syndicate.startWorkers(syndicate.roles);
    const before = syndicate.channel(feedsModule).services.builder.rebuildCount;
    const started = performance.now();
    for (let start = 0; start < 500; start += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) => syndicate.service.submit({ ...benchArticleInput(start + j), publishedAt: undefined })),
      );
    }
    for (;;) {
      const last = await syndicate.deliveries.get({ articleId: 'bench-499', channel: 'feeds', target: '' });
      if (last?.state === 'sent') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { count: syndicate.channel(feedsModule).services.builder.rebuildCount - before, ms: performance.now() - started };
  });
  rows.push({
    benchmark: 'burst of 500 articles → rebuilds',
    ours: `${rebuilds.count} rebuilds in ${fmt(rebuilds.ms, 'ms', 0)}`,
    baseline: '500 (one per article)',
    ratio: (rebuilds.count / 500).toFixed(3),
    target: `a handful (≤ ${BURST_MAX_REBUILDS})`,
    figures: { ours: rebuilds.count, baseline: 500, ratio: rebuilds.count / 500, unit: 'rebuilds' },
    met: rebuilds.count <= BURST_MAX_REBUILDS,
  });
  return rows;
}

/**
 * Median ms of the rebuild after one new article (the site feeds and its two categories' feeds),
 * against the same three feeds rebuilt the previous way, in the same run and alternating: each
 * document rendered whole (renderFeed), compressed and stored one after the other.
 */
export async function benchIncrementalRebuild(): Promise<Row> {
  const runs = 40;
  // No rest before a rebuild: the rebuild alone is timed.
  const times = await withSyndicate({ FEED_REBUILD_INTERVAL_MS: '0' }, async (syndicate) => {
    const { builder, documents } = syndicate.channel(feedsModule).services;
    const site = feedSite(syndicate.config);
    let next = 0;
    const publishOne = async (): Promise<Category[]> => {
      const parsed = parseArticle(benchArticleInput(next++), { channelNames: [], now: new Date() });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      const { article } = parsed.value;
      await storePublished(syndicate, article, new Date());
      return article.categories;
    };
    const rebuildOurs = async (categories: Category[]) => {
      const started = performance.now();
      await builder.ensureBuilt(await builder.markDirty(categories));
      return performance.now() - started;
    };
    const rebuildWhole = async (categories: Category[]) => {
      const started = performance.now();
      for (const category of [undefined, ...categories]) {
        const records = await syndicate.articles.listPublished({ limit: site.items, ...(category ? { categorySlug: category.slug } : {}) });
        const items = records.map((record) => ({ article: fitItemContent(record), updatedAt: latestChange(record) }));
        const updated = new Date(Math.max(...items.map((item) => item.updatedAt.getTime())));
        const context = feedContext(site, feedUrls(site.publicBaseUrl, category?.slug), category, updated);
        for (const format of FEED_FORMATS) {
          // Keys of their own, so the two ways never find each other's documents.
          const key = feedKey(format, `whole-${category?.slug ?? 'site'}`);
          await documents.put(await buildFeedDocument(key, format, renderFeed(format, items, context), new Date()), new Date());
        }
      }
      return performance.now() - started;
    };
    for (let i = 0; i < 60; i++) await rebuildOurs(await publishOne());
    const ours: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < runs; i++) {
      const categories = await publishOne();
      // Alternating which goes first, so that both see the same machine load and caches.
      if (i % 2) {
        ours.push(await rebuildOurs(categories));
        whole.push(await rebuildWhole(categories));
      } else {
        whole.push(await rebuildWhole(categories));
        ours.push(await rebuildOurs(categories));
      }
    }
    return { ours: percentile(ours, 50), whole: percentile(whole, 50) };
  });
  return {
    benchmark: 'rebuild after one new article (site + 2 category feeds ×3 formats, 50 items)',
    ours: fmt(times.ours, 'ms'),
    baseline: `${fmt(times.whole, 'ms')} (documents rendered whole, one after another)`,
    ratio: `${(times.ours / times.whole).toFixed(2)}× the time`,
    target: 'informational',
    figures: { ours: times.ours, baseline: times.whole, ratio: times.ours / times.whole, unit: 'ms' },
  };
}
