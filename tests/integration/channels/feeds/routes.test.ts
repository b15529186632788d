/**
 * Category feed URLs a stranger makes up: 404 NOT_FOUND in our shape (never a 500), no database
 * read for a slug no category can have, and memory that stays bounded however many unknown
 * slugs are asked for.
 * Real: Redis, SQLite, workers, Fastify (inject) and node:http on a loopback port (fast path).
 */
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { feedsModule } from '../../../../src/channels/feeds/module.js';
import { FeedDocumentStore } from '../../../../src/store/feed-documents.js';
import { startTestSyndicate, type TestSyndicate } from '../../../helpers/syndicate.js';
import { waitFor } from '../../../helpers/wait.js';

let t: TestSyndicate;
let port: number;
beforeAll(async () => {
  t = await startTestSyndicate('feed-routes');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
  await t.syndicate.service.submit({ id: 'known', url: 'https://news.test/known', title: 'Known', categories: ['Harbour'] });
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${port}/categories/harbour/feed.xml`)).status === 200,
    10_000,
    'the category feed',
  );
});
afterAll(async () => {
  await t?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function expectNotFound(status: number, body: string, what: string): void {
  expect(status, what).toBe(404);
  const parsed = JSON.parse(body) as { error: { code: string; message: string; details: unknown[] } };
  expect(parsed, what).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), details: [] } });
}

const IMPOSSIBLE = ['/categories/a%2Fb/feed.xml', '/categories//feed.xml', '/categories/%2F/feed.json', '/categories/%2F%2F/atom.xml'];

describe('category feeds that cannot exist', () => {
  it('answer 404 NOT_FOUND in our shape through Fastify', async () => {
    for (const url of IMPOSSIBLE) {
      const response = await t.app.inject({ method: 'GET', url });
      expectNotFound(response.statusCode, response.body, url);
    }
  });

  it('answer 404 NOT_FOUND in our shape over a socket (where the fast path looks first)', async () => {
    for (const url of IMPOSSIBLE) {
      const response = await fetch(`http://127.0.0.1:${port}${url}`);
      expectNotFound(response.status, await response.text(), url);
    }
  });

  it('answer a slug longer than any category can have with 404, without reading the database', async () => {
    const reads = vi.spyOn(FeedDocumentStore.prototype, 'get');
    const validators = vi.spyOn(FeedDocumentStore.prototype, 'getValidators');
    for (const slug of ['a'.repeat(201), encodeURIComponent('国'.repeat(201)), 'b'.repeat(2000)]) {
      for (const file of ['feed.xml', 'atom.xml', 'feed.json']) {
        const response = await t.app.inject({ method: 'GET', url: `/categories/${slug}/${file}` });
        expectNotFound(response.statusCode, response.body, `${slug.length}-character slug`);
      }
    }
    expect(reads).not.toHaveBeenCalled();
    expect(validators).not.toHaveBeenCalled();
  });

  it('still serves real category feeds, under any case', async () => {
    for (const url of ['/categories/harbour/feed.xml', '/categories/HARBOUR/atom.xml', '/categories/Harbour/feed.json']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});

describe('memory held for feeds', () => {
  it('stays bounded after 5,000 requests for unknown category feeds', async () => {
    const { cache } = t.syndicate.channel(feedsModule).services;
    const limits = cache.limits;
    for (let start = 0; start < 5000; start += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, i) =>
          t.app.inject({ method: 'GET', url: `/categories/unknown-${start + i}-${'x'.repeat(150)}/feed.xml` }),
        ),
      );
    }
    const held = cache.stats();
    expect(held.misses).toBeLessThanOrEqual(limits.maxMisses);
    expect(held.entries).toBeLessThanOrEqual(limits.maxEntries);
    expect(held.bytes).toBeLessThanOrEqual(limits.maxBytes);
    // The real feed is still answered.
    expect((await t.app.inject({ method: 'GET', url: '/categories/harbour/feed.xml' })).statusCode).toBe(200);
  });

  it('forgets a cached "no such feed" when the feed appears', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/categories/late-desk/feed.xml' });
    expect(unknown.statusCode).toBe(404);
    await t.syndicate.service.submit({ id: 'late', url: 'https://news.test/late', title: 'Late', categories: ['Late desk'] });
    await waitFor(async () => (await t.app.inject({ method: 'GET', url: '/categories/late-desk/feed.xml' })).statusCode === 200, 10_000);
  });
});
