/**
 * Item fragments kept between rebuilds: each article is rendered once per revision and format,
 * whichever feeds carry it, and a rebuild renders only what changed (feed-parts.ts).
 * Bounded (SPEC §7): least recently used fragments go first.
 */
import type { ArticleRecord } from '../../domain/article.js';
import type { FeedContext, FeedFormat, FeedItem } from './feed-model.js';
import { renderFragments, type FeedFragment } from './feed-parts.js';
import { fitItemContent } from './item-limits.js';
import { LruMap } from './lru-map.js';

/** How much a FragmentCache holds. */
export interface FragmentCacheLimits {
  /** Fragments held (three per article: one per format). @defaultValue 30000 */
  maxEntries: number;
  /**
   * UTF-8 bytes of fragments held (in memory up to twice that: V8 keeps non-Latin-1 text in
   * UTF-16). A site feed and 30 category feeds of 50 items of 4 KB need at most ~18 MiB. @defaultValue 32 MiB
   */
  maxBytes: number;
}

export const DEFAULT_FRAGMENT_CACHE_LIMITS: Readonly<FragmentCacheLimits> = Object.freeze({
  maxEntries: 30_000,
  maxBytes: 32 * 1024 * 1024,
});

/** Renders and keeps item fragments for one site (Atom entry ids depend on the site's host). */
export class FragmentCache {
  // One entry per article and format: a new revision replaces the old one's fragment.
  private readonly kept: LruMap<string, { revision: string; fragment: FeedFragment }>;
  /** Fragments rendered, i.e. cache misses (tests and benchmarks watch it). */
  renderCount = 0;

  constructor(limits: Partial<FragmentCacheLimits> = {}) {
    const { maxEntries, maxBytes } = { ...DEFAULT_FRAGMENT_CACHE_LIMITS, ...limits };
    this.kept = new LruMap({ maxEntries, maxWeight: maxBytes, weigh: (entry) => entry.fragment.bytes });
  }

  /**
   * The fragments of `records` in `format`, as a feed carries them: content over
   * `itemLimitBytes` cut (fitItemContent), updated at their latest change. Those not kept are
   * rendered together, in one document. `context` must be for this cache's site.
   */
  fragments(format: FeedFormat, records: readonly ArticleRecord[], itemLimitBytes: number, context: FeedContext): FeedFragment[] {
    const found: Array<FeedFragment | undefined> = [];
    const missing: number[] = [];
    for (const [index, record] of records.entries()) {
      const fragment = this.kept.get(cacheKey(format, itemLimitBytes, record));
      if (fragment?.revision === revisionOf(record)) found.push(fragment.fragment);
      else {
        found.push(undefined);
        missing.push(index);
      }
    }
    if (missing.length === 0) return found as FeedFragment[];
    const rendered = renderFragments(
      format,
      missing.map((index) => feedItem(records[index]!, itemLimitBytes)),
      context,
    );
    this.renderCount += rendered.length;
    for (const [position, index] of missing.entries()) {
      const record = records[index]!;
      found[index] = rendered[position]!;
      this.kept.set(cacheKey(format, itemLimitBytes, record), { revision: revisionOf(record), fragment: rendered[position]! });
    }
    return found as FeedFragment[];
  }

  /** Forgets every fragment. */
  clear(): void {
    this.kept.clear();
  }
}

function cacheKey(format: FeedFormat, itemLimitBytes: number, record: ArticleRecord): string {
  return `${format} ${itemLimitBytes} ${record.id}`;
}

// Every write of an article's content makes a new revision; the other fields guard against a
// record written by hand (tests, imports) with the same revision and new content.
function revisionOf(record: ArticleRecord): string {
  return `${record.revision} ${record.contentHash} ${record.publishedAt.getTime()} ${record.updatedAt.getTime()}`;
}

/** The article as a feed carries it. */
export function feedItem(record: ArticleRecord, itemLimitBytes: number): FeedItem {
  return { article: fitItemContent(record, itemLimitBytes), updatedAt: latestChange(record) };
}

/** When the article last changed: published, or updated after that. */
export function latestChange(record: ArticleRecord): Date {
  return record.updatedAt > record.publishedAt ? record.updatedAt : record.publishedAt;
}
