import { parseFeed as parseWithFeedParser } from '@rowanmanning/feed-parser';
import fc from 'fast-check';
import { parseAtomFeed, parseRssFeed } from 'feedsmith';
import { describe, expect, it } from 'vitest';
import { parseArticle } from '../../../../src/domain/article.js';
import { cleanLine, cleanText } from '../../../../src/domain/text.js';
import { FEED_CONTENT_TYPES, renderFeed, type FeedContext, type FeedItem } from '../../../../src/channels/feeds/render.js';
import {
  expectWellFormedXml,
  hostileArticle,
  hostileContext,
  hostileText,
  makeContext,
  makeItem,
  PUBLISHED,
  UPDATED,
  webUrl,
} from './feed-test-kit.js';

function rss(items: FeedItem[], context: FeedContext = makeContext()) {
  const xml = renderFeed('rss', items, context);
  expectWellFormedXml(xml);
  return { xml, feed: parseRssFeed(xml) };
}

function atom(items: FeedItem[], context: FeedContext = makeContext()) {
  const xml = renderFeed('atom', items, context);
  expectWellFormedXml(xml);
  return { xml, feed: parseAtomFeed(xml) };
}

function json(items: FeedItem[], context: FeedContext = makeContext()) {
  return JSON.parse(renderFeed('json', items, context)) as {
    title: string;
    hubs?: { type: string; url: string }[];
    items: { id: string; title: string; date_modified: string }[];
  };
}

describe('FEED_CONTENT_TYPES', () => {
  it('names each format with its registered media type in UTF-8', () => {
    expect(FEED_CONTENT_TYPES).toEqual({
      rss: 'application/rss+xml; charset=utf-8',
      atom: 'application/atom+xml; charset=utf-8',
      json: 'application/feed+json; charset=utf-8',
    });
  });
});

describe('renderFeed rss', () => {
  it('carries the channel, self link, guid, full content, summary, authors, categories and times', () => {
    const { feed } = rss([makeItem()]);
    expect(feed.title).toBe('Harbour Times');
    expect(feed.link).toBe('https://news.example.com/');
    expect(feed.description).toBe('News from the harbour city');
    expect(feed.language).toBe('en-GB');
    expect(feed.generator).toBe('Syndicate');
    expect(feed.lastBuildDate).toBe('Mon, 02 Mar 2026 10:00:00 GMT');
    expect(feed.atom?.links).toContainEqual({ href: 'https://feeds.example.com/feed.xml', rel: 'self', type: 'application/rss+xml' });

    const item = feed.items?.[0];
    expect(item?.title).toBe('Harbour bridge reopens after repairs');
    expect(item?.link).toBe('https://news.example.com/city/harbour-bridge-reopens');
    expect(item?.guid).toEqual({ value: 'harbour-bridge-reopens', isPermaLink: false });
    expect(item?.content?.encoded).toBe('<p>The bridge carries traffic again from <strong>Monday</strong>.</p>');
    expect(item?.description).toBe('The bridge carries traffic again from Monday.');
    expect(item?.dc?.creators).toEqual(['Ana Lima', 'Kofi Mensah']);
    expect(item?.categories).toEqual([{ name: 'City' }, { name: 'Transport & Roads' }]);
    expect(item?.pubDate).toBe('Mon, 02 Mar 2026 08:00:00 GMT');
    expect(item?.atom?.updated).toBe('2026-03-02T09:30:00.000Z');
  });

  it('escapes the plain-text summary as HTML, because readers render description as HTML', () => {
    const { feed } = rss([makeItem({ summary: 'Use <b> & "quotes"' })]);
    expect(feed.items?.[0]?.description).toBe('Use &lt;b&gt; &amp; &quot;quotes&quot;');
  });

  it('gives the image as media:content and at the head of the content, without an enclosure', () => {
    const image = { url: 'https://img.example.com/bridge.jpg?w=1200&h=800', alt: 'The "new" bridge', credit: 'A & B Photos' };
    const { xml, feed } = rss([makeItem({ image })]);
    const item = feed.items?.[0];
    expect(item?.media?.contents).toEqual([
      {
        url: image.url,
        medium: 'image',
        description: { value: 'The "new" bridge', type: 'plain' },
        credits: [{ value: 'A & B Photos' }],
      },
    ]);
    expect(item?.content?.encoded).toBe(
      '<figure><img src="https://img.example.com/bridge.jpg?w=1200&amp;h=800" alt="The &quot;new&quot; bridge">' +
        '<figcaption>A &amp; B Photos</figcaption></figure>\n' +
        '<p>The bridge carries traffic again from <strong>Monday</strong>.</p>',
    );
    expect(xml).not.toContain('<enclosure');
  });

  it('does not repeat the image when the content already shows it', () => {
    const contentHtml = '<p><img src="https://img.example.com/a.jpg?x=1&amp;y=2" alt=""></p>';
    const { feed } = rss([makeItem({ contentHtml, image: { url: 'https://img.example.com/a.jpg?x=1&y=2' } })]);
    expect(feed.items?.[0]?.content?.encoded).toBe(contentHtml);
  });

  it('is read the same way by a second parser (@rowanmanning/feed-parser)', () => {
    const image = { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge' };
    const parsed = parseWithFeedParser(renderFeed('rss', [makeItem({ image })], makeContext()));
    expect(parsed.title).toBe('Harbour Times');
    expect(parsed.url).toBe('https://news.example.com/');
    expect(parsed.self).toBe('https://feeds.example.com/feed.xml');
    const item = parsed.items[0];
    expect(item?.id).toBe('harbour-bridge-reopens');
    expect(item?.title).toBe('Harbour bridge reopens after repairs');
    expect(item?.url).toBe('https://news.example.com/city/harbour-bridge-reopens');
    expect(item?.authors.map((author) => author.name)).toEqual(['Ana Lima', 'Kofi Mensah']);
    expect(item?.categories.map((category) => category.term)).toEqual(['City', 'Transport & Roads']);
    expect(item?.image?.url).toBe('https://img.example.com/bridge.jpg');
    expect(item?.published?.toISOString()).toBe(PUBLISHED.toISOString());
  });
});

describe('renderFeed atom', () => {
  it('carries the feed, self link, stable id, full content, summary, authors, categories and times', () => {
    const { feed } = atom([makeItem()]);
    expect(feed.title?.value).toBe('Harbour Times');
    expect(feed.subtitle?.value).toBe('News from the harbour city');
    expect(feed.xml?.lang).toBe('en-GB');
    expect(feed.updated).toBe('2026-03-02T10:00:00.000Z');
    expect(feed.id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(feed.links).toContainEqual({ href: 'https://news.example.com/', rel: 'alternate' });
    expect(feed.links).toContainEqual({ href: 'https://feeds.example.com/atom.xml', rel: 'self' });
    expect(feed.links).toContainEqual({ href: 'https://feeds.example.com/feed.xml', rel: 'alternate', type: 'application/rss+xml' });
    expect(feed.authors).toBeUndefined();

    const entry = feed.entries?.[0];
    expect(entry?.title).toEqual({ value: 'Harbour bridge reopens after repairs', type: 'text' });
    expect(entry?.id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(entry?.links).toEqual([{ href: 'https://news.example.com/city/harbour-bridge-reopens' }]);
    expect(entry?.content).toEqual({
      value: '<p>The bridge carries traffic again from <strong>Monday</strong>.</p>',
      type: 'html',
    });
    expect(entry?.summary).toEqual({ value: 'The bridge carries traffic again from Monday.', type: 'text' });
    expect(entry?.authors).toEqual([
      { name: 'Ana Lima', email: 'ana@example.com' },
      { name: 'Kofi Mensah', uri: 'https://news.example.com/kofi' },
    ]);
    expect(entry?.categories).toEqual([{ term: 'City' }, { term: 'Transport & Roads' }]);
    expect(entry?.published).toBe(PUBLISHED.toISOString());
    expect(entry?.updated).toBe(UPDATED.toISOString());
  });

  it('names the site as feed author when an entry has no author (RFC 4287 §4.1.1)', () => {
    const { feed } = atom([makeItem(), makeItem({ id: 'second', authors: [] })]);
    expect(feed.authors).toEqual([{ name: 'Harbour Times', uri: 'https://news.example.com/' }]);
  });

  it('keeps the entry id when the site changes scheme or path, and changes it with the host', () => {
    const id = (siteUrl: string) => atom([makeItem()], makeContext({ siteUrl })).feed.entries?.[0]?.id;
    expect(id('http://news.example.com/home')).toBe(id('https://news.example.com/'));
    expect(id('https://other.example.org/')).not.toBe(id('https://news.example.com/'));
  });

  it('is read the same way by a second parser (@rowanmanning/feed-parser)', () => {
    const parsed = parseWithFeedParser(renderFeed('atom', [makeItem()], makeContext()));
    expect(parsed.title).toBe('Harbour Times');
    expect(parsed.url).toBe('https://news.example.com/');
    expect(parsed.self).toBe('https://feeds.example.com/atom.xml');
    expect(parsed.language).toBe('en-GB');
    const item = parsed.items[0];
    expect(item?.title).toBe('Harbour bridge reopens after repairs');
    expect(item?.url).toBe('https://news.example.com/city/harbour-bridge-reopens');
    expect(item?.authors.map((author) => author.name)).toEqual(['Ana Lima', 'Kofi Mensah']);
    expect(item?.categories.map((category) => category.term)).toEqual(['City', 'Transport & Roads']);
    expect(item?.updated?.toISOString()).toBe(UPDATED.toISOString());
  });
});

describe('renderFeed with hostile text', () => {
  const title = 'Ends ]]> here, and ]]> again & &amp; <b>not bold</b>';
  const contentHtml = '<p>CDATA ends: ]]> and ]]> and <![CDATA[ opens</p>\r\n<p>x &amp; y</p>';

  it('keeps "]]>" in title and content exactly', () => {
    const item = makeItem({ title, contentHtml });
    expect(rss([item]).feed.items?.[0]?.title).toBe(title);
    expect(rss([item]).feed.items?.[0]?.content?.encoded).toBe(contentHtml);
    expect(atom([item]).feed.entries?.[0]?.title?.value).toBe(title);
    expect(atom([item]).feed.entries?.[0]?.content?.value).toBe(contentHtml);
  });

  it('keeps &, < and " in category names, as element text in RSS and as attributes in Atom', () => {
    const categories = [
      { name: 'Arts & Crafts', slug: 'arts-crafts' },
      { name: 'a < b', slug: 'a-b' },
      { name: 'The "Quoted" One', slug: 'the-quoted-one' },
      { name: '&amp; literally', slug: 'amp-literally' },
    ];
    const names = categories.map((category) => category.name);
    expect(rss([makeItem({ categories })]).feed.items?.[0]?.categories?.map((category) => category.name)).toEqual(names);
    expect(atom([makeItem({ categories })]).feed.entries?.[0]?.categories?.map((category) => category.term)).toEqual(names);
  });

  it('keeps special characters in the feed-level title, links and hubs', () => {
    const context = makeContext({
      title: 'News & <Views> "Daily"',
      siteUrl: 'https://news.example.com/?a=1&b=2',
      hubs: ['https://hub.example.com/?topic=a&b="c"'],
      category: { name: 'Q&A <live>', slug: 'q-a-live' },
    });
    const expectedTitle = 'News & <Views> "Daily" – Q&A <live>';
    const fromRss = rss([makeItem()], context).feed;
    expect(fromRss.title).toBe(expectedTitle);
    expect(fromRss.link).toBe('https://news.example.com/?a=1&b=2');
    expect(fromRss.atom?.links).toContainEqual({ href: 'https://hub.example.com/?topic=a&b="c"', rel: 'hub' });
    const fromAtom = atom([makeItem()], context).feed;
    expect(fromAtom.title?.value).toBe(expectedTitle);
    expect(fromAtom.links).toContainEqual({ href: 'https://hub.example.com/?topic=a&b="c"', rel: 'hub' });
  });

  it('drops control characters and replaces lone surrogates, so the XML stays valid', () => {
    const dirty = 'Bell\u0007 null\u0000 form\u000C feed\uFFFE lone\uD800 surrogate\uDFFF';
    const item = makeItem({ title: dirty, summary: dirty, contentHtml: `<p>${dirty}</p>`, authors: [{ name: dirty }] });
    const cleaned = cleanLine(dirty);
    expect(cleaned).toBe('Bell null form feed lone\uFFFD surrogate\uFFFD');
    expect(rss([item]).feed.items?.[0]?.title).toBe(cleaned);
    expect(rss([item]).feed.items?.[0]?.dc?.creators).toEqual([cleaned]);
    expect(atom([item]).feed.entries?.[0]?.title?.value).toBe(cleaned);
    expect(atom([item]).feed.entries?.[0]?.summary?.value).toBe(cleaned);
    expect(atom([item]).feed.entries?.[0]?.content?.value).toBe(`<p>${cleanText(dirty)}</p>`);
    expect(json([item]).items[0]?.title).toBe(cleaned);
  });
});

describe('renderFeed in every format', () => {
  it('renders a feed with zero items', () => {
    const fromRss = rss([]);
    expect(fromRss.feed.title).toBe('Harbour Times');
    expect(fromRss.feed.items ?? []).toEqual([]);
    expect(fromRss.xml).not.toContain('<item');
    const fromAtom = atom([]);
    expect(fromAtom.feed.title?.value).toBe('Harbour Times');
    expect(fromAtom.feed.entries ?? []).toEqual([]);
    expect(fromAtom.feed.authors).toBeUndefined();
    expect(json([]).items).toEqual([]);
  });

  it('advertises every WebSub hub with rel="hub" in all three formats', () => {
    const hubs = ['https://pubsubhubbub.appspot.com/', 'https://websub.example.net/hub'];
    const context = makeContext({ hubs });
    expect(
      rss([], context)
        .feed.atom?.links?.filter((link) => link.rel === 'hub')
        .map((link) => link.href),
    ).toEqual(hubs);
    expect(
      atom([], context)
        .feed.links?.filter((link) => link.rel === 'hub')
        .map((link) => link.href),
    ).toEqual(hubs);
    expect(json([], context).hubs).toEqual(hubs.map((url) => ({ type: 'WebSub', url })));
  });

  it('advertises no hub when none is configured', () => {
    expect(renderFeed('rss', [], makeContext())).not.toContain('rel="hub"');
    expect(renderFeed('atom', [], makeContext())).not.toContain('rel="hub"');
    expect(json([]).hubs).toBeUndefined();
  });

  it('titles a category feed "<site> – <category>"', () => {
    const context = makeContext({ category: { name: 'Transport & Roads', slug: 'transport-roads' } });
    expect(rss([], context).feed.title).toBe('Harbour Times – Transport & Roads');
    expect(atom([], context).feed.title?.value).toBe('Harbour Times – Transport & Roads');
    expect(json([], context).title).toBe('Harbour Times – Transport & Roads');
  });

  it('keeps guid and ids when the article text changes, and moves the updated time', () => {
    const before = makeItem();
    const after = makeItem(
      { title: 'Harbour bridge reopens (updated)', contentHtml: '<p>Corrected.</p>', summary: 'Corrected.' },
      new Date('2026-03-03T12:00:00.000Z'),
    );
    const rssGuid = (item: FeedItem) => rss([item]).feed.items?.[0]?.guid?.value;
    const atomEntry = (item: FeedItem) => atom([item]).feed.entries?.[0];
    expect(rssGuid(after)).toBe(rssGuid(before));
    expect(rssGuid(after)).toBe('harbour-bridge-reopens');
    expect(atomEntry(after)?.id).toBe(atomEntry(before)?.id);
    expect(atomEntry(after)?.updated).toBe('2026-03-03T12:00:00.000Z');
    expect(json([after]).items[0]?.id).toBe('harbour-bridge-reopens');
    expect(json([after]).items[0]?.date_modified).toBe('2026-03-03T12:00:00.000Z');
  });

  it('lists items in the order given', () => {
    const items = ['c-third', 'a-first', 'b-second'].map((id) => makeItem({ id, title: `Title ${id}` }));
    const expected = ['Title c-third', 'Title a-first', 'Title b-second'];
    expect(rss(items).feed.items?.map((item) => item.title)).toEqual(expected);
    expect(atom(items).feed.entries?.map((entry) => entry.title?.value)).toEqual(expected);
    expect(json(items).items.map((item) => item.title)).toEqual(expected);
  });
});

describe('renderFeed for any input', () => {
  it('stays well-formed, and every text field parses back to its cleaned input', () => {
    fc.assert(
      fc.property(fc.array(hostileArticle, { minLength: 1, maxLength: 3 }), hostileContext, (articles, context) => {
        const items = articles.map((article) => ({ article, updatedAt: UPDATED }));
        const fromRss = rss(items, context).feed;
        const fromAtom = atom(items, context).feed;
        const fromJson = json(items, context);
        const feedTitle = [context.title, context.category?.name ?? ''].map(cleanLine).filter(Boolean).join(' – ');
        expect(fromRss.title ?? '').toBe(feedTitle);
        expect(fromAtom.title?.value ?? '').toBe(feedTitle);
        expect(fromJson.title).toBe(feedTitle);

        articles.forEach((article, index) => {
          const title = cleanLine(article.title);
          const categories = article.categories.map((category) => cleanLine(category.name)).filter(Boolean);
          const authors = article.authors.map((author) => cleanLine(author.name)).filter(Boolean);
          const content = cleanText(article.contentHtml).trim();
          const rssItem = fromRss.items?.[index];
          const atomEntry = fromAtom.entries?.[index];

          expect(rssItem?.title ?? '').toBe(title);
          expect(rssItem?.link).toBe(article.url);
          expect(rssItem?.guid?.value).toBe(article.id);
          expect(rssItem?.categories?.map((category) => category.name) ?? []).toEqual(categories);
          expect(rssItem?.dc?.creators ?? []).toEqual(authors);
          expect(atomEntry?.title?.value ?? '').toBe(title);
          expect(atomEntry?.summary?.value ?? '').toBe(cleanLine(article.summary));
          expect(atomEntry?.links?.[0]?.href).toBe(article.url);
          expect(atomEntry?.categories?.map((category) => category.term) ?? []).toEqual(categories);
          expect(atomEntry?.authors?.map((author) => author.name) ?? []).toEqual(authors);
          expect(fromJson.items[index]?.title).toBe(title);
          if (article.image === null) {
            expect(rssItem?.content?.encoded ?? '').toBe(content);
            expect(atomEntry?.content?.value ?? '').toBe(content);
          } else {
            expect(rssItem?.media?.contents?.[0]?.url).toBe(article.image.url);
            expect(atomEntry?.content?.value?.endsWith(content)).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('stays well-formed for articles normalised by parseArticle', () => {
    const input = fc.record({
      url: webUrl,
      title: hostileText.map((text) => `${text}x`),
      summary: hostileText.map((text) => text.slice(0, 900)),
      contentHtml: hostileText,
      categories: fc.array(
        hostileText.map((text) => `${text.slice(0, 90)}c`),
        { maxLength: 3 },
      ),
      authors: fc.array(fc.record({ name: hostileText.map((text) => `${text.slice(0, 190)}n`) }), { maxLength: 2 }),
    });
    let rendered = 0;
    fc.assert(
      fc.property(input, (raw) => {
        const parsed = parseArticle(raw, { channelNames: [], now: PUBLISHED });
        if (!parsed.ok) return; // input the API refuses (e.g. a title over 500 characters) never reaches a feed
        rendered++;
        const item = { article: parsed.value.article, updatedAt: UPDATED };
        expect(rss([item]).feed.items?.[0]?.title).toBe(parsed.value.article.title);
        expect(atom([item]).feed.entries?.[0]?.title?.value).toBe(parsed.value.article.title);
        expect(json([item]).items[0]?.title).toBe(parsed.value.article.title);
      }),
      { numRuns: 200 },
    );
    expect(rendered).toBeGreaterThan(100);
  });
});
