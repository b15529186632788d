/**
 * Coalesced feed rebuilds.
 *
 * Every article change bumps a generation counter in Redis and marks its categories dirty.
 * A feeds job carries the generation it must see; if a rebuild has already covered it the job
 * is done at once. A rebuild snapshots the counter before reading the database, so everything
 * committed up to that generation is in it. Before a rebuild the builder rests in proportion to
 * what the last one cost and to how many changes are waiting (see `restBeforeRebuild`): a lone
 * article waits for nothing, and a burst of 500 articles costs a handful of rebuilds, not 500.
 *
 * A rebuild renders only what changed: item fragments are kept per article revision
 * (fragment-cache.ts) and each document is assembled from them (feed-parts.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FeedContext, FeedFormat } from './render.js';
import { feedContext, type FeedSite } from './context.js';
import { buildFeedDocument, feedEtag, feedKey } from './document.js';
import { assembleWithinLimit, type FeedFragment } from './feed-parts.js';
import { FragmentCache, latestChange } from './fragment-cache.js';
import { FEED_BYTE_LIMIT, FEED_ITEM_CONTENT_LIMIT } from './item-limits.js';
import { LruMap } from './lru-map.js';
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

// In one round trip: 'built' when generation ARGV[3] is built already, 'busy' when another holds
// the lock, else takes it (token ARGV[1], ARGV[2] ms) and returns what the rest before a rebuild
// needs: the built and current generations and the last rebuild's end and cost.
const LOCK_FOR_REBUILD = `
local built = tonumber(redis.call('GET', KEYS[1]) or '0')
if built >= tonumber(ARGV[3]) then return {'built'} end
if not redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return {'busy'} end
return {'locked', tostring(built), redis.call('GET', KEYS[3]) or '0', redis.call('GET', KEYS[4]) or ''}`;

const LOCK_TTL_MS = 120_000;

// Fragment rendering (cache misses: start-up, a big edit) gives the event loop a turn this often,
// between batches of this many items; the process may also serve HTTP.
const YIELD_EVERY_MS = 10;
const FRAGMENT_BATCH = 50;

export interface RebuildResult {
  rebuilt: boolean;
  changedKeys: string[];
}

export class FeedBuilder {
  private readonly keys: { generation: string; built: string; dirty: string; lock: string; lastBuild: string };
  private readonly now: () => Date;
  /** Item fragments, rendered once per article revision and format. */
  readonly fragments = new FragmentCache();
  // The ETag this process last stored per feed: when a rebuild gives the same one, the stored
  // validators are read to skip compressing and writing an unchanged document.
  private readonly storedEtags = new LruMap<string, string>({ maxEntries: 10_000 });
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
      const token = randomUUID();
      const [state, built, current, lastBuild] = (await this.deps.redis.eval(
        LOCK_FOR_REBUILD,
        4,
        this.keys.built,
        this.keys.lock,
        this.keys.generation,
        this.keys.lastBuild,
        token,
        LOCK_TTL_MS,
        generation,
      )) as [string, string?, string?, string?];
      if (state === 'built') return { rebuilt: false, changedKeys: [] };
      if (state === 'busy') {
        // Another worker is rebuilding; its result may cover us.
        await sleep(25);
        continue;
      }
      try {
        await this.restBeforeRebuild(Number(current) - Number(built), lastBuild ?? '');
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

  /**
   * Waits before a rebuild while `waiting` changes are not built; `lastBuild` is the last
   * rebuild's end (epoch ms) and cost (ms).
   *
   * The rest, counted from the end of the last rebuild, is that rebuild's cost for every change
   * waiting beyond the first, at most FEED_REBUILD_INTERVAL_MS. One change waiting: there is
   * nothing to coalesce, and a rest would only hold the article back. Several: a burst is under
   * way; the builder then rebuilds at most 1/n of the time with n waiting, and the rest grows
   * with the burst until few rebuilds cover it.
   */
  private async restBeforeRebuild(waiting: number, lastBuild: string): Promise<void> {
    const [endedAt = 0, cost = 0] = lastBuild.split(' ').map(Number);
    const rest = Math.min(this.deps.site.rebuildIntervalMs, cost * Math.max(0, waiting - 1));
    const wait = endedAt + rest - Date.now();
    if (wait > 0) await sleep(wait);
  }

  private async rebuild(everything: boolean): Promise<RebuildResult> {
    const started = performance.now();
    this.rebuildCount++;
    // Snapshot before reading the database: all changes up to `generation` are committed.
    // Sent together, answered in one round trip.
    const [generationValue, dirtyValue] = await Promise.all([
      this.deps.redis.get(this.keys.generation),
      this.deps.redis.hgetall(this.keys.dirty),
    ]);
    const generation = Number(generationValue ?? 0);
    const dirty = Object.keys(dirtyValue);
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
    const cost = performance.now() - started;
    // When it ended and what it cost, for the rest before the next one (restBeforeRebuild).
    await this.deps.redis.set(this.keys.lastBuild, `${Date.now()} ${cost.toFixed(1)}`);
    this.deps.logger.info({ generation, categories: slugs.length, changed: changedKeys.length, ms: Math.round(cost) }, 'feeds rebuilt');
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
    const category = slug === undefined ? undefined : findCategory(records, slug);
    const updated = records.reduce((max, record) => {
      const changed = latestChange(record);
      return changed > max ? changed : max;
    }, new Date(0));
    const context = feedContext(this.deps.site, feedUrls(this.deps.site.publicBaseUrl, slug), category, updated);
    // The three formats compress at once, in libuv's thread pool.
    const stored = await Promise.all(
      FEED_FORMATS.map(async (format) => {
        const key = feedKey(format, slug);
        const body = await this.assemble(key, format, records, context);
        return (await this.store(key, format, body)) ? key : undefined;
      }),
    );
    return stored.filter((key) => key !== undefined);
  }

  /**
   * The document for `records` (newest first), from their fragments, dropping the oldest until
   * it is within the feed byte limit (counted from the fragments' lengths, not re-rendered).
   */
  private async assemble(key: string, format: FeedFormat, records: readonly ArticleRecord[], context: FeedContext): Promise<string> {
    const itemLimit = this.deps.site.maxItemContentBytes ?? FEED_ITEM_CONTENT_LIMIT;
    const fragments: FeedFragment[] = [];
    let slice = performance.now();
    for (let start = 0; start < records.length; start += FRAGMENT_BATCH) {
      fragments.push(...this.fragments.fragments(format, records.slice(start, start + FRAGMENT_BATCH), itemLimit, context));
      if (performance.now() - slice > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        slice = performance.now();
      }
    }
    const limit = this.deps.site.maxFeedBytes ?? FEED_BYTE_LIMIT;
    const { body, items } = assembleWithinLimit(format, context, fragments, limit);
    if (items < fragments.length) {
      this.deps.logger.warn({ key, items, of: fragments.length, limitBytes: limit }, 'feed over its byte limit: oldest items left out');
    }
    return body;
  }

  /** Compresses and stores the document unless it is stored already; true when written. */
  private async store(key: string, format: FeedFormat, body: string): Promise<boolean> {
    const identity = Buffer.from(body, 'utf8');
    const etag = feedEtag(identity);
    const known = this.storedEtags.get(key);
    // Unknown (start-up) or the same as last time: it may be stored already, by us or another worker.
    if ((known === undefined || known === etag) && (await this.deps.documents.getValidators(key))?.etag === etag) {
      this.storedEtags.set(key, etag);
      return false;
    }
    const document = await buildFeedDocument(key, format, identity, this.now(), etag);
    const written = await this.deps.documents.put(document, this.now());
    this.storedEtags.set(key, etag);
    return written;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
