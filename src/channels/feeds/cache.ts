/**
 * Rendered feeds held in memory by each API process, so that serving a feed costs no database
 * round trip. Entries are dropped when the feeds worker announces a change (Redis pub/sub) and
 * revalidated against the database after `maxAgeMs` in case an announcement was missed.
 */
import type { FeedDocumentStore } from '../../store/feed-documents.js';
import { prepareFeed, type ServedFeed } from './served-feed.js';

interface Entry {
  feed: ServedFeed | null;
  checkedAt: number;
}

export class FeedCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ServedFeed | null>>();

  /**
   * @param cacheControl the Cache-Control header feeds are served with
   * @param maxAgeMs how long an entry is trusted without asking the database. @defaultValue 5000
   */
  constructor(
    private readonly documents: FeedDocumentStore,
    private readonly cacheControl: string,
    private readonly maxAgeMs = 5000,
  ) {}

  /** The cached feed for `key` when it is fresh, without waiting; undefined when `get` must look. */
  peek(key: string): ServedFeed | null | undefined {
    const entry = this.entries.get(key);
    return entry && Date.now() - entry.checkedAt < this.maxAgeMs ? entry.feed : undefined;
  }

  /** The stored feed for `key`, ready to serve, or null when there is none. */
  async get(key: string): Promise<ServedFeed | null> {
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && now - entry.checkedAt < this.maxAgeMs) return entry.feed;
    if (entry?.feed) {
      const validators = await this.documents.getValidators(key);
      if (validators?.etag === entry.feed.document.etag) {
        entry.checkedAt = now;
        return entry.feed;
      }
    }
    return this.load(key);
  }

  private load(key: string): Promise<ServedFeed | null> {
    // One database read per key however many requests arrive while it runs.
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const pending = this.documents
      .get(key)
      .then((document) => {
        const feed = document ? prepareFeed(document, this.cacheControl) : null;
        this.entries.set(key, { feed, checkedAt: Date.now() });
        return feed;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, pending);
    return pending;
  }

  /** Forgets `keys` (all when omitted); the next request reads them again. */
  invalidate(keys?: readonly string[]): void {
    if (!keys) this.entries.clear();
    else for (const key of keys) this.entries.delete(key);
  }
}
