/**
 * FeedDocumentStore against real SQLite and PostgreSQL (nothing faked).
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/store/database.js';
import { FeedDocumentStore, type FeedDocument } from '../../../src/store/feed-documents.js';
import { databaseTargets } from '../../helpers/database.js';
import { minutesAfter, T0 } from './article-records.js';

function feedDocument(key: string, xml: string, etag: string, lastModified: Date): FeedDocument {
  const body = Buffer.from(xml, 'utf8');
  return {
    key,
    contentType: 'application/rss+xml; charset=utf-8',
    body,
    gzip: gzipSync(body),
    brotli: brotliCompressSync(body),
    etag,
    lastModified,
  };
}

describe.each(databaseTargets())('FeedDocumentStore on $name', (target) => {
  let database: Database;
  let documents: FeedDocumentStore;

  beforeEach(async () => {
    database = await target.open();
    documents = new FeedDocumentStore(database);
  });

  afterEach(async () => {
    await database.close();
  });

  it('returns the exact bytes it stored, as Buffers', async () => {
    const document = feedDocument('site/rss', '<rss>🎉 ]]> مرحبا 你好</rss>', '"v1"', T0);
    // Every byte value, NUL included, must survive BLOB/BYTEA.
    document.brotli = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

    expect(await documents.put(document, T0)).toBe(true);

    const stored = await documents.get('site/rss');
    expect(stored).toEqual(document);
    expect(Buffer.isBuffer(stored?.body)).toBe(true);
    expect(Buffer.isBuffer(stored?.gzip)).toBe(true);
  });

  it('changes nothing, keeping Last-Modified, when the etag is unchanged', async () => {
    await documents.put(feedDocument('site/rss', '<rss>one</rss>', '"v1"', T0), T0);

    const again = feedDocument('site/rss', '<rss>one</rss>', '"v1"', minutesAfter(T0, 10));
    expect(await documents.put(again, minutesAfter(T0, 10))).toBe(false);

    expect(await documents.getValidators('site/rss')).toEqual({ etag: '"v1"', lastModified: T0 });
  });

  it('replaces the document and its validators when the etag changes', async () => {
    await documents.put(feedDocument('site/rss', '<rss>one</rss>', '"v1"', T0), T0);

    const next = feedDocument('site/rss', '<rss>two</rss>', '"v2"', minutesAfter(T0, 10));
    expect(await documents.put(next, minutesAfter(T0, 10))).toBe(true);

    expect(await documents.get('site/rss')).toEqual(next);
    expect(await documents.getValidators('site/rss')).toEqual({ etag: '"v2"', lastModified: minutesAfter(T0, 10) });
  });

  it('lists its keys in order and forgets a removed document', async () => {
    for (const key of ['site/rss', 'category/south-asia/atom', 'site/atom']) {
      await documents.put(feedDocument(key, `<feed>${key}</feed>`, `"${key}"`, T0), T0);
    }

    expect(await documents.keys()).toEqual(['category/south-asia/atom', 'site/atom', 'site/rss']);

    await documents.remove('site/atom');
    await documents.remove('never-there');

    expect(await documents.keys()).toEqual(['category/south-asia/atom', 'site/rss']);
    expect(await documents.get('site/atom')).toBeNull();
    expect(await documents.getValidators('site/atom')).toBeNull();
  });
});
