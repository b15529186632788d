/**
 * composeMastodonPost: examples for the rules, and properties over any title, tags, URL and
 * instance limits, checked against the fake instance's own count of Mastodon's length rule
 * (tests/helpers/fake-mastodon-server.ts). Nothing is faked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  composeMastodonPost,
  DEFAULT_MASTODON_TEMPLATE,
  type MastodonComposeOptions,
  type MastodonPost,
} from '../../../../src/channels/mastodon/compose.js';
import { countCodePoints, mastodonLength } from '../../../../src/channels/mastodon/fit.js';
import type { Article } from '../../../../src/domain/article.js';
import { hashtagsFromTags } from '../../../../src/domain/hashtags.js';
import { cleanLine } from '../../../../src/domain/text.js';
import { makeArticle } from '../../../helpers/articles.js';
import { countLikeMastodon } from '../../../helpers/fake-mastodon-server.js';

const URL = 'https://news.example.com/city/harbour-bridge-reopens';
const DEFAULTS: MastodonComposeOptions = { template: DEFAULT_MASTODON_TEMPLATE, maxCharacters: 500, charactersReservedPerUrl: 23 };

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({ url: URL, tags: ['bridge', 'city hall'], ...overrides });
}

function post(composed: ReturnType<typeof composeMastodonPost>): MastodonPost {
  if ('skip' in composed) throw new Error(`skipped: ${composed.skip}`);
  return composed.post;
}

describe('composeMastodonPost', () => {
  it('keeps every hashtag on a short status, the link counting 23', () => {
    expect(post(composeMastodonPost(article(), DEFAULTS))).toEqual({
      text: `Harbour bridge reopens after repairs ${URL} #bridge #CityHall`,
      length: 36 + 1 + 23 + 1 + 7 + 1 + 9,
      maxCharacters: 500,
      charactersReservedPerUrl: 23,
      image: null,
    });
  });

  it("uses the article's override as the title part and still adds the link", () => {
    const composed = post(composeMastodonPost(article({ channels: { mastodon: { text: '  Read this 👉\nnow ' } } }), DEFAULTS));
    expect(composed.text).toBe(`Read this 👉 now ${URL} #bridge #CityHall`);
  });

  it('adds the link even when the template leaves it out', () => {
    const composed = post(composeMastodonPost(article(), { ...DEFAULTS, template: '{title} {hashtags}' }));
    expect(composed.text).toBe(`Harbour bridge reopens after repairs #bridge #CityHall ${URL}`);
  });

  it('skips the article when channels.mastodon is false, whatever other channels say', () => {
    expect(composeMastodonPost(article({ channels: { mastodon: false } }), DEFAULTS)).toEqual({ skip: 'skipped by the article' });
    expect('post' in composeMastodonPost(article({ channels: { x: false } }), DEFAULTS)).toBe(true);
  });

  it('drops the lines of empty placeholders, keeping the blank lines the template wrote', () => {
    const template = '{title}\n\n{summary}\n{url}\n{hashtags}';
    expect(post(composeMastodonPost(article({ summary: '', tags: [] }), { ...DEFAULTS, template })).text).toBe(
      `Harbour bridge reopens after repairs\n\n${URL}`,
    );
  });

  it('leaves out tags Mastodon would not read as hashtags', () => {
    const composed = post(composeMastodonPost(article({ tags: ['2024', 'climate change', '日本', '!!!'] }), DEFAULTS));
    expect(composed.text.endsWith(`${URL} #ClimateChange #日本`)).toBe(true);
  });

  it('drops hashtags from the end, one at a time, before touching the title', () => {
    const title = 'A'.repeat(40);
    const tags = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth'];
    const composed = post(composeMastodonPost(article({ title, tags }), { ...DEFAULTS, maxCharacters: 100 }));
    // 40 + 1 + 23 = 64; " #first #second #third #fourth" adds 30 (94); " #fifth" would add 7 more.
    expect(composed.text).toBe(`${title} ${URL} #first #second #third #fourth`);
    expect(composed.length).toBe(94);
  });

  it('cuts the title at a word with an ellipsis once every hashtag is gone', () => {
    const title = Array.from({ length: 120 }, (_, index) => `word${index}`).join(' ');
    const composed = post(composeMastodonPost(article({ title }), DEFAULTS));
    expect(composed.text).toMatch(/^word0 word1 .* word\d+… https:\/\/news\.example\.com\/city\/harbour-bridge-reopens$/u);
    expect(composed.length).toBeGreaterThan(490);
    expect(composed.length).toBeLessThanOrEqual(500);
  });

  it("fits the instance's own limits: a longer status, a larger reserve per link", () => {
    const title = Array.from({ length: 120 }, (_, index) => `word${index}`).join(' ');
    const long = post(composeMastodonPost(article({ title }), { ...DEFAULTS, maxCharacters: 5000 }));
    expect(long.text).toBe(`${title} ${URL} #bridge #CityHall`);
    const reserve = post(composeMastodonPost(article({ title: 'Short' }), { ...DEFAULTS, charactersReservedPerUrl: 40 }));
    expect(reserve.length).toBe(5 + 1 + 40 + 1 + 7 + 1 + 9);
  });

  it('counts a link in the title as a link too', () => {
    const title = `Read ${'https://example.org/a/very/long/path/'.repeat(20)}x`;
    const composed = post(composeMastodonPost(article({ title, tags: [] }), DEFAULTS));
    expect(composed.text).toBe(`${title} ${URL}`);
    expect(composed.length).toBe(5 + 23 + 1 + 23);
  });

  it('counts CJK, emoji and combining marks by code point', () => {
    const composed = post(composeMastodonPost(article({ title: '港珠澳大桥'.repeat(200), tags: [] }), DEFAULTS));
    // 500 - 24 (space and link) - 1 (ellipsis) leaves 475 characters of title.
    expect(composed.text.indexOf('…')).toBe(475);
    expect(composed.length).toBe(500);
  });

  it('never splits a grapheme, even where half of one would fit', () => {
    // Each "q́" is two code points; after "…", the space and the link 475 remain: room for 237½.
    const composed = post(composeMastodonPost(article({ title: 'q\u0301'.repeat(300), tags: [] }), DEFAULTS));
    expect(composed.text).toBe(`${'q\u0301'.repeat(237)}… ${URL}`);
  });

  it('counts an article URL Mastodon does not read as a link character by character', () => {
    const url = `https://news.example.invalidtld/${'a'.repeat(60)}`;
    const composed = post(composeMastodonPost(article({ url, tags: [] }), DEFAULTS));
    expect(composed.length).toBe(36 + 1 + countCodePoints(url));
  });

  it('skips an article whose URL alone is longer than a status', () => {
    const url = `https://news.example.invalidtld/${'a'.repeat(600)}`;
    expect(composeMastodonPost(article({ url }), DEFAULTS)).toMatchObject({
      skip: expect.stringMatching(/URL alone counts 632 of .* 500/),
    });
  });

  it('carries the image with its description, cut to 1500 characters', () => {
    const image = { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge at dawn' };
    expect(post(composeMastodonPost(article({ image }), DEFAULTS)).image).toEqual(image);
    const long = post(composeMastodonPost(article({ image: { url: image.url, alt: '🌉'.repeat(2000) } }), DEFAULTS));
    expect(long.image?.alt).toBe('🌉'.repeat(1500));
  });
});

// ---- properties ---------------------------------------------------------------------------

const fromCodePoints = (min: number, max: number) => fc.integer({ min, max }).map((code) => String.fromCodePoint(code));
const words = (unit: fc.Arbitrary<string>) =>
  fc.array(fc.string({ unit, minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 120 }).map((list) => list.join(' '));
const emojiSequence = fc.constantFrom('👩‍👩‍👧‍👦', '🏳️‍🌈', '👨🏽‍💻', '❤️‍🔥', '🇫🇷', '1️⃣', '🙂', 'é', 'news');
const realHost = fc.constantFrom('example.com', 'news.example.org', 'zeitung.de', 'bbc.co.uk', 'lemonde.fr', 'nhk.or.jp');
const anyUrl = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.webUrl({ withQueryParameters: true }), realHost).map(([url, host]) => {
    const parsed = new globalThis.URL(url);
    parsed.hostname = host;
    return parsed.href;
  }),
  // Unicode in the path, as a newsroom writes it; and a non-ASCII host.
  fc
    .tuple(
      fc.constantFrom('https://zeitung.de/', 'https://bücher.de/', 'https://nhk.or.jp/'),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
    )
    .map(([root, path]) => root + path.replace(/[\s#?]/gu, '')),
);

const anyTitle = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 500 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 500 }),
  fc.array(emojiSequence, { minLength: 1, maxLength: 400 }).map((parts) => parts.join('')),
  words(fromCodePoints(0x4e00, 0x9fff)), // CJK
  words(fc.oneof(fromCodePoints(0x05d0, 0x05ea), fromCodePoints(0x0620, 0x064a))), // Hebrew, Arabic
  words(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz,.-'()@")),
  // Titles around the limit, where hashtags and the cut compete.
  { weight: 5, arbitrary: fc.array(fc.stringMatching(/^[A-Za-z]{1,9}$/), { minLength: 50, maxLength: 110 }).map((list) => list.join(' ')) },
  // Links and mentions inside the title.
  fc.tuple(words(fc.constantFrom(...'abcdefghij')), anyUrl, fc.constantFrom('', ' @alice@example.social')).map((parts) => parts.join(' ')),
  // One long run of multi-code-point graphemes: only a grapheme cut can shorten it.
  fc
    .array(fc.constantFrom('q\u0301', 'x\u0308\u0323', 'क्षि', '👍🏽', 'a'), { minLength: 200, maxLength: 500 })
    .map((parts) => parts.join('')),
);
const anyTags = fc.oneof(
  fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.stringMatching(/^[a-z][a-z ]{0,14}$/)), { maxLength: 60 }),
  { weight: 4, arbitrary: fc.array(fc.stringMatching(/^[a-z]{2,10}$/), { minLength: 3, maxLength: 60 }) },
);
const anyLimits = fc.record({
  maxCharacters: fc.constantFrom(500, 500, 300, 1000, 11_000),
  charactersReservedPerUrl: fc.constantFrom(23, 23, 0, 40),
});

const RUNS = { numRuns: 300 };
const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });
const wordSegments = new Intl.Segmenter('und', { granularity: 'word' });
const boundaries = (segmenter: Intl.Segmenter, text: string) =>
  new Set([...segmenter.segment(text)].map(({ index }) => index).concat(text.length));

describe('composeMastodonPost, for any title, tags, URL and instance', () => {
  it('writes a status the instance accepts, with the link whole, the same every time', () => {
    fc.assert(
      fc.property(anyTitle, anyTags, anyUrl, anyLimits, (title, tags, url, limits) => {
        const input = article({ title, tags, url, summary: title });
        const options = { ...limits, template: DEFAULT_MASTODON_TEMPLATE };
        const composed = composeMastodonPost(input, options);
        expect(composeMastodonPost(input, options)).toEqual(composed);
        if ('skip' in composed) {
          expect(mastodonLength(url, limits.charactersReservedPerUrl)).toBeGreaterThan(limits.maxCharacters);
          return;
        }
        const { text, length } = composed.post;
        expect(countLikeMastodon(text, limits.charactersReservedPerUrl)).toBeLessThanOrEqual(limits.maxCharacters);
        expect(length).toBe(mastodonLength(text, limits.charactersReservedPerUrl));
        expect(length).toBeLessThanOrEqual(limits.maxCharacters);
        expect(text).toContain(url);
        expect(text).toBe(text.toWellFormed());
      }),
      RUNS,
    );
  });

  it('drops hashtags before it cuts the title, and cuts only between words', () => {
    const template = '{title}\n{url}\n{hashtags}';
    fc.assert(
      fc.property(anyTitle, anyTags, anyUrl, anyLimits, (title, tags, url, limits) => {
        const input = article({ title, tags, url });
        const full = cleanLine(title);
        fc.pre(full !== '' && full !== url);
        const composed = composeMastodonPost(input, { ...limits, template });
        if ('skip' in composed) return;
        const lines = composed.post.text.split('\n');
        const titleLine = lines[0] === url ? '' : lines.shift()!;
        expect(lines.shift()).toBe(url);
        const hashtagLine = lines.shift() ?? '';
        expect(lines).toEqual([]);

        const expected = hashtagsFromTags(tags, (hashtag) => /\p{Alphabetic}/u.test(hashtag));
        const kept = hashtagLine === '' ? 0 : hashtagLine.split(' ').length;
        expect(hashtagLine).toBe(expected.slice(0, kept).join(' '));
        const withTags = (titlePart: string, count: number) =>
          [titlePart, url, expected.slice(0, count).join(' ')].filter((line) => line !== '').join('\n');
        const fits = (text: string) => mastodonLength(text, limits.charactersReservedPerUrl) <= limits.maxCharacters;
        // Nothing was dropped that would have fitted.
        if (kept < expected.length) expect(fits(withTags(full, kept + 1))).toBe(false);

        if (titleLine === full) return;
        expect(kept).toBe(0);
        expect(fits(withTags(full, 0))).toBe(false);
        if (titleLine === '') return;
        expect(titleLine.endsWith('…')).toBe(true);
        const prefix = titleLine.slice(0, -1);
        expect(prefix.length).toBeGreaterThan(0);
        expect(full.startsWith(prefix)).toBe(true);
        expect(boundaries(graphemes, full).has(prefix.length)).toBe(true);
        // A cut inside a word happens only within a first "word" too long for any status.
        if (/\s/u.test(full.slice(0, prefix.length + 1))) expect(boundaries(wordSegments, full).has(prefix.length)).toBe(true);
      }),
      RUNS,
    );
  });
});
