/**
 * WebSub: hubs are advertised in every feed and pinged when a feed changes.
 * Real: Redis, SQLite, workers, an HTTP hub on loopback that records what it receives.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonFeed } from '../../../helpers/feeds.js';
import { startTestSyndicate, type TestSyndicate } from '../../../helpers/syndicate.js';
import { waitFor } from '../../../helpers/wait.js';

describe('WebSub', () => {
  let hub: Server;
  let hubUrl: string;
  const pings: URLSearchParams[] = [];
  let failuresLeft = 1;
  let t: TestSyndicate;

  beforeAll(async () => {
    hub = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft--;
          response.writeHead(503).end();
          return;
        }
        if (request.headers['content-type'] === 'application/x-www-form-urlencoded') pings.push(new URLSearchParams(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
    hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/hub`;
    t = await startTestSyndicate('websub', { env: { WEBSUB_HUB: hubUrl } });
  });

  afterAll(async () => {
    await t?.stop();
    await new Promise((resolve) => hub.close(resolve));
  });

  it('advertises the hub in RSS, Atom and JSON Feed', async () => {
    const rss = (await t.app.inject({ method: 'GET', url: '/feed.xml' })).body;
    expect(rss).toContain(`href="${hubUrl}"`);
    expect(rss).toMatch(/rel="hub"/);
    const atom = (await t.app.inject({ method: 'GET', url: '/atom.xml' })).body;
    expect(atom).toMatch(new RegExp(`<link[^>]*rel="hub"[^>]*href="${hubUrl}"|<link[^>]*href="${hubUrl}"[^>]*rel="hub"`));
    const json = readJsonFeed((await t.app.inject({ method: 'GET', url: '/feed.json' })).body);
    expect(json.hubs).toEqual([{ type: 'WebSub', url: hubUrl }]);
  });

  it('pings the hub with hub.mode=publish for each changed feed, retrying a refusal', async () => {
    await t.syndicate.service.submit({ id: 'pinged', url: 'https://news.test/pinged', title: 'Pinged', categories: ['World'] });
    await waitFor(() => pings.some((p) => p.get('hub.url') === 'http://news.test/categories/world/atom.xml'), 15_000, 'the category ping');
    const topics = pings.filter((p) => p.get('hub.mode') === 'publish').map((p) => p.get('hub.url'));
    expect(topics).toEqual(
      expect.arrayContaining(['http://news.test/feed.xml', 'http://news.test/atom.xml', 'http://news.test/feed.json']),
    );
    expect(failuresLeft).toBe(0);
  });
});
