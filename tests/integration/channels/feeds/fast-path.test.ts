/**
 * Feeds over a real socket, where cached feeds take the fast path before Fastify: the same
 * bytes and headers as the Fastify route, 304s, HEAD, and a hand-over to Fastify for the rest.
 * Real: Redis, SQLite, workers, node:http on a loopback port.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSyndicate, type TestSyndicate } from '../../../helpers/syndicate.js';
import { waitFor } from '../../../helpers/wait.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('feeds over HTTP', () => {
  let t: TestSyndicate;
  let port: number;
  beforeAll(async () => {
    t = await startTestSyndicate('fast-path');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
    await t.syndicate.service.submit({
      id: 'wire',
      url: 'https://news.test/wire',
      title: 'Over the wire',
      categories: ['Économie', '国际'],
    });
    await waitFor(async () => (await get(port, '/feed.xml')).body.toString().includes('Over the wire'), 5000);
    // Category feeds are stored and announced after the site feed.
    await waitFor(async () => (await get(port, `/categories/${encodeURIComponent('国际')}/feed.xml`)).status === 200, 5000);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves the same bytes and headers as the Fastify route', async () => {
    const headers = { 'accept-encoding': 'gzip' };
    const wire = await get(port, '/feed.xml', headers);
    const routed = await t.app.inject({ method: 'GET', url: '/feed.xml', headers });
    expect(wire.status).toBe(200);
    expect(wire.body.equals(routed.rawPayload)).toBe(true);
    for (const name of ['etag', 'last-modified', 'content-type', 'content-encoding', 'cache-control', 'vary']) {
      expect(wire.headers[name], name).toBe(routed.headers[name]);
    }
    expect(gunzipSync(wire.body).toString()).toContain('Over the wire');
    expect(Number(wire.headers['content-length'])).toBe(wire.body.length);
  });

  it('answers 304 to a matching If-None-Match or If-Modified-Since', async () => {
    const first = await get(port, '/atom.xml', { 'accept-encoding': 'br' });
    const etag = String(first.headers.etag);
    const notModified = await get(port, '/atom.xml', { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(notModified.headers.etag).toBe(etag);
    const byDate = await get(port, '/atom.xml', { 'if-modified-since': String(first.headers['last-modified']) });
    expect(byDate.status).toBe(304);
  });

  it('answers HEAD with the headers and no body', async () => {
    const head = await get(port, '/feed.json', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });

  it('serves category feeds under percent-encoded slugs', async () => {
    for (const slug of ['economie', encodeURIComponent('国际')]) {
      const response = await get(port, `/categories/${slug}/feed.xml`);
      expect(response.status, slug).toBe(200);
      expect(response.body.toString()).toContain('Over the wire');
    }
  });

  it('leaves unknown feeds, other methods and query strings to Fastify', async () => {
    const unknown = await get(port, '/categories/nothing-here/feed.xml');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString()).error.code).toBe('NOT_FOUND');
    const withQuery = await get(port, '/feed.xml?utm_source=x');
    expect(withQuery.status).toBe(200);
    const post = await get(port, '/feed.xml', {}, 'POST');
    expect(post.status).toBe(404);
  });
});
