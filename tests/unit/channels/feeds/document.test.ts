import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildFeedDocument, feedKey } from '../../../../src/channels/feeds/document.js';
import { renderFeed } from '../../../../src/channels/feeds/render.js';
import { makeContext, makeItem } from './feed-test-kit.js';

const LAST_MODIFIED = new Date('2026-03-02T10:00:00.000Z');
const body = renderFeed('rss', [makeItem({ title: 'Ünïcödé 日本語 👩‍👩‍👧‍👦' })], makeContext());

describe('buildFeedDocument', () => {
  it('stores the body as UTF-8 with the content type of its format', async () => {
    const document = await buildFeedDocument('site/rss', 'rss', body, LAST_MODIFIED);
    expect(document.key).toBe('site/rss');
    expect(document.contentType).toBe('application/rss+xml; charset=utf-8');
    expect(document.body.toString('utf8')).toBe(body);
    expect((await buildFeedDocument('site/json', 'json', '{}', LAST_MODIFIED)).contentType).toBe('application/feed+json; charset=utf-8');
  });

  it('pre-compresses bodies that decompress to the identity body', async () => {
    const document = await buildFeedDocument('site/rss', 'rss', body, LAST_MODIFIED);
    expect(gunzipSync(document.gzip).equals(document.body)).toBe(true);
    expect(brotliDecompressSync(document.brotli).equals(document.body)).toBe(true);
    expect(document.gzip.length).toBeLessThan(document.body.length);
    expect(document.brotli.length).toBeLessThan(document.body.length);
  });

  it('gives the same body the same ETag, whatever its key or date', async () => {
    const first = await buildFeedDocument('site/rss', 'rss', body, LAST_MODIFIED);
    const second = await buildFeedDocument('category/city/rss', 'rss', body, new Date('2027-01-01T00:00:00Z'));
    expect(second.etag).toBe(first.etag);
  });

  it('gives a different body a different ETag', async () => {
    const first = await buildFeedDocument('site/rss', 'rss', body, LAST_MODIFIED);
    const second = await buildFeedDocument('site/rss', 'rss', `${body} `, LAST_MODIFIED);
    expect(second.etag).not.toBe(first.etag);
  });

  it('uses a quoted strong validator, never a weak W/ one', async () => {
    const { etag } = await buildFeedDocument('site/rss', 'rss', body, LAST_MODIFIED);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etag.startsWith('W/')).toBe(false);
  });

  it('keeps Last-Modified to whole seconds, as HTTP dates carry no milliseconds', async () => {
    const { lastModified } = await buildFeedDocument('site/rss', 'rss', body, new Date('2026-03-02T10:00:00.987Z'));
    expect(lastModified.toISOString()).toBe('2026-03-02T10:00:00.000Z');
  });
});

describe('feedKey', () => {
  it('names site feeds and category feeds per format', () => {
    expect(feedKey('rss')).toBe('site/rss');
    expect(feedKey('json')).toBe('site/json');
    expect(feedKey('atom', 'transport-roads')).toBe('category/transport-roads/atom');
  });

  it('refuses a slug that would escape its folder or is empty', () => {
    expect(() => feedKey('rss', 'a/b')).toThrow(RangeError);
    expect(() => feedKey('rss', '')).toThrow(RangeError);
  });
});
