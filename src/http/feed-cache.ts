/**
 * Rendered feeds held in memory by each API process, so that serving a feed costs no database
 * round trip. Entries are dropped when the feeds worker announces a change (Redis pub/sub) and
 * revalidated against the database after `maxAgeMs` in case an announcement was missed.
 */
import type { FeedDocument, FeedDocumentStore } from '../store/feed-documents.js';

interface Entry {
  document: FeedDocument | null;
  checkedAt: number;
}

export class FeedCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<FeedDocument | null>>();

  constructor(
    private readonly documents: FeedDocumentStore,
    private readonly maxAgeMs = 5000,
  ) {}

  /** The stored document for `key`, or null when there is none. */
  async get(key: string): Promise<FeedDocument | null> {
    const entry = this.entries.get(key);
    const now = Date.now();
    if (entry && now - entry.checkedAt < this.maxAgeMs) return entry.document;
    if (entry?.document) {
      const validators = await this.documents.getValidators(key);
      if (validators?.etag === entry.document.etag) {
        entry.checkedAt = now;
        return entry.document;
      }
    }
    return this.load(key);
  }

  private load(key: string): Promise<FeedDocument | null> {
    // One database read per key however many requests arrive while it runs.
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const pending = this.documents
      .get(key)
      .then((document) => {
        this.entries.set(key, { document, checkedAt: Date.now() });
        return document;
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
