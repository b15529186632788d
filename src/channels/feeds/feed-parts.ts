/**
 * A feed document assembled from parts, pure: the feed without items (its skeleton) and each
 * item rendered alone (its fragment). An item's fragment does not depend on which feed carries
 * it, so it is rendered once per revision and format (fragment-cache.ts), and a rebuild costs
 * what changed. The parts concatenate to exactly the bytes `renderFeed` gives for the same items
 * (tests/unit/channels/feeds/feed-parts.test.ts checks it on random hostile articles).
 */
import { atomEntryFragments, atomSkeleton } from './atom.js';
import { namesAnAuthor } from './entry-fields.js';
import type { FeedContext, FeedFormat, FeedItem, FeedSkeleton } from './feed-model.js';
import { jsonFeedItemFragment, jsonFeedSkeleton } from './json-feed.js';
import { rssItemFragments, rssSkeleton } from './rss.js';

export type { FeedSkeleton };

/** One item rendered alone, as a whole document of its format carries it. */
export interface FeedFragment {
  text: string;
  /** UTF-8 bytes of `text`. */
  bytes: number;
  /** Whether the item names an author (an Atom feed without one names the site instead). */
  hasAuthor: boolean;
}

/**
 * Renders each item's fragment. A fragment depends on its item and, for Atom entry ids, on the
 * host of `context.siteUrl`, nothing else of the context (nor on the other items).
 */
export function renderFragments(format: FeedFormat, items: readonly FeedItem[], context: FeedContext): FeedFragment[] {
  const texts =
    format === 'rss'
      ? rssItemFragments(items, context)
      : format === 'atom'
        ? atomEntryFragments(items, context)
        : items.map(jsonFeedItemFragment);
  if (texts.length !== items.length) throw new Error(`feed rendering: ${texts.length} ${format} fragments for ${items.length} items`);
  return texts.map((text, index) => ({ text, bytes: Buffer.byteLength(text, 'utf8'), hasAuthor: namesAnAuthor(items[index]!.article) }));
}

/** Renders one item's fragment (see {@link renderFragments}). */
export function renderFragment(format: FeedFormat, item: FeedItem, context: FeedContext): FeedFragment {
  return renderFragments(format, [item], context)[0]!;
}

/** The skeleton for a document carrying `fragments` (Atom's feed-level author depends on them). */
export function renderSkeleton(format: FeedFormat, context: FeedContext, fragments: readonly FeedFragment[]): FeedSkeleton {
  if (format === 'rss') return rssSkeleton(context);
  if (format === 'json') return jsonFeedSkeleton(context);
  return atomSkeleton(
    context,
    fragments.some((fragment) => !fragment.hasAuthor),
  );
}

/** The document: the skeleton around the fragments, in the order given. */
export function assembleFeed(skeleton: FeedSkeleton, fragments: readonly FeedFragment[]): string {
  if (fragments.length === 0) return skeleton.empty;
  return skeleton.open + fragments.map((fragment) => fragment.text).join(skeleton.separator) + skeleton.close;
}

/** A document assembled within a byte limit, and how many items it carries. */
export interface FittedFeed {
  body: string;
  items: number;
}

/**
 * The document for the longest run of `fragments` (newest first) within `limitBytes`, counted
 * from the parts' byte lengths, nothing rendered twice. None always counts as fitting.
 */
export function assembleWithinLimit(
  format: FeedFormat,
  context: FeedContext,
  fragments: readonly FeedFragment[],
  limitBytes: number,
): FittedFeed {
  // Atom's skeleton gains the site as author once an entry without one is in.
  const skeletons = new Map<boolean, { skeleton: FeedSkeleton; fixedBytes: number; separatorBytes: number }>();
  const skeletonFor = (siteAuthor: boolean) => {
    let entry = skeletons.get(siteAuthor);
    if (entry === undefined) {
      const skeleton = format === 'atom' ? atomSkeleton(context, siteAuthor) : renderSkeleton(format, context, []);
      entry = {
        skeleton,
        fixedBytes: Buffer.byteLength(skeleton.open, 'utf8') + Buffer.byteLength(skeleton.close, 'utf8'),
        separatorBytes: Buffer.byteLength(skeleton.separator, 'utf8'),
      };
      skeletons.set(siteAuthor, entry);
    }
    return entry;
  };
  let items = 0;
  let itemBytes = 0;
  let authorless = false;
  for (const fragment of fragments) {
    const withAuthorless: boolean = authorless || !fragment.hasAuthor;
    const { fixedBytes, separatorBytes } = skeletonFor(format === 'atom' && withAuthorless);
    const bytes = itemBytes + fragment.bytes + (items > 0 ? separatorBytes : 0);
    if (fixedBytes + bytes > limitBytes) break;
    items++;
    itemBytes = bytes;
    authorless = withAuthorless;
  }
  const kept = fragments.slice(0, items);
  const body = items === 0 ? skeletonFor(false).skeleton.empty : assembleFeed(skeletonFor(format === 'atom' && authorless).skeleton, kept);
  return { body, items };
}
