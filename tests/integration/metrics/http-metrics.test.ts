/**
 * The HTTP histogram's `route` label: a route pattern or `unmatched`, never a raw URL, so the
 * number of series stays bounded whatever URLs strangers send. Real: Fastify (inject), a
 * node:http server for a fast path, prom-client; read back with parse-prometheus-text-format.
 */
import Fastify from 'fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HttpMetrics } from '../../../src/metrics/http-metrics.js';
import { RoutePatterns } from '../../../src/metrics/route-patterns.js';
import { histogram, labelValues, parseExposition } from './exposition.js';

const NAME = 'syndicate_http_request_duration_seconds';

describe('RoutePatterns', () => {
  const patterns = new RoutePatterns();
  for (const pattern of ['/feed.xml', '/categories/:slug/feed.xml', '/media/:id/:variant.jpg', '/files/*', '/n/:id(^\\d+)', '/a::b']) {
    patterns.add(pattern);
  }

  it('finds the pattern that serves a path', () => {
    expect(patterns.match('/feed.xml')).toBe('/feed.xml');
    expect(patterns.match('/categories/world%20news/feed.xml')).toBe('/categories/:slug/feed.xml');
    expect(patterns.match('/media/abc/x-1080.jpg')).toBe('/media/:id/:variant.jpg');
    expect(patterns.match('/files/a/b/c')).toBe('/files/*');
    expect(patterns.match('/n/42')).toBe('/n/:id(^\\d+)');
    expect(patterns.match('/a:b')).toBe('/a::b');
  });

  it('ignores the query string', () => {
    expect(patterns.match('/feed.xml?utm_source=x')).toBe('/feed.xml');
    expect(patterns.match('/categories/a/feed.xml?x=1')).toBe('/categories/:slug/feed.xml');
  });

  it('finds nothing for a path no pattern serves', () => {
    expect(patterns.match('/categories/a/b/feed.xml')).toBeUndefined();
    expect(patterns.match('/feed.xmlx')).toBeUndefined();
    expect(patterns.match('/n/abc')).toBeUndefined();
    expect(patterns.match('/media/abc/x.png')).toBeUndefined();
  });
});

describe('syndicate_http_request_duration_seconds', () => {
  it('labels Fastify requests with their route pattern, and every unknown URL as unmatched', async () => {
    const registry = new Registry();
    const http = new HttpMetrics(registry);
    const app = Fastify();
    await app.register(http.plugin);
    await app.register(async (scoped) => {
      scoped.get('/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    });
    for (let i = 0; i < 50; i++) {
      expect((await app.inject(`/things/${i}?page=${i}`)).statusCode).toBe(200);
      expect((await app.inject(`/random-${i}/${'x'.repeat(i)}`)).statusCode).toBe(404);
    }
    await app.close();

    const exposition = parseExposition(await registry.metrics());
    const series = exposition.histogram(NAME);
    expect(labelValues(series, 'route')).toEqual(['/things/:id', 'unmatched']);
    expect(series).toHaveLength(2);
    expect(histogram(exposition, NAME, { route: '/things/:id', status: '200' })?.count).toBe(50);
    expect(histogram(exposition, NAME, { route: 'unmatched', status: '404' })?.count).toBe(50);
  });

  it('counts each observation in its bucket and every bucket above, with their sum and count', async () => {
    const registry = new Registry();
    const http = new HttpMetrics(registry);
    // On a bound counts in that bucket (le is "less than or equal"); past the last, only in +Inf.
    for (const seconds of [0.0005, 0.003, 20]) http.observe('/things/:id', 200, seconds);
    http.observe(undefined, 404, 0.0001);
    const exposition = parseExposition(await registry.metrics());
    const things = histogram(exposition, NAME, { route: '/things/:id', status: '200' });
    expect(things?.buckets).toMatchObject({ '0.0005': 1, '0.001': 1, '0.0025': 1, '0.005': 2, '10': 2, '+Inf': 3 });
    expect(things?.count).toBe(3);
    expect(things?.sum).toBeCloseTo(20.0035, 6);
    expect(histogram(exposition, NAME, { route: 'unmatched', status: '404' })?.buckets).toMatchObject({ '0.0005': 1, '+Inf': 1 });
  });

  it('labels a fast path’s answers with the pattern of the channel’s route for the same URL', async () => {
    const registry = new Registry();
    const http = new HttpMetrics(registry);
    // A channel that answers cached pages before Fastify, and serves the same URLs as a route.
    const channel = http.instrument({
      routes: async (app) => {
        app.get('/pages/:slug.html', async () => 'from Fastify');
        app.post('/pages/:slug/comments', async () => 'posted');
      },
      fastPath: (request: IncomingMessage, response: ServerResponse) => {
        if (!request.url?.startsWith('/pages/') && request.url !== '/elsewhere') return false;
        response.writeHead(request.url.includes('gone') ? 410 : 200).end('cached');
        return true;
      },
    });
    const app = Fastify();
    await app.register(channel.routes!);
    await app.ready();
    const server = createServer((request, response) => {
      if (!channel.fastPath!(request, response)) response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of ['/pages/a.html', '/pages/b.html?x=1', '/pages/gone.html', '/elsewhere', '/not-cached'])
        await fetch(`${base}${path}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    }

    const exposition = parseExposition(await registry.metrics());
    expect(histogram(exposition, NAME, { route: '/pages/:slug.html', status: '200' })?.count).toBe(2);
    expect(histogram(exposition, NAME, { route: '/pages/:slug.html', status: '410' })?.count).toBe(1);
    // Answered by the fast path but served by no GET route of the channel.
    expect(histogram(exposition, NAME, { route: 'unmatched', status: '200' })?.count).toBe(1);
    // Handed on (to Fastify, here to nobody): the fast path does not count it.
    expect(exposition.histogram(NAME)).toHaveLength(3);
  });
});
