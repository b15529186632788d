/**
 * Mastodon's length rule as the channel counts it (src/channels/mastodon/fit.ts), against
 * Mastodon's own examples (spec/validators/status_length_validator_spec.rb) and against the
 * fake instance's counter, written separately from twitter-text's patterns: the channel may count
 * more than Mastodon (code points, whole mentions), never less. Nothing is faked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutToFit } from '../../../../src/domain/cut-to-fit.js';
import { countCodePoints, fitsMastodon, mastodonLength } from '../../../../src/channels/mastodon/fit.js';
import { findCountedLinks } from '../../../../src/channels/mastodon/url-pattern.js';
import { countLikeMastodon } from '../../../helpers/fake-mastodon-server.js';

const links = (text: string) => findCountedLinks(text).map((link) => text.slice(link.start, link.end));

describe('mastodonLength', () => {
  it("counts a link as 23 flat, as Mastodon's own spec does", () => {
    const text = `${'a'.repeat(476)} http://${'b'.repeat(30)}.com/example`;
    expect(mastodonLength(text, 23)).toBe(500);
    expect(countLikeMastodon(text, 23)).toBe(500);
    expect(fitsMastodon(text, { maxCharacters: 500, charactersReservedPerUrl: 23 })).toBe(true);
  });

  it('counts a remote mention whole, where Mastodon counts only its user part', () => {
    const text = `${'a'.repeat(475)} @alice@${'b'.repeat(30)}.com`;
    expect(countLikeMastodon(text, 23)).toBe(482);
    expect(mastodonLength(text, 23)).toBe(countCodePoints(text));
  });

  it("counts the instance's reserve for every link, short or long", () => {
    expect(mastodonLength('see https://t.co/abc and https://news.example.com/a/very/long/path/indeed', 30)).toBe(4 + 30 + 5 + 30);
  });

  it('counts by code point: an emoji family is 7, an accented letter written in two parts is 2', () => {
    expect(mastodonLength('👩‍👩‍👧‍👦', 23)).toBe(7);
    expect(mastodonLength('e\u0301', 23)).toBe(2);
    expect(countLikeMastodon('👩‍👩‍👧‍👦 e\u0301', 23)).toBe(3);
  });

  it.each([
    ['a host on a top-level domain Mastodon does not know', 'https://news.example.invalidtld/story'],
    ['an IP address', 'http://127.0.0.1:8080/story'],
    ['a link without a scheme', 'news.example.com/story'],
    ['a link right after a letter', 'xhttps://news.example.com/story'],
    ['a link inside the path of a link without a scheme', 'example.com/?next=https://news.example.com/story'],
  ])('counts %s character by character', (_, text) => {
    expect(links(text)).toEqual([]);
    expect(mastodonLength(text, 23)).toBe(countCodePoints(text));
    expect(countLikeMastodon(text, 23)).toBe(countCodePoints(text));
  });

  it('ends a link where Mastodon does: not on a full stop, balanced brackets kept', () => {
    expect(links('Read https://example.com/file. Now')).toEqual(['https://example.com/file']);
    expect(links('(see https://en.wikipedia.org/wiki/Bridge_(structure))')).toEqual(['https://en.wikipedia.org/wiki/Bridge_(structure)']);
    expect(links('gemini://example.org/x and dat://foo.com')).toEqual(['gemini://example.org/x', 'dat://foo.com']);
    expect(links('https://t.co/abc123?x=1')).toEqual(['https://t.co/abc123']);
  });

  it('counts a link on a non-ASCII domain as the longer of its length and the reserve', () => {
    expect(mastodonLength('https://bücher.de/x', 23)).toBe(23);
    const long = `https://bücher.de/${'x'.repeat(40)}`;
    expect(mastodonLength(long, 23)).toBe(countCodePoints(long));
  });
});

describe('cutToFit', () => {
  it('cuts at the last word that fits and adds an ellipsis', () => {
    const fits = (text: string) => countCodePoints(text) <= 12;
    expect(cutToFit('one two three four', (part) => part, fits)).toBe('one two…');
  });
});

// ---- the channel never counts less than Mastodon ------------------------------------------

const realHost = fc.constantFrom('example.com', 'news.example.org', 'zeitung.de', 'bbc.co.uk', 't.co', 'bücher.de', 'xn--bcher-kva.de');
const anyLink = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(fc.constantFrom('https://', 'http://', 'HTTPS://', 'gemini://', ''), realHost, fc.string({ unit: 'grapheme', maxLength: 30 }))
    .map(([scheme, host, path]) => `${scheme}${host}/${path.replace(/\s/gu, '')}`),
);
const anyPiece = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  anyLink,
  fc.constantFrom('@alice@example.social', '@bob', ' ', '\n', '(', ')', '.', '#tag', '"', '\u00A0', '…', 'e\u0301', '👩‍👩‍👧‍👦'),
);

describe('mastodonLength, for any text', () => {
  it('is never less than what Mastodon counts', () => {
    fc.assert(
      fc.property(fc.array(anyPiece, { maxLength: 30 }), fc.constantFrom(23, 0, 40), (pieces, reserve) => {
        const text = pieces.join('');
        expect(mastodonLength(text, reserve)).toBeGreaterThanOrEqual(countLikeMastodon(text, reserve));
      }),
      { numRuns: 1000 },
    );
  });
});
