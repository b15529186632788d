/**
 * Shared by the feed tests: article and context builders, arbitrary hostile text, and the
 * well-formedness checks every XML feed must pass.
 */
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';
import type { Article } from '../../../../src/domain/article.js';
import type { FeedContext, FeedItem } from '../../../../src/channels/feeds/render.js';
import { makeArticle as baseArticle } from '../../../helpers/articles.js';

export const PUBLISHED = new Date('2026-03-02T08:00:00.000Z');
export const UPDATED = new Date('2026-03-02T09:30:00.000Z');

export function makeArticle(overrides: Partial<Article> = {}): Article {
  return baseArticle({
    contentHtml: '<p>The bridge carries traffic again from <strong>Monday</strong>.</p>',
    authors: [
      { name: 'Ana Lima', email: 'ana@example.com' },
      { name: 'Kofi Mensah', url: 'https://news.example.com/kofi' },
    ],
    categories: [
      { name: 'City', slug: 'city' },
      { name: 'Transport & Roads', slug: 'transport-roads' },
    ],
    publishedAt: PUBLISHED,
    ...overrides,
  });
}

export function makeItem(overrides: Partial<Article> = {}, updatedAt: Date = UPDATED): FeedItem {
  return { article: makeArticle(overrides), updatedAt };
}

export function makeContext(overrides: Partial<FeedContext> = {}): FeedContext {
  return {
    title: 'Harbour Times',
    description: 'News from the harbour city',
    language: 'en-GB',
    siteUrl: 'https://news.example.com/',
    selfUrls: {
      rss: 'https://feeds.example.com/feed.xml',
      atom: 'https://feeds.example.com/atom.xml',
      json: 'https://feeds.example.com/feed.json',
    },
    hubs: [],
    updated: new Date('2026-03-02T10:00:00.000Z'),
    generator: 'Syndicate',
    ...overrides,
  };
}

/** Fragments that have broken feed generators: CDATA ends, markup, controls, bidi, ZWJ emoji. */
const HOSTILE_FRAGMENTS = [
  ']]>',
  '<![CDATA[',
  ']]]]><![CDATA[>',
  '&',
  '&amp;',
  '&lt;',
  '&#0;',
  '&nbsp;',
  '<',
  '>',
  '"',
  "'",
  '<script>alert(1)</script>',
  '</title>',
  '<b>',
  '\u0000',
  '\u0001',
  '\u0008',
  '\u000B',
  '\u001F',
  '\u007F',
  '\u0085',
  '\uFFFE',
  '\uFFFF',
  '\uD800',
  '\uDFFF',
  '\r',
  '\r\n',
  '\n',
  '\t',
  ' ',
  '\u00A0',
  '\u2028',
  '\u202E',
  'مرحبا بالعالم',
  'שלום',
  '日本語のテキスト',
  '한국어',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '👍🏽',
  'e\u0301',
  'plain words',
];

/** Arbitrary text: any UTF-16 (lone surrogates included), any graphemes, or hostile fragments. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.array(fc.constantFrom(...HOSTILE_FRAGMENTS), { maxLength: 12 }).map((parts) => parts.join('')),
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE_FRAGMENTS), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 8 })
    .map((parts) => parts.join('')),
);

/** An absolute URL normalised the way the domain stores it. */
export const webUrl: fc.Arbitrary<string> = fc.webUrl({ withQueryParameters: true, withFragments: true }).map((url) => new URL(url).href);

/** Articles whose every text field is hostile. */
export const hostileArticle: fc.Arbitrary<Article> = fc
  .record({
    id: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
    url: webUrl,
    title: hostileText,
    summary: hostileText,
    contentHtml: hostileText,
    authors: fc.array(
      fc.record(
        { name: hostileText, email: fc.option(fc.emailAddress(), { nil: undefined }), url: fc.option(webUrl, { nil: undefined }) },
        { requiredKeys: ['name'] },
      ),
      { maxLength: 3 },
    ),
    categories: fc.array(
      hostileText.map((name) => ({ name, slug: 'slug' })),
      { maxLength: 4 },
    ),
    image: fc.option(fc.record({ url: webUrl, alt: hostileText, credit: hostileText }), { nil: null }),
  })
  .map((fields) => makeArticle(fields));

/** Feed contexts with hostile titles, descriptions and category names, some hubs. */
export const hostileContext: fc.Arbitrary<FeedContext> = fc
  .record({
    title: hostileText,
    description: hostileText,
    hubs: fc.array(webUrl, { maxLength: 2 }),
    category: fc.option(
      hostileText.map((name) => ({ name, slug: 'slug' })),
      { nil: undefined },
    ),
  })
  .map((fields) => makeContext(fields));

// XML 1.0 §2.2 Char.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * Asserts that `xml` is a well-formed XML 1.0 document: strict syntax (fast-xml-parser), only
 * XML characters, and every namespace prefix used in a tag declared on the root element.
 */
export function expectWellFormedXml(xml: string): void {
  const result = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (result !== true) throw new Error(`not well-formed: ${JSON.stringify(result.err)}\n${xml}`);
  expect(NOT_XML_CHAR.test(xml), 'only XML 1.0 characters').toBe(false);

  const markup = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const tags = markup.match(/<[^!?][^>]*>/g) ?? [];
  const root = tags[0] ?? '';
  const prefixes = new Set<string>();
  for (const tag of tags) {
    const names = tag.replace(/"[^"]*"/g, '""').match(/[<\s/]([A-Za-z_][\w.-]*):[\w.-]+/g) ?? [];
    for (const name of names) prefixes.add(name.slice(1, name.indexOf(':')));
  }
  for (const prefix of prefixes) {
    if (prefix === 'xmlns' || prefix === 'xml') continue;
    expect(root, `prefix ${prefix} declared on the root element`).toContain(`xmlns:${prefix}="`);
  }
}
