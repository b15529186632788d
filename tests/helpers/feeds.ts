/**
 * Strict checks for rendered feeds: well-formed XML, then a real feed parser (feedsmith),
 * normalised to one small shape for RSS and Atom.
 */
import { parseAtomFeed, parseRssFeed } from 'feedsmith';
import { XMLValidator } from 'fast-xml-parser';

export function assertWellFormedXml(xml: string): void {
  const result = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (result !== true) throw new Error(`not well-formed XML: ${JSON.stringify(result.err)}`);
}

export interface ParsedItem {
  id: string | undefined;
  title: string | undefined;
  url: string | undefined;
  content: string | undefined;
  categories: string[];
}

/** Parses RSS or Atom with a real feed parser after checking well-formedness. */
export function readXmlFeed(xml: string): { items: ParsedItem[] } {
  assertWellFormedXml(xml);
  if (/<rss[\s>]/.test(xml)) {
    const feed = parseRssFeed(xml);
    return {
      items: (feed.items ?? []).map((item) => ({
        id: item.guid?.value,
        title: item.title,
        url: item.link,
        content: item.content?.encoded,
        categories: (item.categories ?? []).map((c) => c.name ?? ''),
      })),
    };
  }
  const feed = parseAtomFeed(xml);
  return {
    items: (feed.entries ?? []).map((entry) => ({
      id: entry.id,
      title: entry.title?.value ?? undefined,
      url: entry.links?.[0]?.href,
      content: entry.content?.value ?? undefined,
      categories: (entry.categories ?? []).map((c) => c.term ?? ''),
    })),
  };
}

export interface JsonFeed {
  version: string;
  title: string;
  feed_url: string;
  hubs?: Array<{ type: string; url: string }>;
  items: Array<{
    id: string;
    url: string;
    title: string;
    content_html?: string;
    summary?: string;
    tags?: string[];
    date_modified?: string;
  }>;
}

export function readJsonFeed(text: string): JsonFeed {
  const feed = JSON.parse(text) as JsonFeed;
  if (feed.version !== 'https://jsonfeed.org/version/1.1') throw new Error(`not JSON Feed 1.1: ${feed.version}`);
  return feed;
}
