/**
 * Publish → feeds, end to end in one process.
 * Real: Redis, SQLite and PostgreSQL, BullMQ workers, feed rendering, the Fastify app (inject).
 * Faked: nothing; the clock is real, so scheduled articles are a second or two in the future.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonFeed, readXmlFeed } from '../helpers/feeds.js';
import { startTestSyndicate, type TestSyndicate } from '../helpers/syndicate.js';
import { waitFor } from '../helpers/wait.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/article.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe.each(['sqlite', 'postgres'] as const)('publishing pipeline on %s', (database) => {
  let t: TestSyndicate;
  beforeAll(async () => {
    t = await startTestSyndicate(`pipeline-${database}`, { database });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: '/api/articles', headers: t.auth, payload: payload as object });

  async function feedHas(url: string, id: string, present = true) {
    return waitFor(
      async () => {
        const response = await get(url);
        if (response.statusCode !== 200) return false;
        const has = response.body.includes(id);
        return has === present ? response : false;
      },
      5000,
      `${url} ${present ? 'to include' : 'to drop'} ${id}`,
    );
  }

  it('serves empty, valid feeds before anything is published', async () => {
    const rss = await get('/feed.xml');
    expect(rss.statusCode).toBe(200);
    expect(rss.headers['content-type']).toBe('application/rss+xml; charset=utf-8');
    expect(readXmlFeed(rss.body).items).toHaveLength(0);
  });

  it('publishes an article into every feed and its category feeds', async () => {
    const response = await post(fixture);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ id: 'harbour-bridge-reopens', revision: 1, state: 'queued' });

    const rss = readXmlFeed((await feedHas('/feed.xml', 'harbour-bridge-reopens')).body);
    expect(rss.items[0]?.title).toBe('Harbour bridge reopens after a year of repairs');
    expect(rss.items[0]?.url).toBe(fixture.url);
    const atom = readXmlFeed((await feedHas('/atom.xml', 'harbour-bridge-reopens')).body);
    expect(atom.items[0]?.title).toBe('Harbour bridge reopens after a year of repairs');
    const json = readJsonFeed((await feedHas('/feed.json', 'harbour-bridge-reopens')).body);
    expect(json.items[0]?.id).toBe('harbour-bridge-reopens');
    for (const file of ['feed.xml', 'atom.xml', 'feed.json']) {
      await feedHas(`/categories/transport-roads/${file}`, 'harbour-bridge-reopens');
    }

    const status = await waitFor(async () => {
      const view = (await t.app.inject({ method: 'GET', url: '/api/articles/harbour-bridge-reopens', headers: t.auth })).json();
      return view.deliveries.feeds?.state === 'sent' ? view : false;
    });
    expect(status).toMatchObject({ state: 'published', revision: 1, deliveries: { feeds: { state: 'sent', attempts: 1 } } });
  });

  it('answers a re-POST of identical content with 200 and creates nothing new', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/articles/harbour-bridge-reopens', headers: t.auth })).json();
    const again = await post(fixture);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: 'harbour-bridge-reopens', revision: 1, result: 'unchanged' });
    const after = (await t.app.inject({ method: 'GET', url: '/api/articles/harbour-bridge-reopens', headers: t.auth })).json();
    expect(after.revision).toBe(1);
    expect(after.deliveries).toEqual(before.deliveries);
    const counts = await t.syndicate.queues.channel('feeds').getJobCounts();
    expect((counts.completed ?? 0) + (counts.active ?? 0) + (counts.waiting ?? 0)).toBeLessThanOrEqual(2);
  });

  it('answers 304 to If-None-Match and If-Modified-Since, per coding', async () => {
    const first = await get('/feed.xml', { 'accept-encoding': 'br' });
    expect(first.headers['content-encoding']).toBe('br');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[^"]+-br"$/);
    expect((await get('/feed.xml', { 'if-none-match': etag, 'accept-encoding': 'br' })).statusCode).toBe(304);
    expect((await get('/feed.xml', { 'if-none-match': etag })).statusCode).toBe(304);
    const lastModified = String(first.headers['last-modified']);
    expect((await get('/feed.xml', { 'if-modified-since': lastModified })).statusCode).toBe(304);
    expect((await get('/feed.xml', { 'if-none-match': '"stale"' })).statusCode).toBe(200);
    const gzip = await get('/feed.xml', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toBe('Accept-Encoding');
  });

  it('updates an article: same guid, new text, no second delivery', async () => {
    const before = (await get('/feed.json')).json();
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/articles/harbour-bridge-reopens',
      headers: t.auth,
      payload: { ...fixture, title: 'Harbour bridge reopens, two weeks early' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ revision: 2, result: 'updated' });
    const rss = readXmlFeed((await feedHas('/feed.xml', 'two weeks early')).body);
    expect(rss.items).toHaveLength(1);
    expect(rss.items[0]?.id).toBe('harbour-bridge-reopens');
    const after = readJsonFeed((await feedHas('/feed.json', 'two weeks early')).body);
    expect(after.items[0]?.id).toBe(before.items[0].id);
    expect(after.items[0]?.date_modified).not.toBe(before.items[0].date_modified);
    const view = (await t.app.inject({ method: 'GET', url: '/api/articles/harbour-bridge-reopens', headers: t.auth })).json();
    expect(view.deliveries.feeds.attempts).toBe(1);
  });

  it('treats a POST of changed content under the same id as an update', async () => {
    const response = await post({ ...fixture, title: 'Harbour bridge reopens: buses back Monday' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ revision: 3, result: 'updated' });
    await feedHas('/atom.xml', 'buses back Monday');
  });

  it('keeps a scheduled article out of the feeds until its time, then publishes it', async () => {
    const publishedAt = new Date(Date.now() + 1500).toISOString();
    const response = await post({ url: 'https://news.test/scheduled', title: 'Scheduled story', id: 'scheduled-story', publishedAt });
    expect(response.statusCode).toBe(202);
    expect(response.json().state).toBe('scheduled');
    const view = (await t.app.inject({ method: 'GET', url: '/api/articles/scheduled-story', headers: t.auth })).json();
    expect(view.deliveries.feeds.state).toBe('scheduled');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await get('/feed.xml')).body).not.toContain('scheduled-story');
    await feedHas('/feed.xml', 'scheduled-story');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(publishedAt));
  });

  it('retracts: gone from every feed, a scheduled delivery cancelled', async () => {
    await post({
      url: 'https://news.test/later',
      title: 'Later story',
      id: 'later-story',
      publishedAt: new Date(Date.now() + 1500).toISOString(),
    });
    const retracted = await t.app.inject({ method: 'DELETE', url: '/api/articles/later-story', headers: t.auth });
    expect(retracted.statusCode).toBe(200);
    expect(retracted.json()).toMatchObject({ state: 'retracted', deliveries: { feeds: { state: 'cancelled' } } });
    expect(await t.syndicate.queues.publish.getJob('publish-later-story')).toBeUndefined();

    const gone = await t.app.inject({ method: 'DELETE', url: '/api/articles/harbour-bridge-reopens', headers: t.auth });
    expect(gone.statusCode).toBe(200);
    for (const url of ['/feed.xml', '/atom.xml', '/feed.json', '/categories/transport-roads/feed.xml']) {
      await feedHas(url, 'harbour-bridge-reopens', false);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await get('/feed.xml')).body).not.toContain('later-story');
    const later = (await t.app.inject({ method: 'GET', url: '/api/articles/later-story', headers: t.auth })).json();
    expect(later.deliveries.feeds.state).toBe('cancelled');
    const again = await post(fixture);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ARTICLE_RETRACTED');
  });

  it('lists articles newest first with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      await post({ url: `https://news.test/list-${i}`, title: `List ${i}`, id: `list-${i}`, publishedAt: `2026-01-0${i + 1}T00:00:00Z` });
    }
    const first = (await t.app.inject({ method: 'GET', url: '/api/articles?limit=2', headers: t.auth })).json();
    expect(first.items).toHaveLength(2);
    const second = (await t.app.inject({ method: 'GET', url: `/api/articles?limit=2&cursor=${first.nextCursor}`, headers: t.auth })).json();
    const ids = [...first.items, ...second.items].map((item: { id: string }) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    const bad = await t.app.inject({ method: 'GET', url: '/api/articles?cursor=%%%', headers: t.auth });
    expect(bad.statusCode).toBe(400);
  });
});
