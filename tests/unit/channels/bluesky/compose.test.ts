/**
 * composeBlueskyPost against the lexicon's limits, measured independently (Intl.Segmenter,
 * Buffer): examples for the rules, and properties over any title, tags and URL. Nothing is faked.
 */
import { RichText } from '@atproto/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  composeBlueskyPost,
  DEFAULT_BLUESKY_TEMPLATE,
  isBlueskyHashtag,
  type BlueskyComposeOptions,
  type BlueskyPost,
} from '../../../../src/channels/bluesky/compose.js';
import { hashtagsFromTags } from '../../../../src/domain/hashtags.js';
import type { Article } from '../../../../src/domain/article.js';
import { cleanLine } from '../../../../src/domain/text.js';
import { makeArticle } from '../../../helpers/articles.js';

const URL = 'https://news.example.com/city/harbour-bridge-reopens';
const DEFAULT: BlueskyComposeOptions = { template: DEFAULT_BLUESKY_TEMPLATE };
const segmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });
const graphemes = (text: string) => [...segmenter.segment(text)].length;
const marked = (post: BlueskyPost, index: number) => {
  const { byteStart, byteEnd } = post.facets[index]!.index;
  return Buffer.from(post.text, 'utf8').subarray(byteStart, byteEnd).toString('utf8');
};

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({ url: URL, tags: ['bridge', 'city hall'], ...overrides });
}

function post(composed: ReturnType<typeof composeBlueskyPost>): BlueskyPost {
  if ('skip' in composed) throw new Error(`skipped: ${composed.skip}`);
  return composed.post;
}

describe('composeBlueskyPost', () => {
  it('writes the title, the link and the hashtags, each link and hashtag with its facet', () => {
    expect(post(composeBlueskyPost(article(), DEFAULT))).toEqual({
      text: `Harbour bridge reopens after repairs ${URL} #bridge #CityHall`,
      graphemes: 36 + 1 + 52 + 1 + 7 + 1 + 9,
      facets: [
        { index: { byteStart: 37, byteEnd: 89 }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: URL }] },
        { index: { byteStart: 90, byteEnd: 97 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'bridge' }] },
        { index: { byteStart: 98, byteEnd: 107 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'CityHall' }] },
      ],
      embed: {
        uri: URL,
        title: 'Harbour bridge reopens after repairs',
        description: 'The bridge carries traffic again from Monday.',
        thumb: null,
      },
    });
  });

  it('counts facet offsets in UTF-8 bytes after emoji, CJK, RTL text and combining marks', () => {
    const title = '👩‍👩‍👧‍👦 港珠澳大桥 مرحبا q\u0301';
    const composed = post(composeBlueskyPost(article({ title, tags: ['日本', 'עברית'] }), DEFAULT));
    expect(composed.text).toBe(`${title} ${URL} #日本 #עברית`);
    expect(composed.facets.map((_, index) => marked(composed, index))).toEqual([URL, '#日本', '#עברית']);
    expect(composed.facets[0]!.index.byteStart).toBe(Buffer.byteLength(`${title} `));
    expect(composed.graphemes).toBe(graphemes(composed.text));
  });

  it("uses the article's override as the title part and still adds the link", () => {
    const composed = post(composeBlueskyPost(article({ channels: { bluesky: { text: '  Read this 👉\nnow ' } } }), DEFAULT));
    expect(composed.text).toBe(`Read this 👉 now ${URL} #bridge #CityHall`);
    expect(composed.embed.title).toBe('Harbour bridge reopens after repairs');
  });

  it('skips the article when channels.bluesky is false', () => {
    expect(composeBlueskyPost(article({ channels: { bluesky: false } }), DEFAULT)).toEqual({ skip: 'skipped by the article' });
  });

  it('adds the link when the template leaves it out, and drops lines of empty placeholders', () => {
    expect(post(composeBlueskyPost(article(), { template: '{title} {hashtags}' })).text).toBe(
      `Harbour bridge reopens after repairs #bridge #CityHall ${URL}`,
    );
    const options = { template: '{title}\n\n{summary}\n{url}\n{hashtags}' };
    expect(post(composeBlueskyPost(article({ summary: '', tags: [] }), options)).text).toBe(
      `Harbour bridge reopens after repairs\n\n${URL}`,
    );
  });

  it('makes hashtags Bluesky reads as such: not only digits, at most 64 graphemes', () => {
    const long = 'a'.repeat(65);
    const composed = post(composeBlueskyPost(article({ tags: ['2024', 'COP 29', 'x'.repeat(64), long, '___', 'नमस्ते'] }), DEFAULT));
    expect(composed.facets.slice(1).map((facet) => (facet.features[0] as { tag: string }).tag)).toEqual(['COP29', 'x'.repeat(64), 'नमस्ते']);
    expect(isBlueskyHashtag('#2024')).toBe(false);
    expect(isBlueskyHashtag(`#${long}`)).toBe(false);
  });

  it('drops hashtags from the end, one at a time, before touching the title', () => {
    const title = 'A'.repeat(200);
    const tags = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh'];
    const composed = post(composeBlueskyPost(article({ title, tags }), DEFAULT));
    // 200 + 1 + 52 = 253; " #first" … " #sixth" add 44 (297); " #seventh" would add 9 more.
    expect(composed.text).toBe(`${title} ${URL} #first #second #third #fourth #fifth #sixth`);
    expect(composed.graphemes).toBe(297);
  });

  it('cuts the title at a word with an ellipsis once every hashtag is gone', () => {
    const title = Array.from({ length: 80 }, (_, index) => `word${index}`).join(' ');
    const composed = post(composeBlueskyPost(article({ title }), DEFAULT));
    expect(composed.text).toMatch(/^word0 word1 .* word\d+… https:\/\/news\.example\.com\/city\/harbour-bridge-reopens$/u);
    expect(composed.graphemes).toBeLessThanOrEqual(300);
    expect(composed.graphemes).toBeGreaterThan(290);
    expect(composed.facets).toHaveLength(1);
  });

  it('counts a flag as one grapheme, not 4 code units, and a family emoji as its 25 bytes', () => {
    const flags = post(composeBlueskyPost(article({ title: Array.from({ length: 150 }, () => '🇫🇷').join(' '), tags: [] }), DEFAULT));
    expect(flags.text.length).toBeGreaterThan(600);
    expect(flags.graphemes).toBeLessThanOrEqual(300);
    expect(flags.graphemes).toBeGreaterThan(295);
    // 120 families are 120 graphemes but 3,119 bytes: the byte limit cuts first.
    const families = post(composeBlueskyPost(article({ title: Array.from({ length: 120 }, () => '👩‍👩‍👧‍👦').join(' '), tags: [] }), DEFAULT));
    expect(families.graphemes).toBeLessThan(300);
    expect(Buffer.byteLength(families.text)).toBeLessThanOrEqual(3000);
    expect(Buffer.byteLength(families.text)).toBeGreaterThan(2970);
  });

  it('keeps within 3000 bytes when graphemes are long: 250 graphemes of 21 bytes are cut', () => {
    const heavy = 'q' + '\u0301\u0308\u0323\u0330\u0331\u0332\u0333\u0334\u0335\u0336'; // 1 grapheme, 21 bytes
    const title = Array.from({ length: 125 }, () => heavy + heavy).join(' ');
    const composed = post(composeBlueskyPost(article({ title, tags: [] }), DEFAULT));
    expect(composed.graphemes).toBeLessThan(300);
    expect(Buffer.byteLength(composed.text)).toBeLessThanOrEqual(3000);
    expect(Buffer.byteLength(composed.text)).toBeGreaterThan(2900);
    expect(composed.text).toMatch(/… https:/u);
  });

  it('cuts a single word longer than the post between graphemes rather than dropping the title', () => {
    const composed = post(composeBlueskyPost(article({ title: '👍🏽'.repeat(400), tags: [] }), DEFAULT));
    expect(composed.text).toMatch(/^(👍🏽)+… https:/u);
    expect(composed.graphemes).toBe(300);
  });

  it('shows a link longer than a post shortened, its facet still pointing at the whole URL', () => {
    const url = `https://news.example.com/${'very-long-slug-'.repeat(30)}`;
    const composed = post(composeBlueskyPost(article({ url, tags: [] }), DEFAULT));
    // 59 characters of the URL without its scheme, and an ellipsis: 60 graphemes.
    expect(marked(composed, 0)).toBe(`news.example.com/very-long-slug-very-long-slug-very-long-sl…`);
    expect(composed.facets[0]!.features[0]).toEqual({ $type: 'app.bsky.richtext.facet#link', uri: url });
    expect(composed.text.startsWith('Harbour bridge reopens after repairs news.example.com/')).toBe(true);
  });

  it('writes internationalised URLs as the ASCII URL the card and the facet point at', () => {
    const composed = post(composeBlueskyPost(article({ url: 'https://bücher.example/straße/日本?q=ü#teil' }), DEFAULT));
    const href = 'https://xn--bcher-kva.example/stra%C3%9Fe/%E6%97%A5%E6%9C%AC?q=%C3%BC#teil';
    expect(composed.embed.uri).toBe(href);
    expect(marked(composed, 0)).toBe(href);
  });

  it('carries the card: title, summary, the image as thumb, and only valid languages', () => {
    const composed = post(
      composeBlueskyPost(article({ image: { url: 'https://img.example.com/b.jpg', alt: 'The bridge' } }), {
        template: DEFAULT_BLUESKY_TEMPLATE,
        langs: ['en', 'not a language', 'pt-BR', 'de', 'fr'],
      }),
    );
    expect(composed.embed.thumb).toEqual({ url: 'https://img.example.com/b.jpg', alt: 'The bridge' });
    expect(composed.langs).toEqual(['en', 'pt-BR', 'de']);
  });

  it('skips an article whose URL cannot be parsed', () => {
    expect(composeBlueskyPost(article({ url: 'not a url' }), DEFAULT)).toEqual({ skip: 'the article URL is not a URL' });
  });
});

// ---- properties ---------------------------------------------------------------------------

const fromCodePoints = (min: number, max: number) => fc.integer({ min, max }).map((code) => String.fromCodePoint(code));
const words = (unit: fc.Arbitrary<string>) =>
  fc.array(fc.string({ unit, minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 90 }).map((list) => list.join(' '));
const emojiSequence = fc.constantFrom('👩‍👩‍👧‍👦', '🏳️‍🌈', '👨🏽‍💻', '🧑‍🤝‍🧑', '❤️‍🔥', '🇫🇷', '🇯🇵', '1️⃣', '🙂', 'é', 'news');

const anyTitle = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }),
  fc
    .array(fc.tuple(emojiSequence, fc.boolean()), { minLength: 1, maxLength: 350 })
    .map((parts) => parts.map(([e, space]) => (space ? `${e} ` : e)).join('')),
  words(fromCodePoints(0x4e00, 0x9fff)), // CJK
  words(fc.oneof(fromCodePoints(0x05d0, 0x05ea), fromCodePoints(0x0620, 0x064a))), // Hebrew, Arabic
  words(fc.constantFrom('q\u0301', 'x\u0308\u0323', 'क्षि', 'a', 'e\u0301\u0302\u0303\u0304\u0305\u0306')), // combining marks
  { weight: 4, arbitrary: fc.array(fc.stringMatching(/^[A-Za-z]{1,9}$/), { minLength: 20, maxLength: 50 }).map((list) => list.join(' ')) },
  fc.string({ unit: 'grapheme', minLength: 1800, maxLength: 2000 }),
);
const anyTags = fc.oneof(
  fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.stringMatching(/^[a-z][a-z ]{0,14}$/)), { maxLength: 40 }),
  { weight: 3, arbitrary: fc.array(fc.stringMatching(/^[a-z]{2,10}$/), { minLength: 3, maxLength: 40 }) },
);
const unicodeHost = fc.constantFrom('bücher.example', '例え.jp', 'пример.рф', 'news.example.com', 'مثال.إختبار');
const unicodePath = fc.array(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), emojiSequence), { maxLength: 6 });
const anyUrl = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(unicodeHost, unicodePath).map(([host, path]) => `https://${host}/${path.map(encodeURIComponent).join('/')}`),
  fc.tuple(unicodeHost, unicodePath).map(([host, path]) => `https://${host}/${path.join('/').replace(/[?#\\]/g, '')}`),
  fc.integer({ min: 250, max: 400 }).map((length) => `https://news.example.com/${'a'.repeat(length)}`),
);
const anyTemplate = fc.constantFrom(
  DEFAULT_BLUESKY_TEMPLATE,
  '{title}\n\n{summary}\n{url}\n{hashtags}',
  '{hashtags} {title}',
  '{url} {title} {hashtags}',
);

const RUNS = { numRuns: 300 };

function articleFor(title: string, tags: string[], url: string): Article {
  return article({ title, tags, url: new globalThis.URL(url).href, summary: 'Traffic flows again. '.repeat(5) });
}

describe('composeBlueskyPost, for any title, tags, URL and template', () => {
  it('stays within 300 graphemes and 3000 bytes, and every facet marks exactly its link or hashtag', () => {
    fc.assert(
      fc.property(anyTitle, anyTags, anyUrl, anyTemplate, (title, tags, url, template) => {
        const input = articleFor(title, tags, url);
        const composed = post(composeBlueskyPost(input, { template }));
        expect(composed.graphemes).toBe(graphemes(composed.text));
        expect(composed.graphemes).toBeLessThanOrEqual(300);
        expect(Buffer.byteLength(composed.text)).toBeLessThanOrEqual(3000);
        expect(composed.text).toBe(composed.text.toWellFormed());

        const links = composed.facets.filter((facet) => facet.features[0]!.$type === 'app.bsky.richtext.facet#link');
        expect(links.length).toBeGreaterThanOrEqual(1);
        let end = 0;
        composed.facets.forEach((facet, index) => {
          expect(facet.index.byteStart).toBeGreaterThanOrEqual(end);
          end = facet.index.byteEnd;
          const feature = facet.features[0]!;
          if (feature.$type === 'app.bsky.richtext.facet#tag') expect(marked(composed, index)).toBe(`#${feature.tag}`);
          else {
            expect(feature.uri).toBe(input.url); // the link is never cut
            const shown = marked(composed, index);
            if (input.url.length <= 300) expect(shown).toBe(input.url);
            else expect(input.url.replace(/^https?:\/\//, '').startsWith(shown.slice(0, -1)) && shown.endsWith('…')).toBe(true);
          }
        });
        // Bluesky's own RichText underlines the same text.
        const segments = [...new RichText({ text: composed.text, facets: composed.facets }).segments()].filter((s) => s.facet);
        expect(segments.map((segment) => segment.text)).toEqual(composed.facets.map((_, index) => marked(composed, index)));
        // Deterministic.
        expect(composeBlueskyPost(input, { template })).toEqual({ post: composed });
      }),
      RUNS,
    );
  });

  it('drops hashtags before it cuts the title, and cuts only at a grapheme boundary', () => {
    const template = '{title}\n{url}\n{hashtags}';
    fc.assert(
      fc.property(anyTitle, anyTags, anyUrl, (title, tags, url) => {
        const input = articleFor(title, tags, url);
        const full = cleanLine(title);
        fc.pre(full !== '' && input.url.length <= 300);
        const { text } = post(composeBlueskyPost(input, { template }));
        const lines = text.split('\n');
        const titleLine = lines[0] === input.url ? '' : lines.shift()!;
        expect(lines.shift()).toBe(input.url);
        const hashtagLine = lines.shift() ?? '';
        expect(lines).toEqual([]);

        const fits = (candidate: string) => graphemes(candidate) <= 300 && Buffer.byteLength(candidate) <= 3000;
        const expected = hashtagsFromTags(tags, isBlueskyHashtag);
        const kept = hashtagLine === '' ? 0 : hashtagLine.split(' ').length;
        expect(hashtagLine).toBe(expected.slice(0, kept).join(' '));
        const withTags = (titlePart: string, count: number) =>
          [titlePart, input.url, expected.slice(0, count).join(' ')].filter((line) => line !== '').join('\n');
        // Nothing was dropped that would have fitted.
        if (kept < expected.length) expect(fits(withTags(full, kept + 1))).toBe(false);
        if (titleLine === full) return;
        expect(kept).toBe(0);
        expect(fits(withTags(full, 0))).toBe(false);
        if (titleLine === '') return;
        expect(titleLine.endsWith('…')).toBe(true);
        const prefix = titleLine.slice(0, -1);
        expect(full.startsWith(prefix)).toBe(true);
        const boundaries = new Set([...segmenter.segment(full)].map(({ index }) => index));
        expect(boundaries.has(prefix.length)).toBe(true);
      }),
      RUNS,
    );
  });
});
