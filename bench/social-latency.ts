/**
 * Child of bench/social.ts (started with NODE_EXTRA_CA_CERTS): publish → the first request at
 * each local platform server, p50 over a series of articles, beside one raw BullMQ hop.
 * Prints the rows as JSON on its last line.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../config/load.js';
import { createSyndicate } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { startFakeGraphServer } from '../tests/helpers/fake-graph-server.js';
import { FakeXServer } from '../tests/helpers/fake-x-server.js';
import { BENCH_REDIS_URL as REDIS_URL, deletePrefix, rawBullmqHop } from './raw-hop.js';
import { fmt, percentile, type Row } from './stats.js';

const SAMPLES = Number(process.env.BENCH_SOCIAL_SAMPLES ?? 20);
const credentials = { apiKey: 'k', apiSecret: 's', accessToken: 't', accessSecret: 'a' };

const tls = JSON.parse(process.env.BENCH_TLS ?? '{}') as { certPem: string; keyPem: string };
const x = await FakeXServer.start({ tls, credentials });
// The image Instagram needs, on loopback (MEDIA_ALLOW_PRIVATE below).
const jpeg = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#246' } })
  .jpeg()
  .toBuffer();
const imageServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
const imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/bench.jpg`;
const graph = await startFakeGraphServer({ pollsUntilFinished: 0 });
const prefix = `bench-social-${process.pid}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-social-'));
const { config } = loadConfig(
  {
    DATA_DIR: dataDir,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    CHANNELS: 'x,facebook,instagram',
    X_API_KEY: credentials.apiKey,
    X_API_SECRET: credentials.apiSecret,
    X_ACCESS_TOKEN: credentials.accessToken,
    X_ACCESS_SECRET: credentials.accessSecret,
    X_API_BASE_URL: x.url,
    FACEBOOK_PAGE_ID: '1',
    FACEBOOK_PAGE_TOKEN: 'p',
    INSTAGRAM_USER_ID: '2',
    INSTAGRAM_TOKEN: 'i',
    MEDIA_ALLOW_PRIVATE: 'true',
    GRAPH_API_BASE_URL: graph.url,
  },
  { cwd: dataDir },
);
const syndicate = await createSyndicate(config, createLogger('warn'));
await syndicate.startWorkers(syndicate.roles);

const firstRequest = { x: [] as number[], facebook: [] as number[], instagram: [] as number[] };
for (let i = 0; i < SAMPLES; i++) {
  const url = `https://desk.example/social-${i}`;
  const xBefore = x.requests.length;
  const fbBefore = graph.requestsTo('POST', /\/feed$/).length;
  const igBefore = graph.requestsTo('GET', /content_publishing_limit/).length;
  const started = performance.now();
  await syndicate.service.submit({ id: `social-${i}`, url, title: `Social ${i}`, image: { url: imageUrl, alt: 'Bench' } });
  const seen = { x: 0, facebook: 0, instagram: 0 };
  while (!seen.x || !seen.facebook || !seen.instagram) {
    // Instagram's first request is its publishing-quota check, before the image is prepared.
    if (!seen.instagram && graph.requestsTo('GET', /content_publishing_limit/).length > igBefore)
      seen.instagram = performance.now() - started;
    if (!seen.x && x.requests.length > xBefore) seen.x = performance.now() - started;
    if (!seen.facebook && graph.requestsTo('POST', /\/feed$/).length > fbBefore) seen.facebook = performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve));
  }
  firstRequest.x.push(seen.x);
  firstRequest.facebook.push(seen.facebook);
  firstRequest.instagram.push(seen.instagram);
  // Let this article's deliveries finish (Instagram polls its container) so the next sample
  // measures a lone article, not one queued behind another.
  for (;;) {
    const rows = await syndicate.deliveries.listForArticle(`social-${i}`);
    if (rows.length === 3 && rows.every((row) => row.state !== 'queued' && row.state !== 'claimed' && row.state !== 'retry')) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
await syndicate.close();
const hop = percentile(await rawBullmqHop(SAMPLES), 50);
await x.close();
await graph.close();
imageServer.close();
await deletePrefix(prefix);

const label = { x: 'X (HTTPS)', facebook: 'Graph (Facebook Page)', instagram: 'Graph (Instagram)' } as const;
const rows: Row[] = (['x', 'facebook', 'instagram'] as const).map((name) => ({
  benchmark: `publish → first request at the ${label[name]} server, p50`,
  ours: fmt(percentile(firstRequest[name], 50), 'ms', 1),
  baseline: `${fmt(hop, 'ms', 1)} (one raw BullMQ hop)`,
  ratio: `${(percentile(firstRequest[name], 50) / hop).toFixed(1)}× one hop`,
  target: 'informational',
}));
console.log(JSON.stringify(rows));
process.exit(0);
