/**
 * What a feed is rendered from: the items and the feed-level context. Kept apart from the
 * renderers so that each format's module can import the types without importing `render.ts`.
 */
import type { Article, Category } from '../../domain/article.js';

/** The three syndication formats Syndicate serves (SPEC §3). */
export type FeedFormat = 'rss' | 'atom' | 'json';

/** One entry of a feed: the article and when it last changed (its "updated" time). */
export interface FeedItem {
  article: Article;
  updatedAt: Date;
}

/** Everything about a feed that is not an item. */
export interface FeedContext {
  /** The site's title (`SITE_TITLE`). */
  title: string;
  /** The site's description (`SITE_DESCRIPTION`). */
  description: string;
  /** A BCP 47 language tag (`SITE_LANGUAGE`), when configured. */
  language?: string;
  /** The site's home page: the channel link. Its host also scopes Atom entry ids. */
  siteUrl: string;
  /** Absolute URLs of this feed in each format: `rel="self"` for its own, `rel="alternate"` for the others. */
  selfUrls: Record<FeedFormat, string>;
  /** WebSub hubs (`WEBSUB_HUB`): one `rel="hub"` link each; none when empty. */
  hubs: string[];
  /** Set for a category feed: the title becomes "<site> – <category>". */
  category?: Category;
  /** The feed's updated time (Atom `updated`, RSS `lastBuildDate`). */
  updated: Date;
  /** Names the software that wrote the feed (RSS and Atom `generator`). */
  generator: string;
}

/**
 * A feed without its items, for assembling a document from item fragments (feed-parts.ts):
 * `empty` when there are none, else `open`, the fragments joined by `separator`, then `close`.
 */
export interface FeedSkeleton {
  open: string;
  separator: string;
  close: string;
  empty: string;
}
