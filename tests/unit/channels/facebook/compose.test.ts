import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { composeFacebookPost, type FacebookPost } from '../../../../src/channels/facebook/compose.js';
import { createFacebookComposer } from '../../../../src/channels/facebook/client.js';
import type { Article } from '../../../../src/domain/article.js';
import { makeArticle } from '../../../helpers/articles.js';

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({ tags: ['bridge', 'city hall'], ...overrides });
}

function post(composed: ReturnType<typeof composeFacebookPost>): FacebookPost {
  if ('skip' in composed) throw new Error(`skipped: ${composed.skip}`);
  return composed.post;
}

describe('composeFacebookPost', () => {
  it('writes the title, a blank line and the summary, and links the article', () => {
    expect(post(composeFacebookPost(article()))).toEqual({
      message: 'Harbour bridge reopens after repairs\n\nThe bridge carries traffic again from Monday.',
      link: 'https://news.example.com/city/harbour-bridge-reopens',
    });
  });

  it('leaves no dangling blank line when there is no summary', () => {
    expect(post(composeFacebookPost(article({ summary: '' }))).message).toBe('Harbour bridge reopens after repairs');
  });

  it('skips the article when channels.facebook is false', () => {
    expect(composeFacebookPost(article({ channels: { facebook: false } }))).toEqual({ skip: 'channels.facebook is false' });
  });

  it("uses the publisher's own text, keeping its line breaks", () => {
    const composed = post(composeFacebookPost(article({ channels: { facebook: { text: 'Read this 👉\nnow' }, x: false } })));
    expect(composed).toEqual({ message: 'Read this 👉\nnow', link: 'https://news.example.com/city/harbour-bridge-reopens' });
  });

  it('ignores another channel being switched off', () => {
    expect('post' in composeFacebookPost(article({ channels: { instagram: false } }))).toBe(true);
  });

  it('follows a template with every placeholder', () => {
    const composed = post(composeFacebookPost(article(), { template: '{title} — {url}\n{hashtags}' }));
    expect(composed.message).toBe(
      'Harbour bridge reopens after repairs — https://news.example.com/city/harbour-bridge-reopens\n#bridge #CityHall',
    );
  });

  it('never lets control characters or lone surrogates through', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), (title, summary) => {
        const { message } = post(composeFacebookPost(article({ title, summary })));
        expect(message.isWellFormed()).toBe(true);
        expect(message).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/);
      }),
      { numRuns: 300 },
    );
  });

  it('previews the message, the link and the length', () => {
    const composer = createFacebookComposer();
    const composed = post(composer.compose(article()));
    expect(composer.name).toBe('facebook');
    expect(composer.preview(composed)).toEqual({ message: composed.message, link: composed.link, length: composed.message.length });
  });
});
