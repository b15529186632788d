/**
 * A whole feed rebuild — read the newest items from SQLite, render RSS, Atom and JSON Feed,
 * compress (gzip + brotli), hash, store — against the raw `feed` package only rendering the
 * same items, for 50 and 1,000 items. Also: how many rebuilds a burst of 500 articles costs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { createSyndicate } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { benchArticleInput, benchArticles } from './articles.js';
import { renderRaw } from './feed-render.js';
import { fmt, timeMedian, type Row } from './stats.js';
import { feedsModule } from '../src/channels/feeds/module.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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

export async function benchFeedRebuild(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const count of [50, 1000]) {
    const articles = benchArticles(count).map((article) => ({ ...article, categories: [] }));
    const ours = await withSyndicate({ FEED_ITEMS: String(count) }, async (syndicate) => {
      const now = new Date();
      for (const article of articles) {
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
      return timeMedian(() => syndicate.channel(feedsModule).services.builder.rebuildEverything(), count === 50 ? 30 : 5, 1);
    });
    const raw = await timeMedian(() => renderRaw(articles), count === 50 ? 30 : 5, 1);
    rows.push({
      benchmark: `full rebuild, ${count} items (read, render ×3, gzip+br, store)`,
      ours: fmt(ours, 'ms'),
      baseline: `${fmt(raw, 'ms')} (raw \`feed\` render only)`,
      ratio: `${(ours / raw).toFixed(2)}× the time`,
      target: 'informational',
    });
  }

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
    target: 'a handful',
  });
  return rows;
}
