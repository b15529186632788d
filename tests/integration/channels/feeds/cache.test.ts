/**
 * FeedCache: what an API process keeps in memory is bounded by count and bytes (least recently
 * used first out), remembered misses are few, and a feed too big for the budget is served but
 * not kept. Real: SQLite and the FeedDocumentStore; nothing faked.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FeedCache } from '../../../../src/channels/feeds/cache.js';
import { buildFeedDocument } from '../../../../src/channels/feeds/document.js';
import type { Database } from '../../../../src/store/database.js';
import { FeedDocumentStore } from '../../../../src/store/feed-documents.js';
import { databaseTargets } from '../../../helpers/database.js';

const sqlite = databaseTargets().find((target) => target.name === 'sqlite')!;
const NOW = new Date('2026-03-02T10:00:00.000Z');

/** A stored RSS document whose body is `size` bytes of varied text. */
async function store(documents: FeedDocumentStore, key: string, size: number): Promise<void> {
  let text = `<rss>${key}`;
  for (let i = 0; text.length < size - 6; i++) text += ` w${(i * 2654435761) % 99991}`;
  await documents.put(await buildFeedDocument(key, 'rss', `${text.slice(0, size - 6)}</rss>`, NOW), NOW);
}

describe('FeedCache', () => {
  let database: Database;
  let documents: FeedDocumentStore;
  beforeEach(async () => {
    database = await sqlite.open();
    documents = new FeedDocumentStore(database);
  });
  afterEach(async () => {
    await database.close();
  });

  it('keeps at most maxEntries feeds, dropping the least recently used', async () => {
    for (let i = 0; i < 6; i++) await store(documents, `category/desk-${i}/rss`, 2000);
    const cache = new FeedCache(documents, 'public, max-age=60', { maxEntries: 3, maxAgeMs: 60_000 });
    for (let i = 0; i < 3; i++) await cache.get(`category/desk-${i}/rss`);
    expect(cache.peek('category/desk-0/rss')).not.toBeUndefined(); // desk-0 is now the most recent
    await cache.get('category/desk-3/rss');
    expect(cache.stats().entries).toBe(3);
    expect(cache.peek('category/desk-1/rss')).toBeUndefined();
    expect(cache.peek('category/desk-0/rss')?.document.key).toBe('category/desk-0/rss');
    for (let i = 0; i < 6; i++) await cache.get(`category/desk-${i}/rss`);
    expect(cache.stats().entries).toBe(3);
  });

  it('keeps at most maxBytes of bodies, and serves a feed bigger than that without keeping it', async () => {
    for (let i = 0; i < 4; i++) await store(documents, `category/desk-${i}/rss`, 20_000);
    await store(documents, 'site/rss', 200_000);
    const cache = new FeedCache(documents, 'public, max-age=60', { maxBytes: 50_000, maxAgeMs: 60_000 });
    for (let i = 0; i < 4; i++) await cache.get(`category/desk-${i}/rss`);
    expect(cache.stats().bytes).toBeLessThanOrEqual(50_000);
    expect(cache.stats().entries).toBeLessThan(4);
    const big = await cache.get('site/rss');
    expect(big?.document.body.length).toBe(200_000);
    expect(cache.peek('site/rss')).toBeUndefined();
    expect(cache.stats().bytes).toBeLessThanOrEqual(50_000);
  });

  it('remembers at most maxMisses unknown feeds', async () => {
    const cache = new FeedCache(documents, 'public, max-age=60', { maxMisses: 10, maxAgeMs: 60_000 });
    for (let i = 0; i < 100; i++) expect(await cache.get(`category/nothing-${i}/rss`)).toBeNull();
    expect(cache.stats().misses).toBe(10);
    // The most recent misses are still answered from memory.
    expect(cache.peek('category/nothing-99/rss')).toBeNull();
    expect(cache.peek('category/nothing-0/rss')).toBeUndefined();
  });

  it('forgets a miss and a feed when told they changed', async () => {
    const cache = new FeedCache(documents, 'public, max-age=60', { maxAgeMs: 60_000 });
    expect(await cache.get('category/new/rss')).toBeNull();
    await store(documents, 'category/new/rss', 1000);
    expect(await cache.get('category/new/rss')).toBeNull();
    cache.invalidate(['category/new/rss']);
    expect((await cache.get('category/new/rss'))?.document.key).toBe('category/new/rss');
    cache.invalidate();
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0, misses: 0 });
  });
});
