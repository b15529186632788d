import { describe, expect, it } from 'vitest';
import type { ArticleRecord } from '../../../../src/domain/article.js';
import { renderFragment } from '../../../../src/channels/feeds/feed-parts.js';
import { feedItem, FragmentCache } from '../../../../src/channels/feeds/fragment-cache.js';
import { FEED_ITEM_CONTENT_LIMIT } from '../../../../src/channels/feeds/item-limits.js';
import { makeArticle, makeContext, PUBLISHED } from './feed-test-kit.js';

function makeRecord(id: string, revision = 1, overrides: Partial<ArticleRecord> = {}): ArticleRecord {
  return {
    ...makeArticle({ id, title: `Title ${id} r${revision}` }),
    revision,
    state: 'published',
    contentHash: `${id}-${revision}`,
    createdAt: PUBLISHED,
    updatedAt: PUBLISHED,
    retractedAt: null,
    ...overrides,
  };
}

const context = makeContext();

describe('FragmentCache', () => {
  it('renders each article once per format and revision, and gives what renderFragment gives', () => {
    const cache = new FragmentCache();
    const records = [makeRecord('a'), makeRecord('b'), makeRecord('c')];
    const first = cache.fragments('atom', records, FEED_ITEM_CONTENT_LIMIT, context);
    expect(first).toEqual(records.map((record) => renderFragment('atom', feedItem(record, FEED_ITEM_CONTENT_LIMIT), context)));
    expect(cache.renderCount).toBe(3);

    expect(cache.fragments('atom', records.slice(1), FEED_ITEM_CONTENT_LIMIT, context)).toEqual(first.slice(1));
    expect(cache.renderCount).toBe(3);
    cache.fragments('rss', records, FEED_ITEM_CONTENT_LIMIT, context);
    expect(cache.renderCount).toBe(6);
  });

  it('renders an article again when its revision or its updated time moves', () => {
    const cache = new FragmentCache();
    cache.fragments('rss', [makeRecord('a')], FEED_ITEM_CONTENT_LIMIT, context);
    const edited = cache.fragments('rss', [makeRecord('a', 2)], FEED_ITEM_CONTENT_LIMIT, context);
    expect(edited[0]!.text).toContain('Title a r2');
    const touched = makeRecord('a', 2, { updatedAt: new Date(PUBLISHED.getTime() + 60_000) });
    cache.fragments('rss', [touched], FEED_ITEM_CONTENT_LIMIT, context);
    expect(cache.renderCount).toBe(3);
  });

  it('keeps at most maxEntries fragments, the least recently used going first', () => {
    const cache = new FragmentCache({ maxEntries: 2 });
    const [a, b, c] = [makeRecord('a'), makeRecord('b'), makeRecord('c')];
    cache.fragments('json', [a, b], FEED_ITEM_CONTENT_LIMIT, context);
    cache.fragments('json', [a], FEED_ITEM_CONTENT_LIMIT, context);
    cache.fragments('json', [c], FEED_ITEM_CONTENT_LIMIT, context);
    expect(cache.renderCount).toBe(3);
    cache.fragments('json', [a], FEED_ITEM_CONTENT_LIMIT, context);
    expect(cache.renderCount).toBe(3);
    cache.fragments('json', [b], FEED_ITEM_CONTENT_LIMIT, context);
    expect(cache.renderCount).toBe(4);
  });
});
