/**
 * Mastodon and Bluesky end to end: `syndicate start` in a child process (CHANNELS=feeds,mastodon,
 * bluesky) posting to local servers that speak Mastodon's REST API and the PDS's XRPC methods,
 * with their error bodies, rate-limit headers, Idempotency-Key and record keys. Then a second
 * process without their credentials (OUTBOX=true), and `syndicate preview`.
 * Real: the service, Redis, SQLite, sharp, @atproto/api, an image server. Faked: the platforms.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueskyRecordKey } from '../../src/channels/bluesky/record-key.js';
import { startFakeBluesky, type FakeBluesky, type StoredRecord } from '../helpers/fake-bluesky-server.js';
import {
  MASTODON_ERRORS,
  mastodonRateLimitHeaders,
  startFakeMastodon,
  type FakeMastodon,
  type RecordedRequest,
} from '../helpers/fake-mastodon-server.js';
import { freePort } from '../helpers/ports.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const bin = fileURLToPath(new URL('../../bin/syndicate.js', import.meta.url));
const TOKEN = 'mastodon-bluesky-e2e-publisher-token';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The process env without any Mastodon or Bluesky setting the developer's shell may carry. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(MASTODON|BLUESKY)_/.test(name)));
}

interface Service {
  child: ChildProcess;
  base: string;
  dataDir: string;
  prefix: string;
  output: () => string;
  api(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }>;
  deliveries(id: string): Promise<Record<string, any>>;
  settled(id: string, expected: Record<string, string>): Promise<Record<string, any>>;
  stop(): Promise<void>;
}

async function startService(name: string, env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `syndicate-${name}-`));
  const prefix = uniquePrefix(name);
  const child = spawn(process.execPath, [bin, 'start'], {
    env: {
      ...baseEnv(),
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      DATA_DIR: dataDir,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PUBLISHER_TOKEN: TOKEN,
      CHANNELS: 'feeds,mastodon,bluesky',
      SITE_LANGUAGE: 'en',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const deliveries = async (id: string) => (await api('GET', `/api/articles/${id}`)).body.deliveries as Record<string, any>;
  const service: Service = {
    child,
    base,
    dataDir,
    prefix,
    output: () => output,
    api,
    deliveries,
    settled: (id, expected) =>
      waitFor(
        async () => {
          const current = await deliveries(id);
          return Object.entries(expected).every(([channel, state]) => current[channel]?.state === state) ? current : false;
        },
        25_000,
        `${id}: ${JSON.stringify(expected)}`,
      ).catch(async (error: unknown) => {
        // Say where it stands, with the service's last words, rather than only "timed out".
        const current = await deliveries(id).catch(() => null);
        throw new Error(`${(error as Error).message}\nnow: ${JSON.stringify(current)}\nlog tail:\n${output.slice(-4000)}`);
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await deletePrefix(prefix);
    },
  };
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 25_000, `the ${name} service`);
  } catch (error) {
    await service.stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return service;
}

/** The status POSTs whose text links to `url`. */
const statusPosts = (mastodon: FakeMastodon, url: string): RecordedRequest[] =>
  mastodon.requestsTo('POST', '/api/v1/statuses').filter((request) => String((request.json as any)?.status).includes(url));

/** The Bluesky records whose link card goes to `url`. */
const recordsFor = (bluesky: FakeBluesky, url: string): StoredRecord[] =>
  [...bluesky.records.values()].filter((record) => (record.value.embed as any)?.external?.uri === url);

/** createRecord calls for a post linking to `url` (answered or not). */
const createRecordCalls = (bluesky: FakeBluesky, url: string) =>
  bluesky.requestsTo('com.atproto.repo.createRecord').filter((request) => request.body.toString('utf8').includes(url));

describe('publishing to Mastodon and Bluesky', () => {
  let mastodon: FakeMastodon;
  let bluesky: FakeBluesky;
  let images: Server;
  let imageUrl: string;
  let service: Service;

  beforeAll(async () => {
    mastodon = await startFakeMastodon();
    bluesky = await startFakeBluesky();
    const jpeg = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#36a' } })
      .jpeg()
      .toBuffer();
    images = createServer((_request, response) => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/ferry.jpg`;

    service = await startService('mastodon-bluesky', {
      MASTODON_URL: mastodon.url,
      MASTODON_TOKEN: mastodon.token,
      BLUESKY_SERVICE: bluesky.url,
      BLUESKY_HANDLE: bluesky.handle,
      BLUESKY_APP_PASSWORD: bluesky.appPassword,
      MEDIA_ALLOW_PRIVATE: 'true',
    });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await mastodon?.close();
    await bluesky?.close();
    await new Promise((resolve) => images?.close(resolve));
  }, 30_000);

  it('logs that Mastodon and Bluesky are live, without their secrets', () => {
    expect(service.output()).toMatch(/channels: live feeds, mastodon, bluesky/);
    expect(service.output()).not.toContain(mastodon.token);
    expect(service.output()).not.toContain(bluesky.appPassword);
  });

  it('posts each article once on each network: Mastodon media with its description, a Bluesky link card with its thumb', async () => {
    const article = {
      id: 'ferry-social',
      url: 'https://news.test/ferry-social',
      title: 'Night ferry returns to the islands after ten years',
      summary: 'Sailings start in May.',
      tags: ['Ferries', 'Islands'],
      image: { url: imageUrl, alt: 'The ferry at the quay at dusk' },
    };
    expect((await service.api('POST', '/api/articles', article)).status).toBe(202);
    const done = await service.settled('ferry-social', { mastodon: 'sent', bluesky: 'sent' });

    // Mastodon: one public status with the link, the hashtags and the described image.
    expect(statusPosts(mastodon, article.url)).toHaveLength(1);
    const statuses = [...mastodon.statuses.values()].filter((status) => status.text.includes(article.url));
    expect(statuses).toHaveLength(1);
    const status = statuses[0]!;
    expect(status.text).toContain('Night ferry returns to the islands');
    expect(status.text).toMatch(/#Ferries #Islands/);
    expect(status.visibility).toBe('public');
    expect(status.language).toBe('en');
    expect(status.idempotencyKey).toMatch(/^syndicate-[0-9a-f]{64}$/);
    expect(status.mediaIds).toHaveLength(1);
    const media = mastodon.media.get(status.mediaIds[0]!)!;
    expect(media.description).toBe('The ferry at the quay at dusk');
    expect(media.file.contentType).toBe('image/jpeg');
    expect(done.mastodon.externalId).toBe(status.id);
    expect(done.mastodon.externalUrl).toBe(`${mastodon.url}/@newsroom/${status.id}`);
    expect(done.mastodon.attempts).toBe(1);

    // Bluesky: one post under the key derived from the article, with facets and a link card.
    const records = recordsFor(bluesky, article.url);
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.rkey).toBe(blueskyRecordKey('ferry-social'));
    const value = record.value as any;
    expect(value.text).toContain(article.url);
    expect(value.langs).toEqual(['en']);
    const features = (value.facets as any[]).flatMap((facet) => facet.features);
    expect(features).toContainEqual({ $type: 'app.bsky.richtext.facet#link', uri: article.url });
    expect(features).toContainEqual({ $type: 'app.bsky.richtext.facet#tag', tag: 'Ferries' });
    expect(features).toContainEqual({ $type: 'app.bsky.richtext.facet#tag', tag: 'Islands' });
    const external = value.embed.external;
    expect(external).toMatchObject({ uri: article.url, title: article.title, description: 'Sailings start in May.' });
    const blob = bluesky.blobs.get(external.thumb.ref.$link)!;
    expect(blob).toBeDefined();
    expect(blob.mimeType).toBe('image/jpeg');
    expect(blob.size).toBeLessThanOrEqual(1_000_000);
    expect(done.bluesky.externalId).toBe(record.uri);
    expect(done.bluesky.externalUrl).toBe(`https://bsky.app/profile/${bluesky.did}/post/${record.rkey}`);
    expect(done.bluesky.attempts).toBe(1);

    // Publishing the same article again sends nothing anywhere.
    expect((await service.api('POST', '/api/articles', article)).status).toBe(200);
    await sleep(500);
    expect({ statuses: statusPosts(mastodon, article.url).length, records: recordsFor(bluesky, article.url).length }).toEqual({
      statuses: 1,
      records: 1,
    });
  });

  it('previews the Mastodon status and the Bluesky post at POST /api/preview', async () => {
    const before = { requests: mastodon.requests.length + bluesky.requests.length };
    const { status, body } = await service.api('POST', '/api/preview', {
      id: 'preview-only',
      // A real top-level domain: Mastodon counts only links it recognises as 23 (news.test is not one).
      url: 'https://news.example.com/preview-only',
      title: 'Tram line opens',
      tags: ['Trams'],
      image: { url: imageUrl, alt: 'A tram' },
    });
    expect(status).toBe(200);
    expect(body.mastodon.text).toBe('Tram line opens https://news.example.com/preview-only #Trams');
    expect(body.mastodon.length).toBe(16 + 23 + 7); // the link counts characters_reserved_per_url
    expect(body.mastodon.image).toEqual({ url: imageUrl, alt: 'A tram' });
    expect(body.bluesky.text).toBe('Tram line opens https://news.example.com/preview-only #Trams');
    expect(body.bluesky.graphemes).toBe(body.bluesky.text.length);
    expect(body.bluesky.facets).toHaveLength(2);
    expect(body.bluesky.embed).toMatchObject({ uri: 'https://news.example.com/preview-only', title: 'Tram line opens' });
    // Nothing stored or sent.
    expect(mastodon.requests.length + bluesky.requests.length).toBe(before.requests);
    expect((await service.api('GET', '/api/articles/preview-only')).status).toBe(404);
  });

  it('finds the post instead of posting twice when the answer was lost (Mastodon: recent statuses; Bluesky: the record key read back)', async () => {
    mastodon.fail('/api/v1/statuses', { status: 'lose-answer', method: 'POST' });
    bluesky.loseAnswer('com.atproto.repo.createRecord');
    const url = 'https://news.test/lost-answer';
    await service.api('POST', '/api/articles', { id: 'lost-answer', url, title: 'Lost answer' });
    const done = await service.settled('lost-answer', { mastodon: 'sent', bluesky: 'sent' });

    // Mastodon: the second attempt finds the status among the account's recent ones, posts nothing.
    expect(statusPosts(mastodon, url)).toHaveLength(1);
    const statuses = [...mastodon.statuses.values()].filter((status) => status.text.includes(url));
    expect(statuses).toHaveLength(1);
    expect(done.mastodon.attempts).toBe(2);
    expect(done.mastodon.externalId).toBe(statuses[0]!.id);
    expect(mastodon.requestsTo('GET', /^\/api\/v1\/accounts\/[^/]+\/statuses$/).length).toBeGreaterThan(0);

    // Bluesky: the write's key is read back with getRecord, and the record found there counts.
    const rkey = blueskyRecordKey('lost-answer');
    expect(createRecordCalls(bluesky, url)).toHaveLength(1);
    expect(recordsFor(bluesky, url)).toHaveLength(1);
    expect(bluesky.requestsTo('com.atproto.repo.getRecord').some((request) => request.query.get('rkey') === rkey)).toBe(true);
    expect(done.bluesky.externalId).toBe(`at://${bluesky.did}/app.bsky.feed.post/${rkey}`);
  });

  it('reconciles on the next attempt through the same Idempotency-Key (Mastodon) and find + getRecord (Bluesky)', async () => {
    // Mastodon: the answer is lost and the account's statuses cannot be read once (a token
    // without read scope): only the Idempotency-Key keeps the repeat from posting twice.
    mastodon.fail('/api/v1/statuses', { status: 'lose-answer', method: 'POST' });
    mastodon.fail(/^\/api\/v1\/accounts\/[^/]+\/statuses$/, { status: 403, method: 'GET', body: MASTODON_ERRORS.outsideScopes });
    // Bluesky: the write's answer and the read-back in the same attempt are both lost.
    bluesky.loseAnswer('com.atproto.repo.createRecord');
    bluesky.loseAnswer('com.atproto.repo.getRecord');
    const url = 'https://news.test/lost-twice';
    await service.api('POST', '/api/articles', { id: 'lost-twice', url, title: 'Lost twice' });
    const done = await service.settled('lost-twice', { mastodon: 'sent', bluesky: 'sent' });

    const posts = statusPosts(mastodon, url);
    expect(posts).toHaveLength(2);
    const keys = posts.map((request) => request.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^syndicate-[0-9a-f]{64}$/);
    expect(keys[1]).toBe(keys[0]);
    const statuses = [...mastodon.statuses.values()].filter((status) => status.text.includes(url));
    expect(statuses).toHaveLength(1);
    expect(done.mastodon.externalId).toBe(statuses[0]!.id);
    expect(done.mastodon.attempts).toBe(2);

    const rkey = blueskyRecordKey('lost-twice');
    expect(createRecordCalls(bluesky, url)).toHaveLength(1);
    expect(recordsFor(bluesky, url)).toHaveLength(1);
    expect(bluesky.requestsTo('com.atproto.repo.getRecord').filter((request) => request.query.get('rkey') === rkey)).toHaveLength(2);
    expect(done.bluesky.attempts).toBe(2);
    expect(done.bluesky.externalId).toBe(`at://${bluesky.did}/app.bsky.feed.post/${rkey}`);
  });

  it('waits out a 429 until the platform’s reset without spending an attempt', async () => {
    const reset = new Date(Date.now() + 2000);
    mastodon.fail('/api/v1/statuses', {
      status: 429,
      method: 'POST',
      body: MASTODON_ERRORS.tooManyRequests,
      headers: mastodonRateLimitHeaders(reset),
    });
    bluesky.fail('com.atproto.repo.createRecord', {
      status: 429,
      error: 'RateLimitExceeded',
      message: 'Rate Limit Exceeded',
      headers: {
        'ratelimit-limit': '5000',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(Math.ceil(reset.getTime() / 1000)),
        'ratelimit-policy': '5000;w=3600',
      },
    });
    const url = 'https://news.test/limited';
    await service.api('POST', '/api/articles', { id: 'limited', url, title: 'Rate limited' });
    const done = await service.settled('limited', { mastodon: 'sent', bluesky: 'sent' });
    expect(Date.now()).toBeGreaterThanOrEqual(reset.getTime() - 1000);
    expect(done.mastodon.attempts).toBe(1);
    expect(done.bluesky.attempts).toBe(1);
    expect(statusPosts(mastodon, url)).toHaveLength(2); // the refused one and the one after the reset
    expect([...mastodon.statuses.values()].filter((status) => status.text.includes(url))).toHaveLength(1);
    expect(createRecordCalls(bluesky, url)).toHaveLength(2);
    expect(recordsFor(bluesky, url)).toHaveLength(1);
  });

  it('logs in to Bluesky once for every post (a session, not a login per post)', () => {
    expect(bluesky.sessionsCreated).toBe(1);
  });

  it('retracts: deletes the Mastodon status and the Bluesky record', async () => {
    const before = await service.deliveries('ferry-social');
    const statusId = before.mastodon.externalId as string;
    const rkey = blueskyRecordKey('ferry-social');
    expect(mastodon.statuses.has(statusId)).toBe(true);
    expect(bluesky.records.has(rkey)).toBe(true);

    expect((await service.api('DELETE', '/api/articles/ferry-social')).status).toBe(200);
    await service.settled('ferry-social', { mastodon: 'retracted', bluesky: 'retracted' });
    expect(mastodon.statuses.has(statusId)).toBe(false);
    expect(mastodon.requestsTo('DELETE', `/api/v1/statuses/${statusId}`)).toHaveLength(1);
    expect(bluesky.records.has(rkey)).toBe(false);
    const deletes = bluesky.requestsTo('com.atproto.repo.deleteRecord').map((request) => JSON.parse(request.body.toString('utf8')));
    expect(deletes).toContainEqual({ repo: bluesky.did, collection: 'app.bsky.feed.post', rkey });
  });

  it('fails on a refused Mastodon token and reports mastodon in /readyz', async () => {
    mastodon.fail('/api/v1/statuses', { status: 401, method: 'POST', body: MASTODON_ERRORS.invalidToken });
    await service.api('POST', '/api/articles', {
      id: 'refused',
      url: 'https://news.test/refused',
      title: 'Refused',
      channels: { bluesky: false },
    });
    const done = await service.settled('refused', { mastodon: 'failed', bluesky: 'skipped' });
    expect(done.mastodon.attempts).toBe(1);
    expect(done.mastodon.lastError).toMatch(/credentials refused/);
    expect(done.mastodon.lastError).not.toContain(mastodon.token);
    const ready = (await (await fetch(`${service.base}/readyz`)).json()) as { channelsFailing: Record<string, string> };
    expect(Object.keys(ready.channelsFailing), JSON.stringify(ready)).toContain('mastodon');
    expect(Object.keys(ready.channelsFailing)).not.toContain('bluesky');
  });
});

describe('Mastodon and Bluesky without credentials (OUTBOX=true)', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startService('mastodon-bluesky-outbox', { OUTBOX: 'true' });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
  }, 30_000);

  it('logs that both write to the outbox', () => {
    expect(service.output()).toMatch(/channels: live feeds; outbox mastodon, bluesky/);
  });

  it('writes what it would post to DATA_DIR/outbox/mastodon and outbox/bluesky', async () => {
    const url = 'https://news.test/outbox-harbour';
    await service.api('POST', '/api/articles', { id: 'outbox-harbour', url, title: 'Harbour festival', tags: ['Harbour'] });
    const done = await service.settled('outbox-harbour', { mastodon: 'sent', bluesky: 'sent' });

    const mastodonFile = path.join(service.dataDir, 'outbox', 'mastodon', 'outbox-harbour.json');
    const toot = JSON.parse(readFileSync(mastodonFile, 'utf8'));
    expect(toot).toMatchObject({ channel: 'mastodon', articleId: 'outbox-harbour', url });
    expect(toot.post.text).toBe(`Harbour festival ${url} #Harbour`);
    expect(toot.post.length).toBeGreaterThan(0);
    expect(done.mastodon.externalId).toBe('outbox:outbox-harbour');

    const blueskyFile = path.join(service.dataDir, 'outbox', 'bluesky', 'outbox-harbour.json');
    const skeet = JSON.parse(readFileSync(blueskyFile, 'utf8'));
    expect(skeet).toMatchObject({ channel: 'bluesky', articleId: 'outbox-harbour', url });
    expect(skeet.post.text).toBe(`Harbour festival ${url} #Harbour`);
    expect(skeet.post.facets).toHaveLength(2);
    expect(skeet.post.embed.uri).toBe(url);
    expect(done.bluesky.externalId).toBe('outbox:outbox-harbour');
  });
});

describe('syndicate preview', () => {
  it('prints the Mastodon status and the Bluesky post with its facets, without Redis', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syndicate-preview-'));
    const file = path.join(dir, 'article.json');
    const url = 'https://news.test/café-reopens';
    writeFileSync(
      file,
      JSON.stringify({
        url,
        title: 'Café reopens 🎉',
        tags: ['Food', 'OldTown'],
        image: { url: 'https://news.test/cafe.jpg', alt: 'The terrace' },
      }),
    );
    const result = spawnSync(process.execPath, [bin, 'preview', file], {
      env: {
        ...baseEnv(),
        DATA_DIR: dir,
        REDIS_URL: 'redis://127.0.0.1:1',
        CHANNELS: 'feeds,mastodon,bluesky',
        LOG_LEVEL: 'silent',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const preview = JSON.parse(result.stdout);

    expect(preview.mastodon.text).toContain('Café reopens 🎉');
    expect(preview.mastodon.text).toMatch(/#Food #OldTown$/);
    expect(preview.mastodon.length).toBeGreaterThan(0);
    expect(preview.mastodon.maxCharacters).toBe(500);
    expect(preview.mastodon.image).toEqual({ url: 'https://news.test/cafe.jpg', alt: 'The terrace' });

    const { text, graphemes, facets, embed } = preview.bluesky;
    expect(text).toContain('Café reopens 🎉');
    expect(graphemes).toBe([...new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(text)].length);
    // Each facet's UTF-8 byte range marks exactly its link or its hashtag.
    const bytes = Buffer.from(text, 'utf8');
    const marked = (facets as any[]).map((facet) => ({
      text: bytes.subarray(facet.index.byteStart, facet.index.byteEnd).toString('utf8'),
      feature: facet.features[0],
    }));
    const link = new URL(url).href;
    expect(marked).toEqual([
      { text: expect.stringContaining('news.test/caf'), feature: { $type: 'app.bsky.richtext.facet#link', uri: link } },
      { text: '#Food', feature: { $type: 'app.bsky.richtext.facet#tag', tag: 'Food' } },
      { text: '#OldTown', feature: { $type: 'app.bsky.richtext.facet#tag', tag: 'OldTown' } },
    ]);
    expect(embed).toMatchObject({ uri: link, title: 'Café reopens 🎉' });
  });
});
