import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assembleFeed,
  assembleWithinLimit,
  renderFragment,
  renderFragments,
  renderSkeleton,
} from '../../../../src/channels/feeds/feed-parts.js';
import { renderFeed, type FeedContext, type FeedFormat, type FeedItem } from '../../../../src/channels/feeds/render.js';
import { FEED_FORMATS } from '../../../../src/channels/feeds/urls.js';
import { hostileArticle, hostileContext, hostileText, makeContext, makeItem, webUrl } from './feed-test-kit.js';

const instant = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });

const hostileItem: fc.Arbitrary<FeedItem> = fc.record({ article: hostileArticle, updatedAt: instant });

/** A feed (site-wide or a category's) and another feed of the same site, where fragments were rendered. */
const twoFeedsOfOneSite: fc.Arbitrary<{ feed: FeedContext; elsewhere: FeedContext }> = fc
  .record({
    feed: hostileContext,
    elsewhere: hostileContext,
    siteUrl: webUrl,
    language: fc.option(hostileText, { nil: undefined }),
    updated: instant,
  })
  .map(({ feed, elsewhere, siteUrl, language, updated }) => ({
    feed: { ...feed, siteUrl, updated, ...(language === undefined ? {} : { language }) },
    elsewhere: { ...elsewhere, siteUrl },
  }));

function assembled(format: FeedFormat, items: readonly FeedItem[], context: FeedContext, fragmentContext: FeedContext): string {
  const fragments = items.map((item) => renderFragment(format, item, fragmentContext));
  return assembleFeed(renderSkeleton(format, context, fragments), fragments);
}

describe('a feed assembled from its skeleton and item fragments', () => {
  it('is byte for byte the whole-document render, in every format, for any articles and feed', () => {
    let articles = 0;
    fc.assert(
      fc.property(fc.array(hostileItem, { maxLength: 6 }), twoFeedsOfOneSite, (items, { feed, elsewhere }) => {
        articles += items.length;
        for (const format of FEED_FORMATS) {
          // Fragments rendered for another feed of the site (another category, title, time):
          // an item's fragment does not depend on the feed that carries it.
          expect(assembled(format, items, feed, elsewhere), format).toBe(renderFeed(format, items, feed));
          // Rendered together (cache misses are), each item's fragment is the one it has alone.
          expect(renderFragments(format, items, elsewhere), format).toEqual(items.map((item) => renderFragment(format, item, feed)));
        }
      }),
      { numRuns: 250 },
    );
    expect(articles).toBeGreaterThan(500);
  });

  it('names the site as the Atom author exactly when some entry names none', () => {
    const withAuthor = makeItem();
    const without = makeItem({ id: 'no-author', authors: [{ name: ' \u0000 ' }] });
    const context = makeContext();
    for (const items of [[withAuthor], [withAuthor, without], [without], []]) {
      expect(assembled('atom', items, context, context)).toBe(renderFeed('atom', items, context));
    }
    expect(assembled('atom', [withAuthor, without], context, context)).toContain('<uri>https://news.example.com/</uri>');
    expect(assembled('atom', [withAuthor], context, context)).not.toContain('<uri>https://news.example.com/</uri>');
  });
});

describe('assembleWithinLimit', () => {
  it('gives the whole-document render of the longest run of newest items within the limit', () => {
    let cut = 0;
    fc.assert(
      fc.property(
        fc.array(hostileItem, { maxLength: 6 }),
        hostileContext,
        fc.constantFrom(...FEED_FORMATS),
        fc.nat({ max: 6000 }),
        (items, context, format, limit) => {
          const fragments = items.map((item) => renderFragment(format, item, context));
          let expected = 0;
          for (let count = 1; count <= items.length; count++) {
            if (Buffer.byteLength(renderFeed(format, items.slice(0, count), context), 'utf8') > limit) break;
            expected = count;
          }
          const fitted = assembleWithinLimit(format, context, fragments, limit);
          expect(fitted.items).toBe(expected);
          expect(fitted.body).toBe(renderFeed(format, items.slice(0, expected), context));
          if (expected > 0 && expected < items.length) cut++;
        },
      ),
      { numRuns: 300 },
    );
    // Not only the easy cases (all fit, none fit).
    expect(cut).toBeGreaterThan(20);
  });
});
