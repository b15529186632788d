/**
 * Atom 1.0 (RFC 4287), written by the `feed` package with our escaping (xml-slots.ts) and a few
 * additions it cannot make itself. Besides whole documents, it gives the parts a document is
 * assembled from (feed-parts.ts): the feed without entries, and each `<entry>` on its own.
 */
import { Feed } from 'feed';
import { cleanLine } from '../../domain/text.js';
import { atomEntryId, atomFeedId, entryText, feedTitle, type EntryText } from './entry-fields.js';
import type { FeedContext, FeedItem, FeedSkeleton } from './feed-model.js';
import { addRootAttributes, cutItems, insertAfterElement, splitItems, XmlSlots } from './xml-slots.js';

/** Renders an Atom 1.0 document. */
export function renderAtom(items: readonly FeedItem[], context: FeedContext): string {
  const entries = items.map((item) => ({ item, text: entryText(item.article) }));
  // RFC 4287 §4.1.1: a feed needs an author unless every entry has one; the site is the author then.
  const siteAuthor = !entries.every(({ text }) => text.authors.length > 0);
  const { xml, slots } = writeAtom(entries, context, siteAuthor);
  return slots.fill(xml);
}

/**
 * The feed without entries: the document is `open`, then each entry's fragment, then `close`.
 * `siteAuthor` says whether the site is named as the feed's author, which it must be when some
 * entry names none (`namesAnAuthor`).
 */
export function atomSkeleton(context: FeedContext, siteAuthor: boolean): FeedSkeleton {
  const { xml, slots } = writeAtom([], context, siteAuthor);
  const [open, , close] = cutItems(xml, 'entry', '</feed>');
  return { open: slots.fill(open), separator: '', close: slots.fill(close), empty: slots.fill(xml) };
}

/**
 * Each item's `<entry>` element, indented and with its line end, exactly as a whole document
 * carries it; rendered in one document, which costs less than one document per item.
 */
export function atomEntryFragments(items: readonly FeedItem[], context: FeedContext): string[] {
  const entries = items.map((item) => ({ item, text: entryText(item.article) }));
  const { xml, slots } = writeAtom(entries, context, false);
  return splitItems(cutItems(xml, 'entry', '</feed>')[1], 'entry').map((entry) => slots.fill(entry));
}

/** The document with placeholders for every value, and the values to fill them with. */
function writeAtom(
  entries: ReadonlyArray<{ item: FeedItem; text: EntryText }>,
  context: FeedContext,
  siteAuthor: boolean,
): { xml: string; slots: XmlSlots } {
  const slots = new XmlSlots();
  const self = slots.slot(context.selfUrls.atom);
  const feed = new Feed({
    id: slots.slot(atomFeedId(context)),
    title: slots.slot(feedTitle(context)),
    description: slots.optionalSlot(context.description),
    link: slots.slot(context.siteUrl),
    feedLinks: { atom: self },
    updated: context.updated,
    generator: slots.slot(context.generator),
    author: siteAuthor ? { name: slots.slot(cleanLine(context.title)), link: slots.slot(context.siteUrl) } : undefined,
  });
  if (context.category) feed.addCategory(slots.slot(cleanLine(context.category.name)));

  const plainText: string[] = [];
  for (const { item, text } of entries) {
    const title = slots.slot(text.title);
    const summary = slots.optionalSlot(text.summary);
    plainText.push(title, ...(summary ? [summary] : []));
    feed.addItem({
      title,
      id: slots.slot(atomEntryId(item.article.id, context)),
      link: slots.slot(item.article.url),
      date: item.updatedAt,
      published: item.article.publishedAt,
      description: summary,
      content: slots.optionalSlot(text.contentHtml),
      author: text.authors.map((author) => ({
        name: slots.slot(author.name),
        email: slots.optionalSlot(author.email),
        link: slots.optionalSlot(author.url),
      })),
      category: text.categories.map((name) => ({ term: slots.slot(name) })),
    });
  }

  let xml = feed.atom1();
  // feed#192: entry titles and summaries are always type="html"; ours are plain text, and an
  // "html" title would make readers decode "&lt;" in it as "<" (or render "<b>" as bold).
  // One pass over the document (a replaceOnce per slot was quadratic: 9 s for 1,000 entries).
  const plain = new Set(plainText);
  let retyped = 0;
  xml = xml.replace(/type="html"><!\[CDATA\[(\uFFFF\d+\uFFFF)\]\]>/g, (match, slot: string) => {
    if (!plain.has(slot)) return match;
    retyped++;
    return `type="text">${slot}`;
  });
  if (retyped !== plain.size) throw new Error('feed rendering: an entry title or summary was not where expected');
  // feed#196: no xml:lang on the feed element.
  if (context.language) xml = addRootAttributes(xml, 'feed', { 'xml:lang': slots.slot(context.language) });
  xml = insertAfterElement(xml, self, [
    // feed takes a single hub; WebSub allows several.
    ...context.hubs.map((hub) => `<link rel="hub" href="${slots.slot(hub)}"/>`),
    `<link rel="alternate" type="application/rss+xml" href="${slots.slot(context.selfUrls.rss)}"/>`,
    `<link rel="alternate" type="application/feed+json" href="${slots.slot(context.selfUrls.json)}"/>`,
  ]);
  return { xml, slots };
}
