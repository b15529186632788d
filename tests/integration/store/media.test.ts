import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArticleStore } from '../../../src/store/articles.js';
import type { Database } from '../../../src/store/database.js';
import { MediaStore, type StoredMedia } from '../../../src/store/media.js';
import { databaseTargets } from '../../helpers/database.js';
import { articleRecord } from './article-records.js';

describe.each(databaseTargets())('MediaStore on $name', (target) => {
  let database: Database;
  let media: MediaStore;
  beforeEach(async () => {
    database = await target.open();
    media = new MediaStore(database);
    await new ArticleStore(database).insert(articleRecord('with-image'));
  });
  afterEach(async () => {
    await database.close();
  });

  const variant = (body: string, overrides: Partial<StoredMedia> = {}): StoredMedia => ({
    articleId: 'with-image',
    variant: 'instagram',
    sourceUrl: 'https://news.test/a.jpg',
    contentType: 'image/jpeg',
    body: Buffer.from(body),
    width: 1080,
    height: 1350,
    etag: `"${Buffer.from(body).toString('hex')}"`,
    createdAt: new Date('2026-03-01T00:00:00Z'),
    ...overrides,
  });

  it('stores and reads back a variant byte for byte', async () => {
    await media.put(variant('\u00ff\u0000jpeg'));
    expect(await media.get('with-image', 'instagram')).toEqual(variant('\u00ff\u0000jpeg'));
    expect(await media.get('with-image', 'x')).toBeNull();
  });

  it('replaces a variant made again', async () => {
    await media.put(variant('one'));
    await media.put(variant('two', { sourceUrl: 'https://news.test/b.jpg' }));
    expect((await media.get('with-image', 'instagram'))?.body.toString()).toBe('two');
  });

  it('refuses media for an article that does not exist', async () => {
    await expect(media.put(variant('x', { articleId: 'nobody' }))).rejects.toThrow();
  });
});
