/**
 * Atom 1.0 (RFC 4287), written by the `feed` package with our escaping (xml-slots.ts) and a few
 * additions it cannot make itself.
 */
import { Feed } from 'feed';
import { cleanLine } from '../../domain/text.js';
import { atomEntryId, atomFeedId, entryText, feedTitle } from './entry-fields.js';
import type { FeedContext, FeedItem } from './feed-model.js';
import { addRootAttributes, insertAfterElement, XmlSlots } from './xml-slots.js';

/** Renders an Atom 1.0 document. */
export function renderAtom(items: readonly FeedItem[], context: FeedContext): string {
  const slots = new XmlSlots();
  const self = slots.slot(context.selfUrls.atom);
  const entries = items.map((item) => ({ item, text: entryText(item.article) }));
  const feed = new Feed({
    id: slots.slot(atomFeedId(context)),
    title: slots.slot(feedTitle(context)),
    description: slots.optionalSlot(context.description),
    link: slots.slot(context.siteUrl),
    feedLinks: { atom: self },
    updated: context.updated,
    generator: slots.slot(context.generator),
    // RFC 4287 §4.1.1: a feed needs an author unless every entry has one; the site is the author then.
    author: entries.every(({ text }) => text.authors.length > 0)
      ? undefined
      : { name: slots.slot(cleanLine(context.title)), link: slots.slot(context.siteUrl) },
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
  return slots.fill(xml);
}
