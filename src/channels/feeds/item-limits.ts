/**
 * Byte limits on what a feed carries (SPEC §7: "feed and email size"), pure. An item's content
 * over FEED_ITEM_CONTENT_LIMIT becomes its summary and a link to the article; a feed over
 * FEED_BYTE_LIMIT loses its oldest items (see FeedBuilder). Readers and hubs refuse or truncate
 * huge feeds, and every byte is rendered, compressed, stored and held in each API process.
 */
import type { Article } from '../../domain/article.js';
import { escapeHtml } from '../../domain/escape-html.js';

/** Content HTML (UTF-8 bytes) an item may carry in full. @defaultValue 128 KiB */
export const FEED_ITEM_CONTENT_LIMIT = 128 * 1024;

/**
 * Bytes of one rendered feed document (uncompressed), per format. Compressing one this big
 * takes tens of milliseconds (in libuv's pool), which bounds what a rebuild costs.
 * @defaultValue 2 MiB
 */
export const FEED_BYTE_LIMIT = 2 * 1024 * 1024;

/** The words of the link that replaces content cut for size. */
export const FULL_ARTICLE_LINK_TEXT = 'Read the full article';

/**
 * The article as a feed carries it: unchanged when its content is within `limit` bytes,
 * otherwise with the content replaced by its summary and a link to the article (the image,
 * which the renderers add, stays).
 */
export function fitItemContent(article: Article, limit = FEED_ITEM_CONTENT_LIMIT): Article {
  if (Buffer.byteLength(article.contentHtml, 'utf8') <= limit) return article;
  const summary = article.summary.trim() ? `<p>${escapeHtml(article.summary)}</p>\n` : '';
  const link = `<p><a href="${escapeHtml(article.url)}">${FULL_ARTICLE_LINK_TEXT}</a></p>`;
  return { ...article, contentHtml: `${summary}${link}` };
}
