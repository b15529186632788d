/**
 * Feed rendering (SPEC §3): RSS 2.0, Atom 1.0 and JSON Feed 1.1 from the same items, pure.
 * Every feed carries rel="self", rel="hub" per hub, full content, summary, authors, categories,
 * the image, a guid/id that never changes, and published and updated times.
 */
import { renderAtom } from './atom.js';
import type { FeedContext, FeedFormat, FeedItem } from './feed-model.js';
import { renderJsonFeed } from './json-feed.js';
import { renderRss } from './rss.js';

export type { FeedContext, FeedFormat, FeedItem } from './feed-model.js';

/** The `Content-Type` each format is served with. */
export const FEED_CONTENT_TYPES: Readonly<Record<FeedFormat, string>> = Object.freeze({
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
});

const RENDERERS: Readonly<Record<FeedFormat, (items: readonly FeedItem[], context: FeedContext) => string>> = {
  rss: renderRss,
  atom: renderAtom,
  json: renderJsonFeed,
};

/**
 * Renders `items`, in the order given (newest first, as the caller chose), as one feed document.
 * Any text in the articles or the context gives a well-formed document.
 */
export function renderFeed(format: FeedFormat, items: readonly FeedItem[], context: FeedContext): string {
  return RENDERERS[format](items, context);
}
