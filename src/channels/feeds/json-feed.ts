/**
 * JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written by us: the `feed` package writes
 * version 1 (a single `author`, no `language`, no `hubs`; jpmonette/feed#246). Besides whole
 * documents, it gives the parts a document is assembled from (feed-parts.ts).
 */
import { cleanLine } from '../../domain/text.js';
import { entryText, feedTitle, type EntryAuthor } from './entry-fields.js';
import type { FeedContext, FeedItem, FeedSkeleton } from './feed-model.js';

export const JSON_FEED_VERSION = 'https://jsonfeed.org/version/1.1';

/** A JSON Feed 1.1 author. */
export interface JsonFeedAuthor {
  name: string;
  url?: string;
}

/** A JSON Feed 1.1 item, as this service writes it. */
export interface JsonFeedItem {
  /** The article id: never changes, even when the article is edited. */
  id: string;
  url: string;
  title: string;
  /** Always present (possibly empty): the spec requires `content_html` or `content_text`. */
  content_html: string;
  summary?: string;
  image?: string;
  date_published: string;
  date_modified: string;
  tags?: string[];
  authors?: JsonFeedAuthor[];
}

/** A JSON Feed 1.1 document, as this service writes it. */
export interface JsonFeed {
  version: typeof JSON_FEED_VERSION;
  title: string;
  home_page_url: string;
  feed_url: string;
  description?: string;
  language?: string;
  hubs?: { type: 'WebSub'; url: string }[];
  items: JsonFeedItem[];
}

/** Builds the JSON Feed 1.1 object for `items`. */
export function buildJsonFeed(items: readonly FeedItem[], context: FeedContext): JsonFeed {
  const description = cleanLine(context.description);
  const language = cleanLine(context.language ?? '');
  const hubs = context.hubs.map((hub) => ({ type: 'WebSub' as const, url: cleanLine(hub) }));
  return {
    version: JSON_FEED_VERSION,
    title: feedTitle(context),
    home_page_url: cleanLine(context.siteUrl),
    feed_url: cleanLine(context.selfUrls.json),
    ...(description ? { description } : {}),
    ...(language ? { language } : {}),
    ...(hubs.length > 0 ? { hubs } : {}),
    items: items.map(buildItem),
  };
}

function buildItem({ article, updatedAt }: FeedItem): JsonFeedItem {
  const text = entryText(article);
  return {
    id: article.id,
    url: cleanLine(article.url),
    title: text.title,
    content_html: text.contentHtml,
    ...(text.summary ? { summary: text.summary } : {}),
    ...(text.image ? { image: text.image.url } : {}),
    date_published: article.publishedAt.toISOString(),
    date_modified: updatedAt.toISOString(),
    ...(text.categories.length > 0 ? { tags: text.categories } : {}),
    ...(text.authors.length > 0 ? { authors: text.authors.map(jsonAuthor) } : {}),
  };
}

/** JSON Feed authors have no email field; the spec allows a `mailto:` URL instead. */
function jsonAuthor(author: EntryAuthor): JsonFeedAuthor {
  const url = author.url ?? (author.email ? `mailto:${author.email}` : undefined);
  return { name: author.name, ...(url ? { url } : {}) };
}

/** Renders a JSON Feed 1.1 document. */
export function renderJsonFeed(items: readonly FeedItem[], context: FeedContext): string {
  return `${JSON.stringify(buildJsonFeed(items, context), null, 2)}\n`;
}

// `items` is the last member, so a document ends with it; JSON.stringify writes an empty array
// as `[]` and puts each element of another on a line of its own, indented two levels.
const AFTER_EMPTY_ITEMS = ']\n}\n';
const ITEM_INDENT = '\n    ';

/** The document without items: `open`, the item fragments separated by commas, `close`. */
export function jsonFeedSkeleton(context: FeedContext): FeedSkeleton {
  const empty = renderJsonFeed([], context);
  if (!empty.endsWith(`"items": [${AFTER_EMPTY_ITEMS}`)) throw new Error('feed rendering: JSON Feed items not last');
  return { open: empty.slice(0, -AFTER_EMPTY_ITEMS.length), separator: ',', close: `\n  ${AFTER_EMPTY_ITEMS}`, empty };
}

/** One item as a whole document carries it: on a new line, indented (JSON strings hold no raw line ends). */
export function jsonFeedItemFragment(item: FeedItem): string {
  return ITEM_INDENT + JSON.stringify(buildItem(item), null, 2).replaceAll('\n', ITEM_INDENT);
}
