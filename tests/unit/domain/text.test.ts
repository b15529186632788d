import { describe, expect, it } from 'vitest';
import { parseArticle } from '../../../src/domain/article.js';
import { cleanLine, cleanText, slugify, stripBidiControls } from '../../../src/domain/text.js';

// The embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
const BIDI_CONTROLS = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];

describe('bidirectional controls in single-line text (issue #9, finding 15)', () => {
  it.each(BIDI_CONTROLS.map((c) => [`U+${c.codePointAt(0)?.toString(16).toUpperCase()}`, c]))('cleanLine removes %s', (_name, c) => {
    expect(cleanLine(`Breaking${c}: news${c}`)).toBe('Breaking: news');
  });

  it('removes the override that makes "exe.pdf" read as "fdp.exe"', () => {
    // Displayed as "Invoice_fdp.exe" by a client that honours the override.
    expect(cleanLine('Invoice_\u202Eexe.pdf')).toBe('Invoice_exe.pdf');
    expect(stripBidiControls('a\u202Eb\u202Cc\u2067d\u2069')).toBe('abcd');
  });

  it('keeps Arabic and Hebrew text, and the marks that position punctuation in it, intact', () => {
    for (const text of [
      'مرحبا بالعالم',
      'שלום עולם!',
      'الانتخابات 2026: النتائج الأولية',
      'חדשות: "ירושלים" (עדכון)',
      'Report: مرحبا world שלום',
      // LRM, RLM and the Arabic letter mark are ordinary strong marks, not overrides.
      'שלום\u200F!',
      'C++\u200E (שפה)',
      'العدد\u061C 5',
      // Joiners shape emoji and Indic/Persian text.
      '👩‍👩‍👧 می‌خواهم',
    ]) {
      expect(cleanLine(text)).toBe(text);
    }
  });

  it('leaves multi-line and HTML text to its own rules (cleanText keeps them)', () => {
    expect(cleanText('a\u202Eb')).toBe('a\u202Eb');
  });

  it('slugs a name the same with or without controls', () => {
    expect(slugify('Sp\u202Eort')).toBe('sport');
  });
});

describe('parseArticle strips bidi controls from what becomes subjects, headers and posts', () => {
  const options = { channelNames: ['newsletter', 'x', 'facebook'], now: new Date('2026-03-01T00:00:00Z') };
  const spoof = '\u202Etxet dedoof\u202C \u2067isolated\u2069';

  it('from title, summary, author names, categories, tags, image text and channel texts', () => {
    const result = parseArticle(
      {
        url: 'https://a.example/x',
        title: `Title ${spoof}`,
        summary: `Summary ${spoof}`,
        authors: [{ name: `Ann ${spoof}` }],
        categories: [`City ${spoof}`],
        tags: [`Tag${spoof}`],
        image: { url: 'https://a.example/i.jpg', alt: `Alt ${spoof}`, credit: `Credit ${spoof}` },
        channels: { x: { text: `Post ${spoof}` }, facebook: { text: `Line one ${spoof}\n\nLine two` } },
      },
      options,
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const text = JSON.stringify(result.value.article);
    for (const c of BIDI_CONTROLS) expect(text).not.toContain(c);
    expect(result.value.article.title).toBe('Title txet dedoof isolated');
    expect(result.value.article.channels.facebook).toEqual({ text: 'Line one txet dedoof isolated\n\nLine two' });
  });

  it('keeps an RTL title intact', () => {
    const title = 'עדכון: الانتخابات 2026 — תוצאות';
    const result = parseArticle({ url: 'https://a.example/x', title }, options);
    expect(result.ok && result.value.article.title).toBe(title);
  });

  it('refuses a title made only of controls as empty', () => {
    const result = parseArticle({ url: 'https://a.example/x', title: '\u202E\u202C' }, options);
    expect(result.ok ? [] : result.problems.map((problem) => problem.field)).toEqual(['title']);
  });
});
