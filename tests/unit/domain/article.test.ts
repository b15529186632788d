import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deriveArticleId, parseArticle, type ParsedArticle } from '../../../src/domain/article.js';
import {
  checkHtmlLimits,
  HTML_MAX_DEPTH,
  HTML_MAX_ELEMENTS,
  HTML_MAX_LENGTH,
  HtmlLimitError,
  sanitizeContent,
} from '../../../src/domain/html.js';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/article.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const options = { channelNames: ['newsletter', 'x', 'facebook', 'instagram'], now: new Date('2026-03-01T00:00:00Z') };

function ok(input: unknown): ParsedArticle {
  const result = parseArticle(input, options);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function problems(input: unknown) {
  const result = parseArticle(input, options);
  if (result.ok) throw new Error('expected the input to be refused');
  return result.problems;
}

describe('parseArticle', () => {
  it('accepts a realistic article and keeps its fields', () => {
    const { article, publishedAtGiven } = ok(fixture);
    expect(article.id).toBe('harbour-bridge-reopens');
    expect(article.categories).toEqual([
      { name: 'City', slug: 'city' },
      { name: 'Transport & Roads', slug: 'transport-roads' },
    ]);
    expect(article.publishedAt.toISOString()).toBe('2026-03-02T08:00:00.000Z');
    expect(publishedAtGiven).toBe(true);
  });

  it('derives a stable id from the URL when none is given', () => {
    const { id: _id, ...withoutId } = fixture;
    const first = ok(withoutId).article.id;
    expect(first).toMatch(/^harbour-bridge-reopens-[0-9a-f]{10}$/);
    expect(ok(withoutId).article.id).toBe(first);
    expect(deriveArticleId('https://example.com/')).toMatch(/^example-com-[0-9a-f]{10}$/);
  });

  it('derives the summary from the content when absent', () => {
    const { summary: _summary, ...rest } = fixture;
    const { article } = ok(rest);
    expect(article.summary).toBe(
      'The harbour bridge reopened on 2 March after twelve months of repairs & repainting. What changes Buses return on Monday; cyclists get a separate lane. “It’s the same bridge, only safer,” the city engineer said.',
    );
  });

  it('cuts a derived summary at about fifty words with an ellipsis', () => {
    const words = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    const { article } = ok({ url: 'https://a.example/x', title: 'T', contentHtml: `<p>${words}</p>` });
    expect(article.summary.split(' ')).toHaveLength(50);
    expect(article.summary.endsWith('…')).toBe(true);
  });

  it('removes scripts, event handlers and javascript: links from content', () => {
    const { article } = ok({
      url: 'https://a.example/x',
      title: 'T',
      contentHtml:
        '<p onclick="steal()">Hi<script>alert(1)</script></p><a href="javascript:alert(1)">x</a><img src="/p.jpg" onerror="x()"><iframe src="https://evil.example"></iframe><style>p{}</style>',
    });
    expect(article.contentHtml).not.toMatch(/script|onclick|onerror|javascript|iframe|style/i);
    expect(article.contentHtml).toContain('<img src="https://a.example/p.jpg" />');
  });

  it('makes relative links absolute against the article URL', () => {
    const { article } = ok({ url: 'https://a.example/news/x', title: 'T', contentHtml: '<a href="../about">about</a>' });
    expect(article.contentHtml).toBe('<a href="https://a.example/about">about</a>');
  });

  it('removes control characters and lone surrogates from text', () => {
    const { article } = ok({ url: 'https://a.example/x', title: 'Bell\u0007 and \ud800 lone', categories: ['A\u0000B'] });
    expect(article.title).toBe('Bell and \ufffd lone');
    expect(article.categories[0]?.name).toBe('AB');
  });

  it('keeps emoji, RTL and CJK text intact', () => {
    const title = 'مرحبا 👩‍👩‍👧 日本語のニュース';
    const { article } = ok({ url: 'https://a.example/x', title, categories: ['政治', 'أخبار'] });
    expect(article.title).toBe(title);
    expect(article.categories.map((c) => c.slug)).toEqual(['政治', 'اخبار']);
  });

  it('gives a category of symbols only a stable slug', () => {
    const { article } = ok({ url: 'https://a.example/x', title: 'T', categories: ['&<>'] });
    expect(article.categories[0]?.slug).toMatch(/^c-[0-9a-f]{8}$/);
  });

  it('hashes identical input identically and ignores a missing publishedAt', () => {
    const input = { url: 'https://a.example/x', title: 'T' };
    const a = parseArticle(input, { ...options, now: new Date(1) });
    const b = parseArticle(input, { ...options, now: new Date(2) });
    expect(a.ok && b.ok && a.value.contentHash === b.value.contentHash).toBe(true);
  });

  it('accepts per-article channel choices', () => {
    const { article } = ok({ url: 'https://a.example/x', title: 'T', channels: { x: false, facebook: { text: 'Hi' }, newsletter: true } });
    expect(article.channels).toEqual({ x: false, facebook: { text: 'Hi' } });
  });
});

describe('parseArticle refuses bad input, naming the field', () => {
  const base = { url: 'https://a.example/x', title: 'T' };
  const cases: Array<[string, unknown, string]> = [
    ['a missing title', { url: base.url }, 'title'],
    ['an empty title', { ...base, title: '   ' }, 'title'],
    ['a title over 500 characters', { ...base, title: 'x'.repeat(501) }, 'title'],
    ['a missing url', { title: 'T' }, 'url'],
    ['a javascript: url', { ...base, url: 'javascript:alert(1)' }, 'url'],
    ['a relative url', { ...base, url: '/2026/story' }, 'url'],
    ['an ftp url', { ...base, url: 'ftp://a.example/x' }, 'url'],
    ['an unknown field', { ...base, colour: 'red' }, 'colour'],
    ['a title that is a number', { ...base, title: 42 }, 'title'],
    ['categories that are a string', { ...base, categories: 'News' }, 'categories'],
    ['an author without a name', { ...base, authors: [{ email: 'a@b.example' }] }, 'authors.0.name'],
    ['an author with a bad email', { ...base, authors: [{ name: 'A', email: 'not-an-email' }] }, 'authors.0.email'],
    ['a bad id', { ...base, id: 'Has Spaces' }, 'id'],
    ['an id starting with a dot', { ...base, id: '.hidden' }, 'id'],
    ['a bad date', { ...base, publishedAt: 'tomorrow' }, 'publishedAt'],
    ['an impossible date', { ...base, publishedAt: '2026-13-45T00:00:00Z' }, 'publishedAt'],
    ['an image without url', { ...base, image: { alt: 'x' } }, 'image.url'],
    ['an unknown image field', { ...base, image: { url: 'https://a.example/i.jpg', size: 3 } }, 'image.size'],
    ['an unknown channel', { ...base, channels: { myspace: false } }, 'channels.myspace'],
    ['a channel choice of the wrong type', { ...base, channels: { x: 'no' } }, 'channels.x'],
    ['a summary over 1,000 characters', { ...base, summary: 'x'.repeat(1001) }, 'summary'],
  ];
  it.each(cases)('refuses %s', (_name, input, field) => {
    expect(problems(input).map((p) => p.field)).toContain(field);
  });

  it('refuses a body that is not an object', () => {
    expect(problems([1, 2])[0]?.field).toBe('(body)');
    expect(problems(null)[0]?.field).toBe('(body)');
  });

  it('reports every problem at once', () => {
    const found = problems({ url: 'nope', title: '', extra: 1 }).map((p) => p.field);
    expect(found).toEqual(expect.arrayContaining(['url', 'title', 'extra']));
  });
});

describe('deriveArticleId', () => {
  it('survives malformed percent-encoding in the path', () => {
    expect(deriveArticleId('https://a.example/news/%E0%A4%A')).toMatch(/^[a-z0-9][a-z0-9._-]{0,127}$/);
  });

  it('always yields a valid id, whatever the URL', () => {
    for (const url of [
      'https://a.example/日本/ニュース',
      'https://a.example/' + 'x'.repeat(300),
      'https://a.example/---/',
      'http://[::1]:8080/',
    ]) {
      expect(deriveArticleId(url)).toMatch(/^[a-z0-9][a-z0-9._-]{0,127}$/);
    }
  });
});

describe('parseArticle bounds the HTML it accepts (issue #9, finding 3)', () => {
  const base = { url: 'https://a.example/x', title: 'T' };
  const contentProblems = (contentHtml: string) => {
    const result = parseArticle({ ...base, contentHtml }, options);
    return result.ok ? [] : result.problems.filter((problem) => problem.field === 'contentHtml');
  };
  const nested = (depth: number, tag = 'b') => `${`<${tag}>`.repeat(depth)}x${`</${tag}>`.repeat(depth)}`;

  it(`accepts elements nested ${HTML_MAX_DEPTH} deep and refuses one level more, naming contentHtml`, () => {
    expect(contentProblems(nested(HTML_MAX_DEPTH))).toEqual([]);
    const found = contentProblems(nested(HTML_MAX_DEPTH + 1));
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(new RegExp(`nested more than ${HTML_MAX_DEPTH} deep`));
  });

  it('counts depth as a parser builds the tree: unclosed tags stay open, void elements and implied closes do not nest', () => {
    // Never closed: each <b> is inside the previous one.
    expect(contentProblems('<b>'.repeat(HTML_MAX_DEPTH + 1))).toHaveLength(1);
    // <p> and <li> close their open sibling; <br>, <img>, <hr> never open anything.
    expect(contentProblems(`<p>para`.repeat(5000))).toEqual([]);
    expect(contentProblems(`<ul>${'<li>item'.repeat(5000)}</ul>`)).toEqual([]);
    expect(contentProblems(`<p>${'line<br><img src="/a.jpg"><hr>'.repeat(3000)}</p>`)).toEqual([]);
    // Stray closing tags close nothing and open nothing.
    expect(contentProblems(`<p>x</p>${'</b></i></div>'.repeat(50_000)}`)).toEqual([]);
    // Markup inside raw-text elements is text, as it is for the sanitizer.
    expect(contentProblems(`<textarea>${'<b>'.repeat(5000)}</textarea><p>x</p>`)).toEqual([]);
  });

  it('counts disallowed and upper-case tags too: the sanitizer parses them before it drops them', () => {
    expect(contentProblems(nested(HTML_MAX_DEPTH + 1, 'DIV'))).toHaveLength(1);
    expect(contentProblems(nested(HTML_MAX_DEPTH + 1, 'span'))).toHaveLength(1);
  });

  it('sees tags that control characters were hiding (they are removed before sanitising)', () => {
    expect(contentProblems('<\u0000b>'.repeat(HTML_MAX_DEPTH + 1))).toHaveLength(1);
  });

  it(`accepts ${HTML_MAX_ELEMENTS} elements and refuses one more`, () => {
    expect(contentProblems('<br>'.repeat(HTML_MAX_ELEMENTS))).toEqual([]);
    const found = contentProblems('<br>'.repeat(HTML_MAX_ELEMENTS + 1));
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(new RegExp(`more than ${HTML_MAX_ELEMENTS} elements`));
  });

  it('refuses 2 MB of nested tags at once (the input that froze the process), before sanitising it', () => {
    // 200,000 nested <b> froze the process for 12 minutes; this must return at once.
    expect(contentProblems('<b>'.repeat(200_000))).toHaveLength(1);
    expect(contentProblems('<i><b>'.repeat(Math.floor((2 * 1024 * 1024) / 6)))).toHaveLength(1);
    expect(contentProblems(`${'<div>'.repeat(100)}${'<br>'.repeat(500_000)}`)).toHaveLength(1);
  });

  it('refuses content longer than the 2 MB a request may carry', () => {
    expect(contentProblems('x'.repeat(HTML_MAX_LENGTH))).toEqual([]);
    expect(contentProblems('x'.repeat(HTML_MAX_LENGTH + 1))).toHaveLength(1);
  });

  it('keeps a realistic deep article: a table in a list in a blockquote in a figure', () => {
    const table = `<table><caption>Votes</caption><thead><tr><th scope="col">Party</th><th>Seats</th></tr></thead><tbody>${'<tr><td><strong><a href="/p">Party</a></strong></td><td><em>12</em></td></tr>'.repeat(200)}</tbody></table>`;
    const html = `${'<div><section>'.repeat(10)}<figure><blockquote><ul><li><p>${table}</p></li></ul></blockquote><figcaption>Results</figcaption></figure>`;
    const { article } = ok({ ...base, contentHtml: html });
    expect(article.contentHtml).toContain('<td><strong><a href="https://a.example/p">Party</a></strong></td>');
  });

  it('treats plain-text fields as text: markup in them is never parsed as nesting', () => {
    const markup = '<b>'.repeat(300);
    const { article } = ok({ ...base, title: markup.slice(0, 498), summary: markup, channels: { x: { text: '<i>'.repeat(3000) } } });
    expect(article.summary).toBe(markup);
    expect(article.channels.x).toEqual({ text: '<i>'.repeat(3000) });
  });

  it('reports the HTML problem beside the others', () => {
    const result = parseArticle({ url: 'nope', title: 'T', contentHtml: '<b>'.repeat(200) }, options);
    expect(result.ok ? [] : result.problems.map((problem) => problem.field)).toEqual(['url', 'contentHtml']);
  });
});

describe('sanitizeContent refuses over-limit HTML instead of freezing', () => {
  it('throws a HtmlLimitError naming the limit, at once', () => {
    expect(() => sanitizeContent('<b>'.repeat(200_000), 'https://a.example/')).toThrow(HtmlLimitError);
    expect(() => sanitizeContent('<b>'.repeat(200_000), 'https://a.example/')).toThrow(/nested more than 100 deep/);
    expect(checkHtmlLimits('<p>fine</p>')).toBeNull();
  });
});

describe('parseArticle refuses impossible dates (issue #9, finding 15)', () => {
  const base = { url: 'https://a.example/x', title: 'T' };
  it.each([
    '2024-02-30',
    '2023-02-29',
    '1900-02-29',
    '2024-04-31T00:00:00Z',
    '2024-02-30T10:00:00+01:00',
    '2024-00-10',
    '2024-01-00',
    '2024-01-01T24:00:00Z',
    '2024-01-01T25:00Z',
    '2024-01-01T23:60:00Z',
    '2024-01-01T23:59:60Z',
    '2024-01-01T10:00:00+01:60',
    '2024-01-01T10:00:00+24:00',
  ])('refuses %s, naming publishedAt', (publishedAt) => {
    const found = problems({ ...base, publishedAt });
    expect(found.map((problem) => problem.field)).toEqual(['publishedAt']);
    expect(found[0]?.message).toMatch(/date/);
  });

  it.each([
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
    ['2026-12-31T23:59:59.999999999Z', '2026-12-31T23:59:59.999Z'],
    ['2026-03-02T08:00:00+05:30', '2026-03-02T02:30:00.000Z'],
    ['2026-03-02T08:00:00-0800', '2026-03-02T16:00:00.000Z'],
    ['2026-03-02T08:00:00+14:00', '2026-03-01T18:00:00.000Z'],
    ['2026-03-02T08:00Z', '2026-03-02T08:00:00.000Z'],
    ['2026-03-02T00:00:00.5+00:00', '2026-03-02T00:00:00.500Z'],
  ])('accepts %s', (publishedAt, instant) => {
    expect(ok({ ...base, publishedAt }).article.publishedAt.toISOString()).toBe(instant);
  });
});
