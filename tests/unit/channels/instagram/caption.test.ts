/**
 * Instagram's caption limits, as properties over any text: 2,200 UTF-16 units, 30 hashtags, 20
 * mentions, the link whole, no lone surrogates, no word cut. The counts here use their own
 * (Instagram-like) patterns, not the implementation's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitMarkers, longestFitting } from '../../../../src/channels/instagram/caption.js';
import { composeInstagramPost } from '../../../../src/channels/instagram/compose.js';
import { textMentionsUrl } from '../../../../src/channels/graph/match.js';
import { cleanLine } from '../../../../src/domain/text.js';
import { instagramArticle, postOf } from './instagram-test-kit.js';

const RUNS = { numRuns: 300, interruptAfterTimeLimit: 20_000 };
const hashtagsIn = (text: string) => text.match(/(?<![\p{L}\p{N}\p{M}_])#[\p{L}\p{N}_]/gu)?.length ?? 0;
const mentionsIn = (text: string) => text.match(/(?<![\p{L}\p{N}\p{M}_])@[A-Za-z0-9_]/gu)?.length ?? 0;
const wordBoundaries = (text: string) =>
  new Set([...new Intl.Segmenter(undefined, { granularity: 'word' }).segment(text)].map((s) => s.index));

const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength, size: 'max' }),
    fc.string({ unit: 'grapheme', maxLength, size: 'max' }),
    fc.string({ unit: 'grapheme-ascii', maxLength, size: 'max' }),
  );
const mention = fc.stringMatching(/^[a-z0-9_]{1,15}$/).map((name) => `@${name}`);
const hashtag = fc.stringMatching(/^[a-z]{1,10}$/).map((name) => `#${name}`);
const word = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((w) => !/[\s#＃@＠]/u.test(w));
const token = fc.oneof({ weight: 3, arbitrary: word }, { weight: 2, arbitrary: mention }, { weight: 1, arbitrary: hashtag });
const mixedText = fc.array(token, { maxLength: 250, size: 'max' }).map((parts) => parts.join(' '));
const longMixedText = fc.array(token, { minLength: 80, maxLength: 250 }).map((parts) => parts.join(' '));
const tags = fc.array(fc.oneof(anyText(30), fc.stringMatching(/^[a-z]{1,12}( [a-z]{1,8})?$/)), { maxLength: 60, size: 'max' });
const url = fc.webUrl({ validSchemes: ['https'] }).map((value) => new URL(value).href);

describe('the Instagram caption', () => {
  it('stays within every limit for any title, summary and tags, keeping the link whole', () => {
    const pressed = { length: 0, hashtags: 0, mentions: 0 };
    fc.assert(
      fc.property(
        fc.oneof(anyText(500), mixedText),
        fc.oneof(anyText(1000), mixedText, longMixedText),
        tags,
        url,
        (title, summary, articleTags, link) => {
          const { caption } = postOf(composeInstagramPost(instagramArticle({ title, summary, tags: articleTags, url: link })));
          expect(caption.length).toBeLessThanOrEqual(2200);
          expect(hashtagsIn(caption)).toBeLessThanOrEqual(30);
          expect(mentionsIn(caption)).toBeLessThanOrEqual(20);
          expect(caption.isWellFormed()).toBe(true);
          expect(textMentionsUrl(caption, link)).toBe(true);
          // How often the input pushed against each limit: the property must not hold vacuously.
          const unfitted = `${title} ${summary} ${articleTags.map((tag) => `#${tag}`).join(' ')}`;
          if (unfitted.length > 2200) pressed.length++;
          if (hashtagsIn(unfitted) > 30) pressed.hashtags++;
          if (mentionsIn(unfitted) > 20) pressed.mentions++;
        },
      ),
      RUNS,
    );
    expect(pressed.length).toBeGreaterThan(RUNS.numRuns / 10);
    expect(pressed.hashtags).toBeGreaterThan(RUNS.numRuns / 10);
    expect(pressed.mentions).toBeGreaterThan(RUNS.numRuns / 10);
  });

  it('cuts the summary only between words', () => {
    // A long title leaves the summary a few hundred characters, so most runs must cut it.
    const title = 'headline '.repeat(170).trim();
    let cuts = 0;
    fc.assert(
      fc.property(fc.oneof(mixedText, longMixedText), (summary) => {
        const article = instagramArticle({ title, summary, tags: ['x'] });
        const parts = postOf(composeInstagramPost(article)).caption.split('\n\n');
        const shown = parts.indexOf(article.url) === 2 ? parts[1]! : '';
        // Surplus @ and # signs may go; what is left must be the summary's first words.
        const strip = (text: string) => text.replace(/[#@]/g, '');
        const expected = strip(cleanLine(summary));
        if (shown.endsWith('…')) {
          cuts++;
          const kept = strip(shown.slice(0, -1));
          expect(expected.startsWith(kept)).toBe(true);
          expect(expected.charAt(kept.length)).toBe(' ');
        } else {
          expect(strip(shown)).toBe(expected);
        }
      }),
      RUNS,
    );
    expect(cuts).toBeGreaterThan(RUNS.numRuns / 4);
  });

  it('cuts any text at a word boundary, never inside a word or a surrogate pair', () => {
    fc.assert(
      fc.property(anyText(400), fc.integer({ min: 0, max: 500 }), (raw, limit) => {
        const text = raw.toWellFormed();
        const result = longestFitting(text, (candidate) => candidate.length <= limit);
        expect(result.length).toBeLessThanOrEqual(Math.max(limit, 0));
        expect(result.isWellFormed()).toBe(true);
        if (result === text || result === '') return;
        expect(result.endsWith('…')).toBe(true);
        const prefix = result.slice(0, -1);
        const cutAtBoundary = [...wordBoundaries(text)].some((boundary) => text.slice(0, boundary).trimEnd() === prefix);
        expect(cutAtBoundary).toBe(true);
      }),
      RUNS,
    );
  });

  it('takes surplus markers off without joining words or making new ones', () => {
    const many = Array.from({ length: 35 }, (_, index) => `#t${index}`).join(' ');
    expect(hashtagsIn(limitMarkers(`${many} a##b`, ''))).toBe(30);
    expect(limitMarkers(`${many} a##bee`, '')).toMatch(/ a bee$/);
    const mentions = Array.from({ length: 21 }, (_, index) => `@u${index}`).join(' ');
    expect(limitMarkers(`${mentions} mail@example.com`, '')).toMatch(/ u20 mail@example\.com$/);
  });

  it('never takes a marker off the link', () => {
    const link = 'https://news.example.com/@desk/story';
    const mentions = Array.from({ length: 25 }, (_, index) => `@u${index}`).join(' ');
    const result = limitMarkers(`${mentions} ${link}`, link);
    expect(result.endsWith(link)).toBe(true);
    expect(mentionsIn(result)).toBe(20);
  });
});
