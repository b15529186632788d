/**
 * composeXPost against X's own counter (`twitter-text`): examples for the rules, and
 * properties over any title, tags and URL. Nothing is faked.
 */
import fc from 'fast-check';
import twitterText from '../../../../src/domain/twitter-text.js';
import { describe, expect, it } from 'vitest';
import { composeXPost, DEFAULT_X_TEMPLATE, type XComposeOptions, type XPost } from '../../../../src/channels/x/compose.js';
import { hashtagsFromTags } from '../../../../src/channels/x/hashtags.js';
import type { Article } from '../../../../src/domain/article.js';
import { cleanLine } from '../../../../src/domain/text.js';
import { makeArticle } from '../../../helpers/articles.js';

const URL = 'https://news.example.com/city/harbour-bridge-reopens';
const INLINE: XComposeOptions = { template: DEFAULT_X_TEMPLATE, linkMode: 'inline' };
const REPLY: XComposeOptions = { template: DEFAULT_X_TEMPLATE, linkMode: 'reply' };

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({ url: URL, tags: ['bridge', 'city hall'], ...overrides });
}

function post(composed: ReturnType<typeof composeXPost>): XPost {
  if ('skip' in composed) throw new Error(`skipped: ${composed.skip}`);
  return composed.post;
}

describe('composeXPost', () => {
  it('keeps every hashtag on a short post', () => {
    expect(post(composeXPost(article(), INLINE))).toEqual({
      text: `Harbour bridge reopens after repairs ${URL} #bridge #CityHall`,
      weightedLength: 36 + 1 + 23 + 1 + 7 + 1 + 9,
      replyText: null,
      image: null,
    });
  });

  it("uses the article's override as the title part and still adds the link", () => {
    const composed = post(composeXPost(article({ channels: { x: { text: '  Read this 👉\nnow ' } } }), INLINE));
    expect(composed.text).toBe(`Read this 👉 now ${URL} #bridge #CityHall`);
  });

  it('adds the link even when the template leaves it out', () => {
    const composed = post(composeXPost(article(), { template: '{title} {hashtags}', linkMode: 'inline' }));
    expect(composed.text).toBe(`Harbour bridge reopens after repairs #bridge #CityHall ${URL}`);
  });

  it('skips the article when channels.x is false', () => {
    expect(composeXPost(article({ channels: { x: false } }), INLINE)).toEqual({ skip: 'skipped by the article' });
  });

  it('puts the link in a reply in reply mode', () => {
    const composed = post(composeXPost(article(), REPLY));
    expect(composed.text).toBe('Harbour bridge reopens after repairs #bridge #CityHall');
    expect(composed.replyText).toBe(URL);
  });

  it('posts the link inline when a reply-mode template would leave the post empty', () => {
    const composed = post(composeXPost(article({ tags: [] }), { template: '{url}', linkMode: 'reply' }));
    expect(composed).toMatchObject({ text: URL, replyText: null });
  });

  it('drops the lines of empty placeholders, keeping the blank lines the template wrote', () => {
    const options: XComposeOptions = { template: '{title}\n\n{summary}\n{url}\n{hashtags}', linkMode: 'inline' };
    expect(post(composeXPost(article({ summary: '', tags: [] }), options)).text).toBe(`Harbour bridge reopens after repairs\n\n${URL}`);
  });

  it('turns tags into hashtags of any script, without repeats or empty ones', () => {
    expect(
      hashtagsFromTags(['climate change', 'Climate-Change', '2024', '!!!', 'C++', 'नमस्ते', '日本', 'snake_case', 'CLIMATECHANGE']),
    ).toEqual(['#ClimateChange', '#C', '#नमस्ते', '#日本', '#snake_case']);
  });

  it('drops hashtags from the end, one at a time, before touching the title', () => {
    const title = 'A'.repeat(210);
    const composed = post(
      composeXPost(article({ title, tags: ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh'] }), INLINE),
    );
    // 210 + 1 + 23 = 234; the hashtags up to " #sixth" add 44 (278); " #seventh" would add 9 more.
    expect(composed.text).toBe(`${title} ${URL} #first #second #third #fourth #fifth #sixth`);
    expect(composed.weightedLength).toBe(278);
  });

  it('cuts the title at a word with an ellipsis once every hashtag is gone', () => {
    const title = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ');
    const composed = post(composeXPost(article({ title }), INLINE));
    expect(composed.text).toMatch(/^word0 word1 .* word\d+… https:\/\/news\.example\.com\/city\/harbour-bridge-reopens$/u);
    expect(composed.text).not.toContain('#');
    expect(composed.weightedLength).toBeGreaterThan(270);
  });

  it('counts CJK characters twice, as X does', () => {
    const title = '港珠澳大桥'.repeat(40);
    const composed = post(composeXPost(article({ title, tags: [] }), INLINE));
    expect(composed.weightedLength).toBeLessThanOrEqual(280);
    // 280 - 24 (link and space) - 2 (ellipsis) leaves 254 / 2 = 127 characters at most.
    expect(composed.text.indexOf('…')).toBeLessThanOrEqual(127);
    expect(composed.text.indexOf('…')).toBeGreaterThan(100);
  });

  it('cuts the summary before the title when the template shows it', () => {
    const summary = 'Traffic flows again. '.repeat(20);
    const composed = post(composeXPost(article({ summary }), { template: '{title}: {summary} {url}', linkMode: 'inline' }));
    expect(composed.text.startsWith('Harbour bridge reopens after repairs: Traffic flows again.')).toBe(true);
    expect(composed.text).toMatch(/\p{L}… https:/u);
  });

  it('cuts a single word longer than the post between graphemes rather than dropping the title', () => {
    const title = '👩‍👩‍👧‍👦'.repeat(300);
    const composed = post(composeXPost(article({ title, tags: [] }), REPLY));
    expect(composed.text.endsWith('…')).toBe(true);
    expect(composed.text.slice(0, -1).replaceAll('👩‍👩‍👧‍👦', '')).toBe('');
  });

  it('never splits a grapheme, even where half of one would fit', () => {
    // Each "q́" weighs 2 and its "q" 1: after "!" and "…" an odd 277 remain, room for 138½.
    const composed = post(composeXPost(article({ title: 'q\u0301'.repeat(300), tags: [] }), { template: '{title}!', linkMode: 'reply' }));
    expect(composed.text).toBe(`${'q\u0301'.repeat(138)}…!`);
  });

  it('carries the image with its alt text', () => {
    const composed = post(
      composeXPost(article({ image: { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge at dawn' } }), INLINE),
    );
    expect(composed.image).toEqual({ url: 'https://img.example.com/bridge.jpg', alt: 'The bridge at dawn' });
  });

  it('skips an article whose URL alone is longer than a post', () => {
    const composed = composeXPost(article({ url: `https://news.example.invalidtld/${'a'.repeat(300)}` }), INLINE);
    expect(composed).toMatchObject({ skip: expect.stringMatching(/URL alone/) });
  });
});

// ---- properties ---------------------------------------------------------------------------

const fromCodePoints = (min: number, max: number) => fc.integer({ min, max }).map((code) => String.fromCodePoint(code));
const words = (unit: fc.Arbitrary<string>) =>
  fc.array(fc.string({ unit, minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 80 }).map((list) => list.join(' '));
const emojiSequence = fc.constantFrom('👩‍👩‍👧‍👦', '🏳️‍🌈', '👨🏽‍💻', '🧑‍🤝‍🧑', '❤️‍🔥', '🇫🇷', '1️⃣', '🙂', 'é', 'news');

const anyTitle = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 400 }),
  fc
    .array(emojiSequence, { minLength: 1, maxLength: 200 })
    .chain((parts) =>
      fc
        .array(fc.boolean(), { minLength: parts.length, maxLength: parts.length })
        .map((spaces) => parts.map((part, i) => (spaces[i] ? `${part} ` : part)).join('')),
    ),
  words(fromCodePoints(0x4e00, 0x9fff)), // CJK
  words(fc.oneof(fromCodePoints(0x05d0, 0x05ea), fromCodePoints(0x0620, 0x064a))), // Hebrew, Arabic
  words(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz,.-'()")),
  // Titles around the limit, where hashtags and the cut compete.
  { weight: 5, arbitrary: fc.array(fc.stringMatching(/^[A-Za-z]{1,9}$/), { minLength: 15, maxLength: 45 }).map((list) => list.join(' ')) },
  fc.string({ unit: 'grapheme', minLength: 1800, maxLength: 2000 }),
  // One long run of multi-code-unit graphemes: only a grapheme cut can shorten it.
  fc.array(fc.constantFrom('q\u0301', 'x\u0308\u0323', 'क्षि', 'a'), { minLength: 150, maxLength: 400 }).map((parts) => parts.join('')),
  fc.array(fc.constantFrom('q\u0301', '👍🏽', '🇫🇷', 'a'), { minLength: 150, maxLength: 400 }).map((parts) => parts.join('')),
  words(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzé')).map((text) => text.repeat(30).slice(0, 2000)),
);
const anyTags = fc.oneof(
  fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.stringMatching(/^[a-z][a-z ]{0,14}$/)), { maxLength: 60 }),
  { weight: 4, arbitrary: fc.array(fc.stringMatching(/^[a-z]{2,10}$/), { minLength: 3, maxLength: 60 }) },
);
// Real newsroom URLs have real domains (X shortens those to 23); fc.webUrl's random TLDs test the rest.
const realDomain = fc.constantFrom('example.com', 'news.example.org', 'zeitung.de', 'bbc.co.uk', 'lemonde.fr', 'nhk.or.jp');
const anyUrl = fc.oneof(
  fc.webUrl(),
  fc.tuple(fc.webUrl({ withQueryParameters: true, withFragments: true }), realDomain).map(([url, host]) => {
    const parsed = new globalThis.URL(url);
    parsed.hostname = host;
    return parsed.href;
  }),
);
const anyMode = fc.constantFrom<XComposeOptions['linkMode']>('inline', 'reply');

const RUNS = { numRuns: 300 };
const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });
const wordSegments = new Intl.Segmenter('und', { granularity: 'word' });
const boundaries = (segmenter: Intl.Segmenter, text: string) =>
  new Set([...segmenter.segment(text)].map(({ index }) => index).concat(text.length));
const latinLetterOrDigit = /[\p{Script=Latin}0-9]/u;

describe('composeXPost, for any title, tags and URL', () => {
  it('writes a post X accepts, with the link, and never a lone surrogate', () => {
    fc.assert(
      fc.property(anyTitle, anyTags, anyUrl, anyMode, (title, tags, url, linkMode) => {
        const input = article({ title, tags, url: new globalThis.URL(url).href });
        const composed = composeXPost(input, { template: DEFAULT_X_TEMPLATE, linkMode });
        const urlPostable = twitterText.parseTweet(input.url).valid;
        if ('skip' in composed) {
          expect(urlPostable).toBe(false);
          return;
        }
        const { text, weightedLength, replyText } = composed.post;
        const parsed = twitterText.parseTweet(text);
        expect(parsed.valid).toBe(true);
        expect(parsed.weightedLength).toBeLessThanOrEqual(280);
        expect(weightedLength).toBe(parsed.weightedLength);
        expect(text).toBe(text.toWellFormed());
        if (replyText === null) expect(text).toContain(input.url);
        else {
          expect(linkMode).toBe('reply');
          expect(replyText).toBe(input.url);
          expect(twitterText.parseTweet(replyText).valid).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('drops hashtags before it cuts the title, and cuts only between words', () => {
    const template = '{title}\n{url}\n{hashtags}';
    fc.assert(
      fc.property(anyTitle, anyTags, anyUrl, anyMode, (title, tags, url, linkMode) => {
        const input = article({ title, tags, url: new globalThis.URL(url).href });
        const full = cleanLine(title);
        fc.pre(full !== '' && full !== input.url);
        const composed = composeXPost(input, { template, linkMode });
        if ('skip' in composed) return;
        const { text, replyText } = composed.post;
        const lines = text.split('\n');
        const inline = replyText === null;
        const titleLine = inline && lines[0] === input.url ? '' : lines.shift()!;
        if (inline) expect(lines.shift()).toBe(input.url);
        const hashtagLine = lines.shift() ?? '';
        expect(lines).toEqual([]);

        const expected = hashtagsFromTags(tags);
        const kept = hashtagLine === '' ? 0 : hashtagLine.split(' ').length;
        expect(hashtagLine).toBe(expected.slice(0, kept).join(' '));
        const linkLines = inline ? [input.url] : [];
        const withTags = (titlePart: string, count: number) =>
          [titlePart, ...linkLines, expected.slice(0, count).join(' ')].filter((line) => line !== '').join('\n');
        // Nothing was dropped that would have fitted.
        if (kept < expected.length) expect(twitterText.parseTweet(withTags(full, kept + 1)).valid).toBe(false);

        if (titleLine === full) return;
        expect(kept).toBe(0);
        expect(twitterText.parseTweet(withTags(full, 0)).valid).toBe(false);
        if (titleLine === '') return;
        expect(titleLine.endsWith('…')).toBe(true);
        const prefix = titleLine.slice(0, -1);
        expect(prefix.length).toBeGreaterThan(0);
        expect(full.startsWith(prefix)).toBe(true);
        const cut = prefix.length;
        expect(boundaries(graphemes, full).has(cut)).toBe(true);
        // A cut inside a word happens only within a first "word" too long for any post.
        const insideFirstRun = !/\s/u.test(full.slice(0, cut + 1));
        if (!insideFirstRun) {
          expect(boundaries(wordSegments, full).has(cut)).toBe(true);
          expect(latinLetterOrDigit.test(full.charAt(cut - 1)) && latinLetterOrDigit.test(full.charAt(cut))).toBe(false);
        }
      }),
      RUNS,
    );
  });
});
