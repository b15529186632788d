import fc from 'fast-check';
import { parseJsonFeed } from 'feedsmith';
import { describe, expect, it } from 'vitest';
import { buildJsonFeed, JSON_FEED_VERSION, renderJsonFeed } from '../../../../src/channels/feeds/json-feed.js';
import { cleanLine, cleanText } from '../../../../src/domain/text.js';
import { hostileText, makeArticle, makeContext, makeItem, PUBLISHED, UPDATED } from './feed-test-kit.js';

/** Every key anywhere in a JSON value: to show no 1.0-only `author` slipped in. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)]);
  }
  return [];
}

describe('renderJsonFeed', () => {
  it('writes the JSON Feed 1.1 top level: version, links, hubs, language', () => {
    const context = makeContext({ hubs: ['https://hub.example.com/'] });
    const feed = JSON.parse(renderJsonFeed([], context)) as Record<string, unknown>;
    expect(feed).toEqual({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'Harbour Times',
      home_page_url: 'https://news.example.com/',
      feed_url: 'https://feeds.example.com/feed.json',
      description: 'News from the harbour city',
      language: 'en-GB',
      hubs: [{ type: 'WebSub', url: 'https://hub.example.com/' }],
      items: [],
    });
    expect(JSON_FEED_VERSION).toBe('https://jsonfeed.org/version/1.1');
  });

  it('writes each item with its stable id, content, summary, image, dates, tags and authors', () => {
    const image = { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge' };
    const feed = JSON.parse(renderJsonFeed([makeItem({ image })], makeContext())) as { items: unknown[] };
    expect(feed.items).toEqual([
      {
        id: 'harbour-bridge-reopens',
        url: 'https://news.example.com/city/harbour-bridge-reopens',
        title: 'Harbour bridge reopens after repairs',
        content_html:
          '<figure><img src="https://img.example.com/bridge.jpg" alt="The bridge"></figure>\n' +
          '<p>The bridge carries traffic again from <strong>Monday</strong>.</p>',
        summary: 'The bridge carries traffic again from Monday.',
        image: 'https://img.example.com/bridge.jpg',
        date_published: PUBLISHED.toISOString(),
        date_modified: UPDATED.toISOString(),
        tags: ['City', 'Transport & Roads'],
        authors: [
          { name: 'Ana Lima', url: 'mailto:ana@example.com' },
          { name: 'Kofi Mensah', url: 'https://news.example.com/kofi' },
        ],
      },
    ]);
  });

  it('uses 1.1 `authors`, never the deprecated 1.0 `author`', () => {
    const feed = JSON.parse(renderJsonFeed([makeItem()], makeContext())) as unknown;
    expect(keysOf(feed)).toContain('authors');
    expect(keysOf(feed)).not.toContain('author');
  });

  it('keeps content_html present when the article has no content, and leaves out empty optional fields', () => {
    const article = makeArticle({ summary: '', contentHtml: '', authors: [], categories: [] });
    const [item] = buildJsonFeed([{ article, updatedAt: UPDATED }], makeContext({ description: '', language: undefined })).items;
    expect(item).toEqual({
      id: 'harbour-bridge-reopens',
      url: 'https://news.example.com/city/harbour-bridge-reopens',
      title: 'Harbour bridge reopens after repairs',
      content_html: '',
      date_published: PUBLISHED.toISOString(),
      date_modified: UPDATED.toISOString(),
    });
    const top = buildJsonFeed([], makeContext({ description: '', language: undefined }));
    expect(Object.keys(top)).toEqual(['version', 'title', 'home_page_url', 'feed_url', 'items']);
  });

  it('is accepted by a JSON Feed parser (feedsmith)', () => {
    const parsed = parseJsonFeed(JSON.parse(renderJsonFeed([makeItem()], makeContext({ hubs: ['https://hub.example.com/'] }))));
    expect(parsed.title).toBe('Harbour Times');
    expect(parsed.hubs).toEqual([{ type: 'WebSub', url: 'https://hub.example.com/' }]);
    expect(parsed.items?.[0]?.id).toBe('harbour-bridge-reopens');
    expect(parsed.items?.[0]?.authors?.map((author) => author.name)).toEqual(['Ana Lima', 'Kofi Mensah']);
  });

  it('is valid JSON with cleaned text for any input', () => {
    fc.assert(
      fc.property(hostileText, hostileText, fc.array(hostileText, { maxLength: 3 }), hostileText, (title, content, names, author) => {
        const article = makeArticle({
          title,
          summary: title,
          contentHtml: content,
          categories: names.map((name) => ({ name, slug: 'slug' })),
          authors: [{ name: author }],
        });
        const feed = JSON.parse(renderJsonFeed([{ article, updatedAt: UPDATED }], makeContext({ title }))) as {
          title: string;
          items: { title: string; summary?: string; content_html: string; tags?: string[]; authors?: { name: string }[] }[];
        };
        const item = feed.items[0];
        expect(feed.title).toBe(cleanLine(title));
        expect(item?.title).toBe(cleanLine(title));
        expect(item?.summary ?? '').toBe(cleanLine(title));
        expect(item?.content_html).toBe(cleanText(content).trim());
        expect(item?.tags ?? []).toEqual(names.map(cleanLine).filter(Boolean));
        expect(item?.authors ?? []).toEqual(cleanLine(author) ? [{ name: cleanLine(author) }] : []);
      }),
      { numRuns: 300 },
    );
  });
});
