/**
 * Publish → feed latency: from POST /api/articles until GET /feed.xml (served by the API)
 * contains the article, through the publish queue, the feeds queue, a rebuild, the database
 * and the cache invalidation. Baseline: one raw BullMQ hop (Queue.add → Worker runs the job) on
 * the same Redis in the same run — our path makes two such hops plus the work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { createSyndicate } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { benchArticleInput } from './articles.js';
import { BENCH_REDIS_URL as REDIS_URL, deletePrefix, rawBullmqHop } from './raw-hop.js';
import { fmt, percentile, type Row } from './stats.js';

const SAMPLES = Number(process.env.BENCH_PUBLISH_SAMPLES ?? 50);

async function publishToFeed(): Promise<number[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-latency-'));
  const prefix = `bench-latency-${process.pid}`;
  const { config } = loadConfig(
    { DATA_DIR: dataDir, CHANNELS: 'feeds', QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', REDIS_URL, PUBLISHER_TOKEN: 'bench-token-0123456789' },
    { cwd: dataDir },
  );
  const syndicate = await createSyndicate(config, createLogger('warn'));
  await syndicate.startWorkers(syndicate.roles);
  const app = await syndicate.startApi({ listen: false });
  const samples: number[] = [];
  try {
    for (let i = 0; i < SAMPLES + 5; i++) {
      const input = { ...benchArticleInput(i), publishedAt: undefined };
      const started = performance.now();
      const response = await app.inject({
        method: 'POST',
        url: '/api/articles',
        headers: { authorization: 'Bearer bench-token-0123456789' },
        payload: input,
      });
      if (response.statusCode !== 202) throw new Error(response.body);
      for (;;) {
        const feed = await app.inject({ method: 'GET', url: '/feed.xml' });
        if (feed.body.includes(`>bench-${i}<`)) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (i >= 5) samples.push(performance.now() - started);
      // Space articles beyond FEED_REBUILD_INTERVAL_MS so each sample is a lone article, not a burst.
      await new Promise((resolve) => setTimeout(resolve, config.feeds.rebuildIntervalMs + 50));
    }
  } finally {
    await syndicate.close();
    await deletePrefix(prefix);
  }
  return samples;
}

export async function benchPublishToFeed(): Promise<Row[]> {
  const raw = await rawBullmqHop(SAMPLES);
  const ours = await publishToFeed();
  const rawP50 = percentile(raw, 50);
  return [
    {
      benchmark: `publish → feed latency p50 (${ours.length} articles)`,
      ours: fmt(percentile(ours, 50), 'ms', 1),
      baseline: `${fmt(rawP50, 'ms', 1)} (one raw BullMQ hop)`,
      ratio: `${(percentile(ours, 50) / rawP50).toFixed(1)}× one hop`,
      target: '< 100 ms',
    },
    {
      benchmark: 'publish → feed latency p99',
      ours: fmt(percentile(ours, 99), 'ms', 1),
      baseline: `${fmt(percentile(raw, 99), 'ms', 1)} (one raw BullMQ hop)`,
      ratio: `${(percentile(ours, 99) / percentile(raw, 99)).toFixed(1)}× one hop`,
      target: 'informational',
    },
  ];
}
