/**
 * Facet byte offsets, checked against Node's UTF-8 encoder and against `@atproto/api`'s own
 * RichText (what Bluesky clients use to cut a post into underlined segments). Nothing is faked.
 */
import { RichText } from '@atproto/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteSlice, facetsFromMarks, textAtByteSlice, utf8Length, type TextMark } from '../../../../src/channels/bluesky/facets.js';

const samples = {
  ascii: 'Read https://example.com',
  emoji: '👩‍👩‍👧‍👦🇫🇷 https://example.com',
  cjk: '港珠澳大桥 https://example.com',
  rtl: 'مرحبا بالعالم https://example.com',
  combining: 'q\u0301x\u0308\u0323 https://example.com',
};

describe('utf8Length and byteSlice', () => {
  it.each(Object.entries(samples))('counts %s text as UTF-8 does', (_, text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    const start = text.indexOf('https://');
    const slice = byteSlice(text, start, text.length);
    expect(slice).toEqual({ byteStart: Buffer.byteLength(text.slice(0, start)), byteEnd: Buffer.byteLength(text) });
    expect(textAtByteSlice(text, slice)).toBe('https://example.com');
  });

  it('puts a link after one family emoji 25 bytes in, not 11 code units', () => {
    const text = '👩‍👩‍👧‍👦 https://example.com';
    expect(byteSlice(text, 12, text.length)).toEqual({ byteStart: 26, byteEnd: 45 });
  });

  it('counts a lone surrogate as the 3 bytes of U+FFFD, as TextEncoder writes it', () => {
    expect(utf8Length('a\uD800b')).toBe(new TextEncoder().encode('a\uD800b').length);
  });

  it('matches Buffer.byteLength for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
      { numRuns: 500 },
    );
  });

  it('slices back exactly the text between any two code point boundaries', () => {
    const text = fc.string({
      unit: fc.oneof(fc.constantFrom('👩‍👩‍👧‍👦', '🇫🇷', 'é', 'e\u0301', '中', 'ש', 'ع', ' '), fc.string({ unit: 'grapheme' })),
      maxLength: 60,
    });
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (value, a, b) => {
        const points = [0];
        for (const character of value) points.push(points.at(-1)! + character.length);
        const [start, end] = [points[a % points.length]!, points[b % points.length]!].sort((x, y) => x - y) as [number, number];
        expect(textAtByteSlice(value, byteSlice(value, start, end))).toBe(value.slice(start, end));
      }),
      { numRuns: 500 },
    );
  });
});

describe('facetsFromMarks', () => {
  it('writes lexicon facets in text order', () => {
    const text = 'Café #news https://example.com/é';
    const marks: TextMark[] = [
      { start: 11, end: text.length, kind: 'link', value: 'https://example.com/%C3%A9' },
      { start: 5, end: 10, kind: 'tag', value: 'news' },
    ];
    expect(facetsFromMarks(text, marks)).toEqual([
      { index: { byteStart: 6, byteEnd: 11 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'news' }] },
      {
        index: { byteStart: 12, byteEnd: 34 },
        features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com/%C3%A9' }],
      },
    ]);
  });

  it("agrees with @atproto/api's RichText on what every facet underlines", () => {
    const word = fc.string({
      unit: fc.constantFrom('👩‍👩‍👧‍👦', '🏳️‍🌈', '🇯🇵', 'a', 'é', 'e\u0301', '中', 'ש', 'ع', 'क्षि'),
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(word, fc.constantFrom('text', 'tag', 'link')), { minLength: 1, maxLength: 12 }), (parts) => {
        let text = '';
        const marks: TextMark[] = [];
        for (const [content, kind] of parts) {
          if (text !== '') text += ' ';
          const shown = kind === 'tag' ? `#${content}` : kind === 'link' ? `https://example.com/${content}` : content;
          if (kind !== 'text') {
            const value = kind === 'tag' ? content : shown;
            marks.push({ start: text.length, end: text.length + shown.length, kind: kind as 'tag' | 'link', value });
          }
          text += shown;
        }
        const segments = [...new RichText({ text, facets: facetsFromMarks(text, marks) }).segments()].filter((segment) => segment.facet);
        expect(segments.map((segment) => segment.text)).toEqual(marks.map((mark) => text.slice(mark.start, mark.end)));
      }),
      { numRuns: 300 },
    );
  });
});
