/**
 * Coalesced feed rebuilds.
 *
 * Every article change bumps a generation counter in Redis and marks its categories dirty.
 * A feeds job carries the generation it must see; if a rebuild has already covered it the job
 * is done at once. A rebuild snapshots the counter before reading the database, so everything
 * committed up to that generation is in it. With a minimum interval between rebuilds, a burst
 * of 500 articles costs a handful of rebuilds, not 500.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FeedContext, FeedFormat, FeedItem } from './render.js';
import { feedContext, type FeedSite } from './context.js';
import { renderFeed } from './render.js';
import { buildFeedDocument, feedKey } from './document.js';
import { FEED_BYTE_LIMIT, FEED_ITEM_CONTENT_LIMIT, fitItemContent, minimumItemBytes } from './item-limits.js';
import type { ArticleRecord, Category } from '../../domain/article.js';
import type { ArticleStore } from '../../store/articles.js';
import type { FeedDocumentStore } from '../../store/feed-documents.js';
import { feedUrls, FEED_FORMATS } from './urls.js';
import { keyGroupPrefix } from '../../queue/redis-keys.js';

export interface FeedBuilderDeps {
  articles: ArticleStore;
  documents: FeedDocumentStore;
  redis: Redis;
  prefix: string;
  site: FeedSite;
  logger: Logger;
  /** Called with the public URLs of the feeds whose bytes changed (WebSub topics, cache invalidation). */
  onChanged: (changedKeys: string[], topics: string[]) => Promise<void>;
  now?: () => Date;
}

// Bumps the generation and marks each category dirty at that generation, atomically.
const MARK_DIRTY = `
local g = redis.call('INCR', KEYS[1])
for _, slug in ipairs(ARGV) do redis.call('HSET', KEYS[2], slug, g) end
return g`;

// Records that generation ARGV[1] is built and clears the categories it covered, unless a
// newer change marked them again meanwhile.
const MARK_BUILT = `
local built = tonumber(redis.call('GET', KEYS[1]) or '0')
local g = tonumber(ARGV[1])
if g > built then redis.call('SET', KEYS[1], g) end
for i = 2, #ARGV do
  local v = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or '0')
  if v <= g then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return 1`;

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const LOCK_TTL_MS = 120_000;

export interface RebuildResult {
  rebuilt: boolean;
  changedKeys: string[];
}

export class FeedBuilder {
  private readonly keys: { generation: string; built: string; dirty: string; lock: string; lastBuild: string };
  private readonly now: () => Date;
  /** Rebuilds this process has made (coalescing is visible here and in benchmarks). */
  rebuildCount = 0;

  constructor(private readonly deps: FeedBuilderDeps) {
    // One hash tag for all of them: MARK_DIRTY and MARK_BUILT use two at once (Redis Cluster).
    const base = keyGroupPrefix(deps.prefix, 'feeds');
    this.keys = {
      generation: `${base}:generation`,
      built: `${base}:built`,
      dirty: `${base}:dirty`,
      lock: `${base}:lock`,
      lastBuild: `${base}:last-build`,
    };
    this.now = deps.now ?? (() => new Date());
  }

  /** Records a change touching `categories`; returns the generation a rebuild must reach. */
  async markDirty(categories: readonly Category[]): Promise<number> {
    const slugs = [...new Set(categories.map((category) => category.slug))];
    const generation = await this.deps.redis.eval(MARK_DIRTY, 2, this.keys.generation, this.keys.dirty, ...slugs);
    return Number(generation);
  }

  /** Makes sure the stored feeds include every change up to `generation`. */
  async ensureBuilt(generation: number): Promise<RebuildResult> {
    for (;;) {
      if ((await this.builtGeneration()) >= generation) return { rebuilt: false, changedKeys: [] };
      const token = randomUUID();
      const locked = await this.deps.redis.set(this.keys.lock, token, 'PX', LOCK_TTL_MS, 'NX');
      if (locked !== 'OK') {
        // Another worker is rebuilding; its result may cover us.
        await sleep(25);
        continue;
      }
      try {
        if ((await this.builtGeneration()) >= generation) return { rebuilt: false, changedKeys: [] };
        await this.waitForInterval();
        return await this.rebuild(false);
      } finally {
        await this.deps.redis.eval(RELEASE_LOCK, 1, this.keys.lock, token);
      }
    }
  }

  /** Renders the site feeds and every category feed, whatever is marked dirty (start-up, repair). */
  async rebuildEverything(): Promise<RebuildResult> {
    const token = randomUUID();
    while ((await this.deps.redis.set(this.keys.lock, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') await sleep(25);
    try {
      return await this.rebuild(true);
    } finally {
      await this.deps.redis.eval(RELEASE_LOCK, 1, this.keys.lock, token);
    }
  }

  private async builtGeneration(): Promise<number> {
    return Number((await this.deps.redis.get(this.keys.built)) ?? 0);
  }

  private async waitForInterval(): Promise<void> {
    const last = Number((await this.deps.redis.get(this.keys.lastBuild)) ?? 0);
    const wait = last + this.deps.site.rebuildIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
  }

  private async rebuild(everything: boolean): Promise<RebuildResult> {
    const started = performance.now();
    this.rebuildCount++;
    // Snapshot before reading the database: all changes up to `generation` are committed.
    const generation = Number((await this.deps.redis.get(this.keys.generation)) ?? 0);
    const dirty = Object.keys(await this.deps.redis.hgetall(this.keys.dirty));
    const slugs = everything ? [...new Set([...dirty, ...(await this.deps.articles.listCategorySlugs())])] : dirty;

    // The site-wide feeds are announced as soon as they are stored: most readers follow them,
    // and they should not wait for every category feed.
    const siteKeys = await this.renderTarget(undefined);
    await this.announce(siteKeys);
    const categoryKeys: string[] = [];
    for (const slug of slugs) categoryKeys.push(...(await this.renderTarget(slug)));
    await this.announce(categoryKeys);
    const changedKeys = [...siteKeys, ...categoryKeys];

    await this.deps.redis.eval(MARK_BUILT, 2, this.keys.built, this.keys.dirty, generation, ...dirty);
    await this.deps.redis.set(this.keys.lastBuild, Date.now());
    this.deps.logger.info(
      { generation, categories: slugs.length, changed: changedKeys.length, ms: Math.round(performance.now() - started) },
      'feeds rebuilt',
    );
    return { rebuilt: true, changedKeys };
  }

  private async announce(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.deps.onChanged(
      keys,
      keys.map((key) => topicForKey(this.deps.site.publicBaseUrl, key)),
    );
  }

  /** Renders one feed (site-wide when `slug` is undefined) in every format; returns changed keys. */
  private async renderTarget(slug: string | undefined): Promise<string[]> {
    const records = await this.deps.articles.listPublished({
      limit: this.deps.site.items,
      ...(slug === undefined ? {} : { categorySlug: slug }),
    });
    const itemLimit = this.deps.site.maxItemContentBytes ?? FEED_ITEM_CONTENT_LIMIT;
    const items: FeedItem[] = records.map((record) => ({ article: fitItemContent(record, itemLimit), updatedAt: latest(record) }));
    const category = slug === undefined ? undefined : findCategory(records, slug);
    const updated = items.reduce((max, item) => (item.updatedAt > max ? item.updatedAt : max), new Date(0));
    const urls = feedUrls(this.deps.site.publicBaseUrl, slug);
    const changed: string[] = [];
    for (const format of FEED_FORMATS) {
      const key = feedKey(format, slug);
      const body = await this.renderWithinLimit(key, format, items, feedContext(this.deps.site, urls, category, updated));
      const document = await buildFeedDocument(key, format, body, this.now());
      if (await this.deps.documents.put(document, this.now())) changed.push(key);
    }
    return changed;
  }

  /**
   * Renders `items` (newest first), dropping the oldest until the document is within the feed
   * byte limit. Item counts whose content alone is over the limit are never rendered; the rest
   * is a binary search, so an oversized feed costs a few renders, each followed by a turn of
   * the event loop (this may run in the process that serves HTTP).
   */
  private async renderWithinLimit(key: string, format: FeedFormat, items: readonly FeedItem[], context: FeedContext): Promise<string> {
    const limit = this.deps.site.maxFeedBytes ?? FEED_BYTE_LIMIT;
    let candidate = 0;
    for (let total = 0; candidate < items.length; candidate++) {
      total += minimumItemBytes(items[candidate]!.article);
      if (total > limit) break;
    }
    const whole = renderFeed(format, items.slice(0, candidate), context);
    if (Buffer.byteLength(whole, 'utf8') <= limit && candidate === items.length) return whole;
    // Invariant: `fits` items fit (none always counts as fitting), `over` items do not.
    let fits = 0;
    let over = candidate;
    let best: string | undefined;
    if (Buffer.byteLength(whole, 'utf8') <= limit) {
      fits = candidate;
      best = whole;
      over = candidate + 1;
    }
    while (over - fits > 1) {
      await yieldToEventLoop();
      const middle = (fits + over) >>> 1;
      const body = renderFeed(format, items.slice(0, middle), context);
      if (Buffer.byteLength(body, 'utf8') <= limit) {
        fits = middle;
        best = body;
      } else {
        over = middle;
      }
    }
    this.deps.logger.warn({ key, items: fits, of: items.length, limitBytes: limit }, 'feed over its byte limit: oldest items left out');
    return best ?? renderFeed(format, items.slice(0, fits), context);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function latest(record: ArticleRecord): Date {
  return record.updatedAt > record.publishedAt ? record.updatedAt : record.publishedAt;
}

function findCategory(records: ArticleRecord[], slug: string): Category {
  for (const record of records) {
    const found = record.categories.find((category) => category.slug === slug);
    if (found) return found;
  }
  return { name: slug, slug };
}

/** The public URL of a stored feed document, e.g. 'category/south-asia/atom' → …/categories/south-asia/atom.xml. */
export function topicForKey(publicBaseUrl: string, key: string): string {
  const parts = key.split('/');
  const format = parts.at(-1) as FeedFormat;
  const slug = parts[0] === 'category' ? parts.slice(1, -1).join('/') : undefined;
  return feedUrls(publicBaseUrl, slug)[format];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
