/**
 * The newsletter's emails, parsed back with htmlparser2 and checked for structure, escaping
 * and the unsubscribe link; properties over generated articles. Nothing is faked.
 */
import fc from 'fast-check';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { Document, Element } from 'domhandler';
import { describe, expect, it } from 'vitest';
import {
  cleanSubject,
  renderArticleEmail,
  renderArticleTemplate,
  renderConfirmationEmail,
  renderDigestEmail,
  SUBJECT_MAX_LENGTH,
  type EmailSite,
} from '../../../../src/channels/newsletter/render.js';
import type { Article } from '../../../../src/domain/article.js';
import { makeArticle } from '../../../helpers/articles.js';

const SITE: EmailSite = {
  title: 'Harbour News',
  url: 'https://news.example.com/',
  publicBaseUrl: 'https://syndicate.example.com',
  postalAddress: '1 Quay Street, Harbour Town 4000',
  language: 'en-GB',
};
const PLACEHOLDER = 'UNSUBSCRIBEURLPLACEHOLDER0123';
const UNSUBSCRIBE = 'https://syndicate.example.com/unsubscribe/u.MTIz.abc_-XYZ';

const REAL = makeArticle({
  title: 'Harbour bridge reopens after repairs',
  summary: 'The bridge carries traffic again from Monday.',
  contentHtml:
    '<p>The <strong>harbour bridge</strong> reopened on Monday, <a href="https://news.example.com/city/closure">eight months</a> after it closed.</p>' +
    '<h2>What changed</h2><ul><li>New deck</li><li>Wider footpath</li></ul><p>Tolls stay the same.<br>Buses return on Tuesday.</p>',
  authors: [{ name: 'Ana Ruiz' }, { name: 'Tom Lee' }],
  image: { url: 'https://news.example.com/img/bridge.jpg', alt: 'The reopened bridge at dawn' },
});

function parse(html: string): Document {
  return parseDocument(html);
}

function all(document: Document, name: string): Element[] {
  return DomUtils.getElementsByTagName(name, document);
}

function links(document: Document): { href: string; text: string }[] {
  return all(document, 'a').map((a) => ({ href: a.attribs.href ?? '', text: DomUtils.textContent(a).trim() }));
}

describe('renderArticleEmail', () => {
  const email = renderArticleEmail(REAL, SITE, { unsubscribeUrl: UNSUBSCRIBE });
  const document = parse(email.html);

  it('uses the title as the subject', () => {
    expect(email.subject).toBe('Harbour bridge reopens after repairs');
  });

  it('lays the email out as one 600 px table column with a small-screen media query', () => {
    const container = all(document, 'table').find((table) => table.attribs.class === 'container');
    expect(container?.attribs.width).toBe('600');
    expect(container?.attribs.style).toContain('max-width: 600px');
    const style = DomUtils.textContent(all(document, 'style'));
    expect(style).toContain('@media only screen and (max-width: 620px)');
    expect(document.children.some((node) => node.type === 'directive')).toBe(true);
    expect(all(document, 'html')[0]?.attribs.lang).toBe('en-GB');
  });

  it('inlines the CSS into style attributes', () => {
    const title = all(document, 'h1')[0];
    expect(title?.attribs.style).toContain('font-size: 28px');
    const body = all(document, 'body')[0];
    expect(body?.attribs.style).toContain('margin: 0');
  });

  it('shows the image with its alt text, a width and max-width 100%', () => {
    const image = all(document, 'img')[0];
    expect(image?.attribs).toMatchObject({
      src: 'https://news.example.com/img/bridge.jpg',
      alt: 'The reopened bridge at dawn',
      width: '600',
    });
    expect(image?.attribs.style).toContain('max-width: 100%');
  });

  it('links the title to the article and shows byline and date', () => {
    const title = all(document, 'h1')[0]!;
    expect(DomUtils.getElementsByTagName('a', title)[0]?.attribs.href).toBe(REAL.url);
    expect(DomUtils.textContent(title)).toBe(REAL.title);
    const time = all(document, 'time')[0];
    expect(time?.attribs.datetime).toBe('2026-03-02T08:00:00.000Z');
    const byline = DomUtils.textContent(time?.parent ?? []);
    expect(byline).toBe('By Ana Ruiz, Tom Lee · 2 March 2026');
  });

  it("includes the article's full content, its link and a Read-on link", () => {
    const content = DomUtils.findOne((element) => element.attribs.class === 'content', document.children)!;
    expect(DomUtils.getElementsByTagName('li', content).map((li) => DomUtils.textContent(li))).toEqual(['New deck', 'Wider footpath']);
    expect(links(document)).toContainEqual({ href: 'https://news.example.com/city/closure', text: 'eight months' });
    expect(links(document)).toContainEqual({ href: REAL.url, text: 'Read on Harbour News' });
  });

  it('has a footer with a visible unsubscribe link and the postal address', () => {
    const footer = DomUtils.findOne((element) => element.attribs.class === 'footer', document.children)!;
    expect(DomUtils.getElementsByTagName('a', footer).map((a) => [a.attribs.href, DomUtils.textContent(a)])).toEqual([
      [UNSUBSCRIBE, 'Unsubscribe'],
    ]);
    expect(DomUtils.textContent(footer)).toContain('1 Quay Street, Harbour Town 4000');
  });

  it('writes a plain-text part with the same content, paragraphs and links kept readable', () => {
    expect(email.text).toContain('Harbour bridge reopens after repairs\nhttps://news.example.com/city/harbour-bridge-reopens\n');
    expect(email.text).toContain('By Ana Ruiz, Tom Lee · 2 March 2026');
    expect(email.text).toContain(
      'The harbour bridge reopened on Monday, eight months (https://news.example.com/city/closure) after it closed.\n\nWhat changed\n\n- New deck\n- Wider footpath\n\nTolls stay the same.\nBuses return on Tuesday.',
    );
    expect(email.text).toContain(`Read on Harbour News: ${REAL.url}`);
    expect(email.text).toContain(`Unsubscribe: ${UNSUBSCRIBE}`);
    expect(email.text).toContain('1 Quay Street, Harbour Town 4000');
    expect(email.text).not.toMatch(/<[a-z]/);
  });

  it('shows the summary when the article has no content', () => {
    const summaryOnly = renderArticleEmail(makeArticle(), SITE, { unsubscribeUrl: UNSUBSCRIBE });
    const content = DomUtils.findOne((element) => element.attribs.class === 'content', parse(summaryOnly.html).children)!;
    expect(DomUtils.textContent(content)).toBe('The bridge carries traffic again from Monday.');
    expect(summaryOnly.text).toContain('The bridge carries traffic again from Monday.');
  });

  it("puts the newsletter's own text first as an intro", () => {
    const article = makeArticle({ channels: { newsletter: { text: 'Good news for commuters.\n\nMore below.' } } });
    const rendered = renderArticleEmail(article, SITE, { unsubscribeUrl: UNSUBSCRIBE });
    const intro = DomUtils.findOne((element) => element.attribs.class === 'intro', parse(rendered.html).children)!;
    expect(DomUtils.getElementsByTagName('p', intro).map((p) => DomUtils.textContent(p))).toEqual([
      'Good news for commuters.',
      'More below.',
    ]);
    expect(rendered.text).toContain('Good news for commuters.\n\nMore below.');
  });

  it('omits the postal address line when there is none', () => {
    const rendered = renderArticleEmail(REAL, { ...SITE, postalAddress: null }, { unsubscribeUrl: UNSUBSCRIBE });
    const footer = DomUtils.findOne((element) => element.attribs.class === 'footer', parse(rendered.html).children)!;
    expect(DomUtils.getElementsByTagName('p', footer)).toHaveLength(1);
    expect(rendered.text.trimEnd().endsWith(`Unsubscribe: ${UNSUBSCRIBE}`)).toBe(true);
  });

  it('keeps a placeholder unsubscribe URL verbatim, so it can be replaced per subscriber', () => {
    const rendered = renderArticleEmail(REAL, SITE, { unsubscribeUrl: PLACEHOLDER });
    expect(rendered.html.split(PLACEHOLDER)).toHaveLength(2);
    expect(rendered.text.split(PLACEHOLDER)).toHaveLength(2);
    const personal = rendered.html.replace(PLACEHOLDER, UNSUBSCRIBE);
    expect(links(parse(personal))).toContainEqual({ href: UNSUBSCRIBE, text: 'Unsubscribe' });
  });

  it('refuses an unsubscribe URL that is neither http(s) nor a placeholder', () => {
    expect(() => renderArticleEmail(REAL, SITE, { unsubscribeUrl: 'javascript:alert(1)' })).toThrow(RangeError);
  });
});

describe('renderArticleTemplate', () => {
  const template = renderArticleTemplate(REAL, SITE);

  it('personalises to exactly the email rendered with that unsubscribe link', () => {
    expect(template.subject).toBe('Harbour bridge reopens after repairs');
    expect(template.personalise(UNSUBSCRIBE)).toEqual(renderArticleEmail(REAL, SITE, { unsubscribeUrl: UNSUBSCRIBE }));
    const withQuery = 'https://syndicate.example.com/unsubscribe?token=a&list={news}';
    expect(template.personalise(withQuery)).toEqual(renderArticleEmail(REAL, SITE, { unsubscribeUrl: withQuery }));
  });

  it('refuses a link that is not http(s), placeholders included', () => {
    expect(() => template.personalise(PLACEHOLDER)).toThrow(RangeError);
    expect(() => template.personalise('javascript:alert(1)')).toThrow(RangeError);
  });
});

describe('escaping hostile input', () => {
  const hostile = makeArticle({
    title: '<script>alert(1)</script> "quoted" & {{juice}} <% x %>',
    url: 'javascript:alert(1)',
    summary: '<img src=x onerror=alert(1)>',
    contentHtml:
      '<p onclick="x()">Hi <script>alert(2)</script><a href="javascript:alert(3)">click</a><iframe src="https://evil.example"></iframe></p>',
    authors: [{ name: '"><svg onload=alert(4)>' }],
    image: { url: 'javascript:alert(5)', alt: '" onerror="alert(6)' },
    channels: { newsletter: { text: '</div><script>alert(7)</script>' } },
  });
  const email = renderArticleEmail(
    hostile,
    { ...SITE, title: 'Site <b>"x"</b>', postalAddress: '<i>PO Box</i>' },
    { unsubscribeUrl: UNSUBSCRIBE },
  );
  const document = parse(email.html);

  it('produces no active content', () => {
    expect(email.html).not.toMatch(/<script/i);
    expect(all(document, 'script')).toHaveLength(0);
    expect(all(document, 'svg')).toHaveLength(0);
    expect(all(document, 'iframe')).toHaveLength(0);
    for (const element of DomUtils.findAll(() => true, document.children)) {
      for (const [name, value] of Object.entries(element.attribs)) {
        expect(name).not.toMatch(/^on/i);
        if (name === 'href' || name === 'src') expect(value).toMatch(/^https?:\/\//);
      }
    }
  });

  it('shows hostile text as text', () => {
    expect(DomUtils.textContent(all(document, 'h1'))).toBe('<script>alert(1)</script> "quoted" & {{juice}} <% x %>');
    expect(DomUtils.textContent(all(document, 'title'))).toBe('<script>alert(1)</script> "quoted" & {{juice}} <% x %>');
    expect(DomUtils.textContent(document)).toContain('By "><svg onload=alert(4)>');
    expect(DomUtils.textContent(document)).toContain('<i>PO Box</i>');
  });

  it('links nothing to a javascript: URL and shows no image for one', () => {
    expect(all(document, 'img')).toHaveLength(0);
    // The content's <a> stays as plain text: the sanitiser dropped its href.
    expect(links(document).map((link) => link.href)).toEqual(['https://news.example.com/', '', UNSUBSCRIBE]);
  });
});

describe('subjects', () => {
  it('collapses CR, LF and control characters to spaces', () => {
    const email = renderArticleEmail(makeArticle({ title: 'Breaking\r\nBcc: victim@example.com\u0000\u2028end ' }), SITE, {
      unsubscribeUrl: UNSUBSCRIBE,
    });
    expect(email.subject).toBe('Breaking Bcc: victim@example.com end');
  });

  it(`cuts long subjects at a word, to at most ${SUBJECT_MAX_LENGTH} characters`, () => {
    const title = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const { subject } = renderArticleEmail(makeArticle({ title }), SITE, { unsubscribeUrl: UNSUBSCRIBE });
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(subject).toMatch(/ word\d+…$/);
    expect(title.startsWith(subject.slice(0, -1))).toBe(true);
  });

  it('drops bidirectional overrides and isolates, keeping right-to-left text and its marks', () => {
    const title = 'Invoice_\u202Eexe.pdf \u202Ax\u202C \u2066a\u2069 \u2067שלום\u2069 \u200Fעולם \u202B\u202D\u2068end';
    const { subject } = renderArticleEmail(makeArticle({ title }), SITE, { unsubscribeUrl: UNSUBSCRIBE });
    expect(subject).toBe('Invoice_exe.pdf x a שלום \u200Fעולם end');
    expect(cleanSubject('\u202E\u2066', 'Harbour \u202ENews')).toBe('Harbour News');
    const digest = renderDigestEmail(
      [REAL],
      { ...SITE, title: 'Harbour \u202Ewen' },
      {
        frequency: 'daily',
        unsubscribeUrl: UNSUBSCRIBE,
        periodEnd: new Date(0),
        timeZone: 'UTC',
      },
    );
    expect(digest.subject).toBe('Harbour wen: your daily digest — 1 article');
  });

  it('falls back to the site title when the title is blank', () => {
    expect(renderArticleEmail(makeArticle({ title: ' \n ' }), SITE, { unsubscribeUrl: UNSUBSCRIBE }).subject).toBe('Harbour News');
  });
});

describe('renderDigestEmail', () => {
  const second = makeArticle({
    id: 'ferry-timetable',
    url: 'https://news.example.com/city/ferry-timetable',
    title: 'New ferry timetable',
    summary: 'Ferries run every 20 minutes.',
    publishedAt: new Date('2026-03-02T22:30:00.000Z'),
  });
  const email = renderDigestEmail([REAL, second], SITE, {
    frequency: 'daily',
    unsubscribeUrl: UNSUBSCRIBE,
    periodEnd: new Date('2026-03-03T06:00:00.000Z'),
    timeZone: 'Pacific/Auckland',
  });
  const document = parse(email.html);

  it('names the frequency and the count in the subject', () => {
    expect(email.subject).toBe('Harbour News: your daily digest — 2 articles');
    const one = renderDigestEmail([REAL], SITE, {
      frequency: 'weekly',
      unsubscribeUrl: UNSUBSCRIBE,
      periodEnd: new Date(),
      timeZone: 'UTC',
    });
    expect(one.subject).toBe('Harbour News: your weekly digest — 1 article');
  });

  it('lists every article with its link, summary and image, dated in the time zone', () => {
    expect(all(document, 'h2').map((h2) => [DomUtils.textContent(h2), DomUtils.getElementsByTagName('a', h2)[0]?.attribs.href])).toEqual([
      [REAL.title, REAL.url],
      ['New ferry timetable', 'https://news.example.com/city/ferry-timetable'],
    ]);
    expect(all(document, 'img').map((img) => img.attribs.alt)).toEqual(['The reopened bridge at dawn']);
    expect(DomUtils.textContent(document)).toContain('Ferries run every 20 minutes.');
    // 22:30 UTC on 2 March is 3 March in Auckland.
    expect(all(document, 'time').map((time) => DomUtils.textContent(time))).toEqual(['2 March 2026', '3 March 2026']);
  });

  it('has the unsubscribe link in both parts', () => {
    expect(links(document)).toContainEqual({ href: UNSUBSCRIBE, text: 'Unsubscribe' });
    expect(email.text).toContain(`Unsubscribe: ${UNSUBSCRIBE}`);
    expect(email.text).toContain('New ferry timetable\nhttps://news.example.com/city/ferry-timetable');
  });
});

describe('renderConfirmationEmail', () => {
  const confirmUrl = 'https://syndicate.example.com/confirm/c.MTIz.1a2b.sig';
  const email = renderConfirmationEmail(SITE, { confirmUrl, email: 'ana@example.net', frequency: 'weekly' });

  it('asks to confirm, with the link in both parts', () => {
    expect(email.subject).toBe('Confirm your subscription to Harbour News');
    expect(links(parse(email.html))).toContainEqual({ href: confirmUrl, text: 'Confirm my subscription' });
    expect(DomUtils.textContent(parse(email.html))).toContain('ana@example.net should get a weekly digest');
    expect(email.text).toContain(`Confirm: ${confirmUrl}`);
    expect(email.text).toContain('1 Quay Street, Harbour Town 4000');
  });
});

describe('any article', () => {
  const fragment = fc.constantFrom(
    '<p>',
    '</p>',
    '<script>',
    '</script>',
    '<a href="javascript:x">',
    '<img src=x onerror=y>',
    '{{',
    '}}',
    '<%',
    '%>',
    '<!--',
    '-->',
    '"',
    "'",
    '<br>',
    '<ul><li>',
    '\r\n',
    '&amp;',
    '&',
  );
  const plain = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));
  // Random strings alone almost never spell "<script": hostile fragments are mixed in.
  const text = fc.oneof(
    plain,
    fc.array(fc.oneof(plain, fragment), { maxLength: 12 }).map((parts) => parts.join('')),
  );
  const url = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), text);
  const article: fc.Arbitrary<Article> = fc
    .record({
      title: text,
      summary: text,
      contentHtml: text,
      url,
      image: fc.option(fc.record({ url, alt: text }), { nil: null }),
      authors: fc.array(fc.record({ name: text }), { maxLength: 3 }),
      intro: fc.option(text, { nil: undefined }),
    })
    .map(({ intro, ...fields }) => makeArticle({ ...fields, channels: intro === undefined ? {} : { newsletter: { text: intro } } }));

  it('always renders a safe email with the unsubscribe link', () => {
    fc.assert(
      fc.property(article, (generated) => {
        const email = renderArticleEmail(generated, SITE, { unsubscribeUrl: PLACEHOLDER });
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
        expect(email.html).not.toMatch(/<script/i);
        expect(email.html).toContain(`<a href="${PLACEHOLDER}"`);
        expect(email.text).toContain(`Unsubscribe: ${PLACEHOLDER}`);
        const document = parse(email.html);
        expect(links(document).filter((link) => link.href === PLACEHOLDER)).toEqual([{ href: PLACEHOLDER, text: 'Unsubscribe' }]);
      }),
      { numRuns: 300 },
    );
  });

  it('always renders a digest', () => {
    fc.assert(
      fc.property(fc.array(article, { maxLength: 5 }), (articles) => {
        const email = renderDigestEmail(articles, SITE, {
          frequency: 'weekly',
          unsubscribeUrl: PLACEHOLDER,
          periodEnd: new Date(0),
          timeZone: 'UTC',
        });
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.html).not.toMatch(/<script/i);
        expect(email.text).toContain(PLACEHOLDER);
      }),
      { numRuns: 100 },
    );
  });
});
