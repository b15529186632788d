/**
 * Publish → feed latency: from POST /api/articles until GET /feed.xml (served by the API)
 * contains the article, through the publish queue, the feeds queue, a rebuild, the database
 * and the cache invalidation. Two ways of publishing:
 * - one at a time: each article after a quiet spell longer than FEED_REBUILD_INTERVAL_MS;
 * - back to back: each article as soon as the previous one is in the feed, so every rebuild
 *   follows another closely (what coalescing used to hold back by the whole interval).
 * Baseline: one raw BullMQ hop (Queue.add → Worker runs the job) on the same Redis in the same
 * run — our path makes two such hops plus the work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../config/load.js';
import { createSyndicate } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { feedsModule } from '../src/channels/feeds/module.js';
import { benchArticleInput } from './articles.js';
import { BENCH_REDIS_URL as REDIS_URL, deletePrefix, rawBullmqHop } from './raw-hop.js';
import { fmt, percentile, type Row } from './stats.js';

const SAMPLES = Number(process.env.BENCH_PUBLISH_SAMPLES ?? 50);
const WARMUP = 5;
const TARGETS_MS = { lone: 50, backToBack: 100 };

interface Run {
  samples: number[];
  rebuilds: number;
}

/**
 * Polls the feed every millisecond as a reader does, with If-None-Match, until it contains
 * `marker`. The poller shares this process's event loop with the workers it measures: polling
 * on every turn of the loop, each answer a whole feed, stole the time of what it measured.
 */
async function waitForFeedWith(app: FastifyInstance, marker: string, etag: { value?: string }): Promise<void> {
  for (;;) {
    const headers = etag.value === undefined ? {} : { 'if-none-match': etag.value };
    const feed = await app.inject({ method: 'GET', url: '/feed.xml', headers });
    if (feed.statusCode === 200) {
      etag.value = String(feed.headers.etag);
      if (feed.body.includes(marker)) return;
    } else if (feed.statusCode !== 304) {
      throw new Error(`GET /feed.xml answered ${feed.statusCode}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function publishToFeed(): Promise<{ lone: Run; backToBack: Run }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-latency-'));
  const prefix = `bench-latency-${process.pid}`;
  const { config } = loadConfig(
    { DATA_DIR: dataDir, CHANNELS: 'feeds', QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn', REDIS_URL, PUBLISHER_TOKEN: 'bench-token-0123456789' },
    { cwd: dataDir },
  );
  const syndicate = await createSyndicate(config, createLogger('warn'));
  await syndicate.startWorkers(syndicate.roles);
  const app = await syndicate.startApi({ listen: false });
  const builder = syndicate.channel(feedsModule).services.builder;
  const etag: { value?: string } = {};
  let next = 0;
  const run = async (pauseMs: number): Promise<Run> => {
    const samples: number[] = [];
    let rebuilds = 0;
    for (let i = 0; i < SAMPLES + WARMUP; i++) {
      const n = next++;
      const input = { ...benchArticleInput(n), publishedAt: undefined };
      const before = builder.rebuildCount;
      const started = performance.now();
      const response = await app.inject({
        method: 'POST',
        url: '/api/articles',
        headers: { authorization: 'Bearer bench-token-0123456789' },
        payload: input,
      });
      if (response.statusCode !== 202) throw new Error(response.body);
      await waitForFeedWith(app, `>bench-${n}<`, etag);
      if (i >= WARMUP) {
        samples.push(performance.now() - started);
        rebuilds += builder.rebuildCount - before;
      }
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return { samples, rebuilds };
  };
  try {
    // Spaced beyond FEED_REBUILD_INTERVAL_MS, so each sample is a lone article, not a burst.
    const lone = await run(config.feeds.rebuildIntervalMs + 50);
    const backToBack = await run(0);
    return { lone, backToBack };
  } finally {
    await syndicate.close();
    await deletePrefix(prefix);
  }
}

export async function benchPublishToFeed(): Promise<Row[]> {
  const raw = await rawBullmqHop(SAMPLES);
  const { lone, backToBack } = await publishToFeed();
  const rawP50 = percentile(raw, 50);
  const rawP99 = percentile(raw, 99);
  const rows: Row[] = [];
  for (const [name, runOf, target] of [
    ['one at a time', lone, TARGETS_MS.lone],
    ['back to back', backToBack, TARGETS_MS.backToBack],
  ] as const) {
    const p50 = percentile(runOf.samples, 50);
    const p99 = percentile(runOf.samples, 99);
    rows.push(
      {
        benchmark: `publish → feed latency p50, ${name} (${runOf.samples.length} articles, ${runOf.rebuilds} rebuilds)`,
        ours: fmt(p50, 'ms', 1),
        baseline: `${fmt(rawP50, 'ms', 1)} (one raw BullMQ hop)`,
        ratio: `${(p50 / rawP50).toFixed(1)}× one hop`,
        target: `< ${target} ms`,
        figures: { ours: p50, baseline: rawP50, ratio: p50 / rawP50, unit: 'ms' },
        met: p50 < target,
      },
      {
        benchmark: `publish → feed latency p99, ${name}`,
        ours: fmt(p99, 'ms', 1),
        baseline: `${fmt(rawP99, 'ms', 1)} (one raw BullMQ hop)`,
        ratio: `${(p99 / rawP99).toFixed(1)}× one hop`,
        target: 'informational',
        figures: { ours: p99, baseline: rawP99, ratio: p99 / rawP99, unit: 'ms' },
      },
    );
  }
  return rows;
}
