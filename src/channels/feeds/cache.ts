/**
 * Rendered feeds held in memory by each API process, so that serving a feed costs no database
 * round trip. Entries are dropped when the feeds worker announces a change (Redis pub/sub) and
 * revalidated against the database after `maxAgeMs` in case an announcement was missed.
 *
 * Bounded (SPEC §7): feeds by count and bytes, least recently used out first; "no such feed"
 * answers, which anyone can create by asking for made-up category slugs, in a small list of
 * their own so they never push real feeds out.
 */
import type { FeedDocumentStore } from '../../store/feed-documents.js';
import { LruMap } from './lru-map.js';
import { prepareFeed, type ServedFeed } from './served-feed.js';

interface Entry<T> {
  value: T;
  checkedAt: number;
}

/** How much a FeedCache holds. */
export interface FeedCacheLimits {
  /** Feeds held. @defaultValue 1000 */
  maxEntries: number;
  /** Bytes of feed bodies held (identity, gzip and brotli together). @defaultValue 128 MiB */
  maxBytes: number;
  /** Keys known to have no feed, held to spare the database repeated polls of a removed category. @defaultValue 1000 */
  maxMisses: number;
  /** How long an entry is trusted without asking the database. Milliseconds. @defaultValue 5000 */
  maxAgeMs: number;
}

export const DEFAULT_FEED_CACHE_LIMITS: Readonly<FeedCacheLimits> = Object.freeze({
  maxEntries: 1000,
  maxBytes: 128 * 1024 * 1024,
  maxMisses: 1000,
  maxAgeMs: 5000,
});

/** What a FeedCache holds now. */
export interface FeedCacheStats {
  entries: number;
  bytes: number;
  misses: number;
}

function feedBytes(entry: Entry<ServedFeed>): number {
  const { document } = entry.value;
  return document.body.length + document.gzip.length + document.brotli.length;
}

export class FeedCache {
  readonly limits: Readonly<FeedCacheLimits>;
  private readonly feeds: LruMap<string, Entry<ServedFeed>>;
  private readonly misses: LruMap<string, Entry<null>>;
  private readonly loading = new Map<string, Promise<ServedFeed | null>>();

  /** @param cacheControl the Cache-Control header feeds are served with */
  constructor(
    private readonly documents: FeedDocumentStore,
    private readonly cacheControl: string,
    limits: Partial<FeedCacheLimits> = {},
  ) {
    this.limits = Object.freeze({ ...DEFAULT_FEED_CACHE_LIMITS, ...limits });
    this.feeds = new LruMap({ maxEntries: this.limits.maxEntries, maxWeight: this.limits.maxBytes, weigh: feedBytes });
    this.misses = new LruMap({ maxEntries: this.limits.maxMisses });
  }

  /** The cached feed for `key` when it is fresh, without waiting; undefined when `get` must look. */
  peek(key: string): ServedFeed | null | undefined {
    const entry = this.feeds.get(key) ?? this.misses.get(key);
    return entry && this.fresh(entry, Date.now()) ? entry.value : undefined;
  }

  /** The stored feed for `key`, ready to serve, or null when there is none. */
  async get(key: string): Promise<ServedFeed | null> {
    const now = Date.now();
    const miss = this.misses.get(key);
    if (miss && this.fresh(miss, now)) return null;
    const entry = this.feeds.get(key);
    if (entry && this.fresh(entry, now)) return entry.value;
    if (entry) {
      const validators = await this.documents.getValidators(key);
      if (validators?.etag === entry.value.document.etag) {
        entry.checkedAt = now;
        return entry.value;
      }
    }
    return this.load(key);
  }

  /** What is held now (for tests and metrics). */
  stats(): FeedCacheStats {
    return { entries: this.feeds.size, bytes: this.feeds.weight, misses: this.misses.size };
  }

  private fresh(entry: Entry<unknown>, now: number): boolean {
    return now - entry.checkedAt < this.limits.maxAgeMs;
  }

  private load(key: string): Promise<ServedFeed | null> {
    // One database read per key however many requests arrive while it runs.
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const pending = this.documents
      .get(key)
      .then((document) => {
        const checkedAt = Date.now();
        if (!document) {
          this.feeds.delete(key);
          this.misses.set(key, { value: null, checkedAt });
          return null;
        }
        const feed = prepareFeed(document, this.cacheControl);
        this.misses.delete(key);
        // A feed bigger than the whole budget is served but not held.
        this.feeds.set(key, { value: feed, checkedAt });
        return feed;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, pending);
    return pending;
  }

  /** Forgets `keys` (all when omitted); the next request reads them again. */
  invalidate(keys?: readonly string[]): void {
    if (!keys) {
      this.feeds.clear();
      this.misses.clear();
      return;
    }
    for (const key of keys) {
      this.feeds.delete(key);
      this.misses.delete(key);
    }
  }
}
