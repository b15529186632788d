/**
 * RSS 2.0, written by the `feed` package with our escaping (xml-slots.ts) and a few additions
 * it cannot make itself. Besides whole documents, it gives the parts a document is assembled
 * from (feed-parts.ts): the channel without items, and each `<item>` on its own.
 */
import { Feed, type Extension } from 'feed';
import { cleanLine } from '../../domain/text.js';
import { escapeHtml } from '../../domain/escape-html.js';
import { entryText, feedTitle, type EntryAuthor, type EntryImage } from './entry-fields.js';
import type { FeedContext, FeedItem, FeedSkeleton } from './feed-model.js';
import { cutItems, insertAfterElement, replaceRootStartTag, splitItems, XmlSlots } from './xml-slots.js';

// feed declares xmlns:content and xmlns:dc only when some item has content (feed#32), in an order
// that depends on it, and never xmlns:media; the root declares all we use, always, in one order,
// so the channel's markup does not depend on its items.
const ROOT_START_TAG =
  '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/"' +
  ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">';

/** Renders an RSS 2.0 document. */
export function renderRss(items: readonly FeedItem[], context: FeedContext): string {
  const { xml, slots } = writeRss(items, context);
  return slots.fill(xml);
}

/** The channel without items: the document is `open`, then each item's fragment, then `close`. */
export function rssSkeleton(context: FeedContext): FeedSkeleton {
  const { xml, slots } = writeRss([], context);
  const [open, , close] = cutItems(xml, 'item', '    </channel>');
  return { open: slots.fill(open), separator: '', close: slots.fill(close), empty: slots.fill(xml) };
}

/**
 * Each item's `<item>` element, indented and with its line end, exactly as a whole document
 * carries it; rendered in one document, which costs less than one document per item.
 */
export function rssItemFragments(items: readonly FeedItem[], context: FeedContext): string[] {
  const { xml, slots } = writeRss(items, context);
  return splitItems(cutItems(xml, 'item', '    </channel>')[1], 'item').map((item) => slots.fill(item));
}

/** The document with placeholders for every value, and the values to fill them with. */
function writeRss(items: readonly FeedItem[], context: FeedContext): { xml: string; slots: XmlSlots } {
  const slots = new XmlSlots();
  const self = slots.slot(context.selfUrls.rss);
  const feed = new Feed({
    title: slots.slot(feedTitle(context)),
    description: slots.slot(context.description),
    link: slots.slot(context.siteUrl),
    feedLinks: { rss: self },
    language: slots.optionalSlot(context.language),
    updated: context.updated,
    generator: slots.slot(context.generator),
    docs: 'https://www.rssboard.org/rss-specification',
  });
  if (context.category) feed.addCategory(slots.slot(cleanLine(context.category.name)));

  for (const { article, updatedAt } of items) {
    const text = entryText(article);
    feed.addItem({
      title: slots.slot(text.title),
      link: slots.slot(article.url),
      guid: slots.slot(article.id),
      date: updatedAt,
      published: article.publishedAt,
      // RSS readers treat description as HTML, so the plain-text summary is escaped as HTML.
      description: text.summary ? slots.slot(escapeHtml(text.summary)) : undefined,
      content: slots.optionalSlot(text.contentHtml),
      category: text.categories.map((name) => ({ name: slots.slot(name) })),
      extensions: itemExtensions(text.image, text.authors, updatedAt, slots),
    });
  }

  let xml = replaceRootStartTag(feed.rss2(), 'rss', ROOT_START_TAG);
  xml = insertAfterElement(xml, self, [
    // feed takes a single hub; WebSub allows several.
    ...context.hubs.map((hub) => `<atom:link href="${slots.slot(hub)}" rel="hub"/>`),
    `<atom:link href="${slots.slot(context.selfUrls.atom)}" rel="alternate" type="application/atom+xml"/>`,
    `<atom:link href="${slots.slot(context.selfUrls.json)}" rel="alternate" type="application/feed+json"/>`,
  ]);
  return { xml, slots };
}

/**
 * Item elements `feed` does not write correctly:
 * - `dc:creator` per author: feed writes `<author>` with a bare name when there is no email,
 *   which RSS forbids (jpmonette/feed#241, #130); dc:creator is what readers use instead.
 * - `media:content` for the image: feed's `<enclosure>` has `length="0"` and a type guessed
 *   from the file extension (`image/jpg`, or garbage for extension-less URLs), and the real length
 *   is unknown here; Media RSS needs neither and is what readers use for thumbnails.
 * - `atom:updated`: RSS has no element for the time an item last changed.
 */
function itemExtensions(image: EntryImage | null, authors: readonly EntryAuthor[], updatedAt: Date, slots: XmlSlots): Extension[] {
  const extensions: Extension[] = [];
  if (authors.length > 0) {
    extensions.push(
      repeated(
        'dc:creator',
        authors.map((author) => ({ _text: slots.slot(author.name) })),
      ),
    );
  }
  if (image !== null) {
    const media: Record<string, unknown> = { _attributes: { url: slots.slot(image.url), medium: 'image' } };
    if (image.alt) media['media:description'] = { _attributes: { type: 'plain' }, _text: slots.slot(image.alt) };
    if (image.credit) media['media:credit'] = { _text: slots.slot(image.credit) };
    extensions.push({ name: 'media:content', objects: media });
  }
  extensions.push({ name: 'atom:updated', objects: { _text: updatedAt.toISOString() } });
  return extensions;
}

/**
 * An extension written as several sibling elements. `feed` passes `objects` to xml-js as is, and
 * xml-js writes an array as repeated elements; feed's type (`Record<string, unknown>`) just
 * does not say so.
 */
function repeated(name: string, elements: Record<string, unknown>[]): Extension {
  return { name, objects: elements as unknown as Record<string, unknown> };
}
