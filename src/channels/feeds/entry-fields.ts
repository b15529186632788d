/**
 * Values every feed format shares, computed once so that RSS, Atom and JSON Feed say the same
 * thing: the feed title, each entry's cleaned text, its content HTML (with the image) and its
 * stable identifiers.
 */
import { createHash } from 'node:crypto';
import type { Article, Author } from '../../domain/article.js';
import { cleanLine, cleanText } from '../../domain/text.js';
import type { FeedContext } from './feed-model.js';
import { escapeHtml } from '../../domain/escape-html.js';

/** The feed's title: the site's, followed by the category's name on a category feed. */
export function feedTitle(context: FeedContext): string {
  const parts = [context.title, context.category?.name ?? ''].map(cleanLine);
  // No dangling dash when either part is empty (readers trim it to a bare "–").
  return parts.filter((part) => part !== '').join(' – ');
}

/** An author as every format renders it: one clean line per field, empty fields dropped. */
export interface EntryAuthor {
  name: string;
  email?: string;
  url?: string;
}

/** The article's text fields, cleaned the same way for every format. */
export interface EntryText {
  /** Single line, as the domain normalises titles; feed parsers trim it anyway. */
  title: string;
  /** Plain text, single line. */
  summary: string;
  /** HTML: the article's content, led by its image (see {@link entryContentHtml}). */
  contentHtml: string;
  /** Category names, clean and non-empty. */
  categories: string[];
  authors: EntryAuthor[];
  image: EntryImage | null;
}

/** The article's image, its fields cleaned to single lines (alt and credit empty when absent). */
export interface EntryImage {
  url: string;
  alt: string;
  credit: string;
}

/** Cleans an article's text for output: no XML-forbidden characters, single-line fields collapsed. */
export function entryText(article: Article): EntryText {
  return {
    title: cleanLine(article.title),
    summary: cleanLine(article.summary),
    contentHtml: entryContentHtml(article),
    categories: article.categories.map((category) => cleanLine(category.name)).filter((name) => name !== ''),
    authors: article.authors.map(cleanAuthor).filter((author) => author.name !== ''),
    image: entryImage(article),
  };
}

/** Whether the entry will name an author: as `entryText(article).authors.length > 0`, without cleaning the content. */
export function namesAnAuthor(article: Article): boolean {
  return article.authors.some((author) => cleanLine(author.name) !== '');
}

function entryImage(article: Article): EntryImage | null {
  if (article.image === null) return null;
  const url = cleanLine(article.image.url);
  if (!url) return null;
  return { url, alt: cleanLine(article.image.alt ?? ''), credit: cleanLine(article.image.credit ?? '') };
}

function cleanAuthor(author: Author): EntryAuthor {
  const email = author.email === undefined ? '' : cleanLine(author.email);
  const url = author.url === undefined ? '' : cleanLine(author.url);
  return { name: cleanLine(author.name), ...(email ? { email } : {}), ...(url ? { url } : {}) };
}

/**
 * The entry's HTML: the article's content, led by a `<figure>` with its image unless the
 * content already shows that image. Every reader displays content HTML, so this is the one
 * place the image is sure to be seen; an RSS `<enclosure>` would need the byte length, which
 * the renderer cannot know (see rss.ts for the `media:content` element readers use for thumbnails).
 */
export function entryContentHtml(article: Article): string {
  const content = cleanText(article.contentHtml).trim();
  const image = entryImage(article);
  if (image === null) return content;
  const src = escapeHtml(image.url);
  if (content.includes(`src="${src}"`)) return content;
  const caption = image.credit ? `<figcaption>${escapeHtml(image.credit)}</figcaption>` : '';
  const figure = `<figure><img src="${src}" alt="${escapeHtml(image.alt)}">${caption}</figure>`;
  return content ? `${figure}\n${content}` : figure;
}

// RFC 9562 §6.6: the namespace for names that are URLs.
const URL_NAMESPACE = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');

/** A name-based (version 5) UUID: the same name always gives the same UUID. */
function uuidFromName(name: string): string {
  const hash = createHash('sha1').update(URL_NAMESPACE).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function siteHost(context: FeedContext): string {
  return new URL(context.siteUrl).hostname;
}

/**
 * The Atom id of an article: `urn:uuid:` of a version-5 UUID named by the site's host and the
 * article id, so it never changes when the article is edited and differs between sites.
 * Not a `tag:` URI: that needs a date on which the newsroom owned the host, which we cannot know
 * and which could never change afterwards.
 */
export function atomEntryId(articleId: string, context: FeedContext): string {
  return `urn:uuid:${uuidFromName(`https://${siteHost(context)}/#article/${articleId}`)}`;
}

/** The Atom id of the feed itself, stable in the same way (one per site, one per category). */
export function atomFeedId(context: FeedContext): string {
  const scope = context.category ? `category/${context.category.slug}` : 'site';
  return `urn:uuid:${uuidFromName(`https://${siteHost(context)}/#feed/${scope}`)}`;
}
