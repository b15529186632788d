/**
 * Letters: one rendered article, a message per subscriber with their own unsubscribe link.
 * Real: the renderer, juice, the sanitiser, HMAC tokens; nothing is faked.
 */
import fc from 'fast-check';
import { DomUtils, parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { createLetters } from '../../../../src/channels/newsletter/letters.js';
import { renderArticleEmail, type EmailSite } from '../../../../src/channels/newsletter/render.js';
import { createTokenSigner } from '../../../../src/channels/newsletter/tokens.js';
import type { Subscriber } from '../../../../src/domain/subscriber.js';
import { makeArticle } from '../../../helpers/articles.js';
import { confirmedSubscriber } from '../../../helpers/subscriber-record.js';

const SITE: EmailSite = {
  title: 'Harbour News',
  url: 'https://news.example.com/',
  publicBaseUrl: 'https://syndicate.example.com',
  postalAddress: '1 Quay Street, Harbour Town 4000',
  language: 'en-GB',
};
const T0 = new Date('2026-03-02T08:00:00.000Z');
/** The fixed placeholder the letters used before: public, so any publisher could write it. */
const OLD_PLACEHOLDER = 'SYNDICATEUNSUBSCRIBEURLPLACEHOLDER';

const letters = createLetters({
  site: SITE,
  tokens: createTokenSigner('test-secret-key-0123456789abcdef'),
  messageDomain: 'news.example.com',
  listId: '<newsletter.news.example.com>',
  unsubscribeMailto: null,
  confirmTtlMs: 7 * 24 * 3600 * 1000,
});

function subscriber(id: string, email: string): Subscriber {
  return confirmedSubscriber(id, email, T0);
}

const ANA = subscriber('sub-ana', 'ana@example.net');
const TOM = subscriber('sub-tom', 'tom@example.net');

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('letters.article', () => {
  it("puts each subscriber's unsubscribe link in the footer and headers only, not where the content names the placeholder", () => {
    const article = makeArticle({
      contentHtml:
        `<p>Read more <a href="https://tracker.example/click?u=${OLD_PLACEHOLDER}">here</a>.</p>` +
        `<p><img src="https://tracker.example/${OLD_PLACEHOLDER}.png" alt="pixel"> ${OLD_PLACEHOLDER}</p>`,
    });
    const letterFor = letters.article(article);

    for (const reader of [ANA, TOM]) {
      const message = letterFor(reader);
      const link = letters.unsubscribeUrl(reader);
      const token = link.slice(link.lastIndexOf('/') + 1);

      expect(message.listUnsubscribeUrl).toBe(link);
      expect(occurrences(message.html, token)).toBe(1);
      expect(occurrences(message.text, token)).toBe(1);
      expect(message.text).toContain(`Unsubscribe: ${link}`);
      const document = parseDocument(message.html);
      const footer = DomUtils.findOne((element) => element.attribs.class === 'footer', document.children)!;
      expect(DomUtils.getElementsByTagName('a', footer).map((a) => a.attribs.href)).toEqual([link]);
      // The content keeps what the publisher wrote, and carries nobody's link to the tracker.
      expect(DomUtils.getElementsByTagName('img', document).map((img) => img.attribs.src)).toEqual([
        `https://tracker.example/${OLD_PLACEHOLDER}.png`,
      ]);
      expect(DomUtils.getElementsByTagName('a', document).map((a) => a.attribs.href)).toContain(
        `https://tracker.example/click?u=${OLD_PLACEHOLDER}`,
      );
    }
    const other = letters.unsubscribeUrl(TOM);
    expect(letterFor(ANA).html).not.toContain(other.slice(other.lastIndexOf('/') + 1));
  });

  it('makes the same message as rendering the article with the subscriber’s link, whatever the content', () => {
    const fragment = fc.constantFrom(
      OLD_PLACEHOLDER,
      'UNSUBSCRIBE',
      '<img src="https://x.example/',
      '<a href="https://x.example/?u=',
      '">',
      '{{',
      '}}',
      '<p>',
    );
    const content = fc.array(fc.oneof(fragment, fc.string({ maxLength: 20 })), { maxLength: 10 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(content, content, (contentHtml, title) => {
        const article = makeArticle({ contentHtml, title: title || 'Untitled' });
        const message = letters.article(article)(ANA);
        const link = letters.unsubscribeUrl(ANA);
        const expected = renderArticleEmail(article, SITE, { unsubscribeUrl: link });
        expect({ subject: message.subject, html: message.html, text: message.text }).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('gives each message a deterministic Message-ID and the List-* headers', () => {
    const message = letters.article(makeArticle())(ANA);
    expect(message).toMatchObject({
      to: { address: 'ana@example.net', name: null },
      messageId: 'harbour-bridge-reopens.sub-ana@news.example.com',
      listId: '<newsletter.news.example.com>',
      listUnsubscribeMailto: null,
    });
  });
});
