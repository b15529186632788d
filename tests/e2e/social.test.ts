/**
 * Social delivery end to end: `syndicate start` in a child process that trusts a test CA
 * through NODE_EXTRA_CA_CERTS (as production would trust a proxy), posting to local servers
 * that speak X's API v2 (HTTPS) and the Graph API, with their error bodies and rate-limit
 * headers. Real: the service, Redis, SQLite, sharp, an image server. Faked: the platforms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGraphServer, type FakeGraphServer } from '../helpers/fake-graph-server.js';
import { FakeXServer, X_ERRORS } from '../helpers/fake-x-server.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { createTestTls, type TestTls } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/ports.js';

const bin = fileURLToPath(new URL('../../bin/syndicate.js', import.meta.url));
const TOKEN = 'social-e2e-publisher-token';
const X_CREDENTIALS = { apiKey: 'x-key', apiSecret: 'x-secret', accessToken: 'x-token', accessSecret: 'x-access-secret' };

describe('publishing to X, a Facebook Page and Instagram', () => {
  let tls: TestTls;
  let x: FakeXServer;
  let graph: FakeGraphServer;
  let images: Server;
  let imageUrl: string;
  let service: ChildProcess;
  let output = '';
  let base: string;
  const prefix = uniquePrefix('social');

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const deliveries = async (id: string) => (await api('GET', `/api/articles/${id}`)).body.deliveries;
  const settled = (id: string, expected: Record<string, string>) =>
    waitFor(
      async () => {
        const current = await deliveries(id);
        return Object.entries(expected).every(([channel, state]) => current[channel]?.state === state) ? current : false;
      },
      20_000,
      `${id}: ${JSON.stringify(expected)}`,
    );

  beforeAll(async () => {
    tls = await createTestTls();
    x = await FakeXServer.start({ tls, credentials: X_CREDENTIALS });
    graph = await startFakeGraphServer({ pollsUntilFinished: 1 });
    const jpeg = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#2a6' } })
      .jpeg()
      .toBuffer();
    images = createServer((_request, response) => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}/harbour.jpg`;

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, [bin, 'start'], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: tls.caFile,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_BASE_URL: base,
        DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-social-')),
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        PUBLISHER_TOKEN: TOKEN,
        CHANNELS: 'feeds,x,facebook,instagram',
        X_API_KEY: X_CREDENTIALS.apiKey,
        X_API_SECRET: X_CREDENTIALS.apiSecret,
        X_ACCESS_TOKEN: X_CREDENTIALS.accessToken,
        X_ACCESS_SECRET: X_CREDENTIALS.accessSecret,
        X_API_BASE_URL: x.url,
        FACEBOOK_PAGE_ID: '1001',
        FACEBOOK_PAGE_TOKEN: 'page-token',
        INSTAGRAM_USER_ID: '2002',
        INSTAGRAM_TOKEN: 'ig-token',
        GRAPH_API_BASE_URL: graph.url,
        MEDIA_ALLOW_PRIVATE: 'true',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 20_000, 'the service');
  });

  afterAll(async () => {
    service?.kill('SIGTERM');
    await new Promise((resolve) => (service?.exitCode === null ? service.once('exit', resolve) : resolve(null)));
    await x?.close();
    await graph?.close();
    await new Promise((resolve) => images?.close(resolve));
    await tls?.remove();
    await deletePrefix(prefix);
  });

  it('logs which channels are live', () => {
    expect(output).toMatch(/channels: live feeds, x, facebook, instagram/);
  });

  it('posts each article exactly once per network, with the image and its alt text', async () => {
    const article = {
      id: 'harbour-social',
      url: 'https://news.test/harbour-social',
      title: 'Harbour bridge reopens after a year of repairs',
      summary: 'Buses return on Monday.',
      tags: ['Harbour', 'Transport'],
      image: { url: imageUrl, alt: 'The bridge at dawn' },
    };
    expect((await api('POST', '/api/articles', article)).status).toBe(202);
    const done = await settled('harbour-social', { x: 'sent', facebook: 'sent', instagram: 'sent' });

    expect(x.tweets.size).toBe(1);
    const tweet = [...x.tweets.values()][0]!;
    expect(tweet.text).toContain('https://news.test/harbour-social');
    expect(tweet.mediaIds).toHaveLength(1);
    expect(x.media.get(tweet.mediaIds[0]!)?.altText).toBe('The bridge at dawn');
    expect(done.x.externalId).toBe(tweet.id);
    expect(x.requests.every((request) => request.headers.host?.startsWith('127.0.0.1'))).toBe(true);

    expect(graph.posts).toHaveLength(1);
    expect(graph.posts[0]?.link).toBe('https://news.test/harbour-social');
    expect(graph.media).toHaveLength(1);
    const container = [...graph.containers.values()][0]!;
    expect(container.image_url).toBe(`${base}/media/harbour-social/instagram.jpg`);
    const variant = await fetch(container.image_url);
    expect(variant.headers.get('content-type')).toBe('image/jpeg');

    // Publishing the same article again sends nothing anywhere.
    expect((await api('POST', '/api/articles', article)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect({ tweets: x.tweets.size, posts: graph.posts.length, media: graph.media.length }).toEqual({ tweets: 1, posts: 1, media: 1 });
  });

  it('waits out an X 429 until its reset without spending an attempt', async () => {
    const reset = Math.floor(Date.now() / 1000) + 2;
    x.failNext('/2/tweets', {
      status: 429,
      method: 'POST',
      body: X_ERRORS.tooManyRequests,
      headers: { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
    });
    await api('POST', '/api/articles', {
      id: 'limited',
      url: 'https://news.test/limited',
      title: 'Rate limited',
      channels: { facebook: false, instagram: false },
    });
    const done = await settled('limited', { x: 'sent' });
    expect(Date.now() / 1000).toBeGreaterThanOrEqual(reset - 1);
    expect(done.x.attempts).toBe(1);
    expect([...x.tweets.values()].filter((t) => t.text.includes('news.test/limited'))).toHaveLength(1);
  });

  it('finds the post instead of posting twice when the answer was lost', async () => {
    x.dropResponseAfterStore(1);
    graph.dropResponseAfterStore(1, /\/feed$/);
    await api('POST', '/api/articles', { id: 'lost', url: 'https://news.test/lost', title: 'Lost answer', channels: { instagram: false } });
    const done = await settled('lost', { x: 'sent', facebook: 'sent' });
    expect([...x.tweets.values()].filter((t) => t.text.includes('news.test/lost'))).toHaveLength(1);
    expect(graph.posts.filter((p) => p.link === 'https://news.test/lost')).toHaveLength(1);
    expect(done.x.attempts).toBe(2);
  });

  it('records duplicate content as duplicate, never retried', async () => {
    x.failNext('/2/tweets', { status: 403, method: 'POST', body: X_ERRORS.duplicate });
    await api('POST', '/api/articles', {
      id: 'dupe',
      url: 'https://news.test/dupe',
      title: 'Dupe',
      channels: { facebook: false, instagram: false },
    });
    const done = await settled('dupe', { x: 'duplicate' });
    expect(done.x.attempts).toBe(1);
  });

  it('retracts: deletes the X and Facebook posts, asks a person to remove the Instagram one', async () => {
    const before = { ...(await deliveries('harbour-social')) };
    expect((await api('DELETE', '/api/articles/harbour-social')).status).toBe(200);
    await settled('harbour-social', { x: 'retracted', facebook: 'retracted', instagram: 'manual_action' });
    expect(x.tweets.has(before.x.externalId)).toBe(false);
    expect(graph.requestsTo('DELETE', new RegExp(before.facebook.externalId))).toHaveLength(1);
  });

  it('fails on refused credentials and reports the channel in /readyz', async () => {
    x.failNext('/2/tweets', { status: 401, method: 'POST', body: X_ERRORS.unauthorized });
    await api('POST', '/api/articles', {
      id: 'unauthorised',
      url: 'https://news.test/unauthorised',
      title: 'Refused',
      channels: { facebook: false, instagram: false },
    });
    const done = await settled('unauthorised', { x: 'failed' });
    expect(done.x.lastError).toMatch(/credentials refused/);
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { channelsFailing: Record<string, string> };
    expect(Object.keys(ready.channelsFailing), JSON.stringify(ready)).toContain('x');
  });
});
