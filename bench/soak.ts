/**
 * Soak (only when named: `npm run bench -- soak`): the whole service as `npm start` runs it
 * (`node bin/syndicate.js start`) for BENCH_SOAK_MINUTES (default 60) with the feeds, the
 * newsletter (BENCH_SOAK_SUBSCRIBERS confirmed subscribers, default 300, to a local SMTP sink)
 * and every social network through the outbox (OUTBOX=true, no credentials), fed a steady
 * stream through the HTTP API: a new article every BENCH_SOAK_INTERVAL_MS (default 5000), every
 * fourth tick an update of a recent one, every tenth a retraction of an older one.
 *
 * Every minute it prints a JSON line (`SOAK {...}`): the process's RSS and peak, Redis
 * `INFO memory` used_memory (the whole server: shared with whatever else uses it) and the
 * keys under this run's prefix with their MEMORY USAGE (ours alone). At the end, rows compare
 * the last 10 minutes with the first 10 (half the run each when it is shorter than 20 minutes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../tests/helpers/ports.js';
import { startSmtpSink } from '../tests/helpers/smtp-sink.js';
import { benchArticleInput } from './articles.js';
import { prepareSubscribers } from './newsletter.js';
import { BENCH_REDIS_URL, deletePrefix } from './raw-hop.js';
import { deskEnv, publishArticle, readRss, retractArticle, sleep, startService } from './service-process.js';
import { fmt, type Row } from './stats.js';

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 60);
const SUBSCRIBERS = Number(process.env.BENCH_SOAK_SUBSCRIBERS ?? 300);
const INTERVAL_MS = Number(process.env.BENCH_SOAK_INTERVAL_MS ?? 5000);
/** Growth allowed for the service's RSS, last window ÷ first. */
const RSS_GROWTH_TARGET = 1.2;

interface Sample {
  minute: number;
  rssMb: number;
  peakMb: number;
  /** INFO memory used_memory of the whole Redis server. */
  redisUsedMb: number;
  /** Keys under this run's prefix, and their MEMORY USAGE summed. */
  ourKeys: number;
  ourKeysMb: number;
  published: number;
  updated: number;
  retracted: number;
  emails: number;
}

/** BullMQ's per-queue keys (`<prefix>:{name}:name:<suffix>`); any other suffix is a job's id. */
const QUEUE_KEYS = new Set([
  'wait',
  'paused',
  'active',
  'completed',
  'failed',
  'delayed',
  'prioritized',
  'pc',
  'marker',
  'meta',
  'id',
  'events',
  'stalled',
  'stalled-check',
  'limiter',
  'repeat',
  'de',
  'metrics',
]);

/** A key's kind, for the growth breakdown: `{newsletter}:completed`, `{newsletter}:job`, `{feeds}:dirty`… */
function keyKind(key: string, prefix: string): string {
  const parts = key.slice(prefix.length + 1).split(':');
  if (parts.length >= 3 && parts[0]!.startsWith('{')) {
    const suffix = parts[2]!;
    return `${parts[0]}:${QUEUE_KEYS.has(suffix) ? suffix : parts.length > 3 ? `job:${parts.slice(3).join(':')}` : 'job'}`;
  }
  return parts.slice(0, 2).join(':');
}

/** The keys under `prefix` and the bytes Redis says they take (MEMORY USAGE, sampled per key), by kind. */
async function prefixMemory(
  redis: Redis,
  prefix: string,
): Promise<{ keys: number; bytes: number; kinds: Map<string, { keys: number; bytes: number }> }> {
  let keys = 0;
  let bytes = 0;
  const kinds = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys += batch.length;
    if (batch.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.call('MEMORY', 'USAGE', key);
    const usages = (await pipeline.exec()) ?? [];
    batch.forEach((key, i) => {
      const size = Number(usages[i]?.[1] ?? 0);
      bytes += size;
      const kind = kinds.get(keyKind(key, prefix)) ?? { keys: 0, bytes: 0 };
      kind.keys++;
      kind.bytes += size;
      kinds.set(keyKind(key, prefix), kind);
    });
  } while (cursor !== '0');
  return { keys, bytes, kinds };
}

async function redisUsedMb(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN) / 1048576;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** An article of the stream: no image, so no fetch leaves this machine. */
function soakArticle(i: number): Record<string, unknown> {
  const { image: _image, ...article } = benchArticleInput(i);
  return { ...article, id: `soak-${i}`, publishedAt: new Date().toISOString() };
}

export async function benchSoak(): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'syndicate-bench-soak-'));
  const prefix = `bench-soak-${process.pid}`;
  const sink = await startSmtpSink({ parse: false });
  const redis = new Redis(BENCH_REDIS_URL);
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    await prepareSubscribers(dataDir, SUBSCRIBERS);
    service = await startService({
      form: 'npm-start',
      port: await freePort(),
      env: {
        DATA_DIR: dataDir,
        REDIS_URL: BENCH_REDIS_URL,
        QUEUE_PREFIX: prefix,
        CHANNELS: 'feeds,newsletter,x,facebook,instagram,mastodon,bluesky',
        OUTBOX: 'true',
        ...deskEnv(sink.url),
        LOG_LEVEL: 'error',
      },
    });
    const url = service.url;
    const pid = service.pid;
    const counts = { published: 0, updated: 0, retracted: 0, emails: 0, errors: 0 };
    const live: number[] = [];
    // Each live article as first sent: an update changes its title only.
    const inputs = new Map<number, Record<string, unknown>>();
    const samples: Sample[] = [];
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    let nextSample = started + 60_000;
    let tick = 0;
    const failed = (what: string) => (error: unknown) => {
      counts.errors++;
      console.error(`soak: ${what} failed: ${(error as Error).message}`);
    };

    const sample = async (minute: number) => {
      // The sink keeps envelopes; count and drop them so the bench process stays small.
      counts.emails += sink.messages.length;
      sink.messages.length = 0;
      const rss = readRss(pid);
      if (!rss) throw new Error('the service is gone');
      const ours = await prefixMemory(redis, prefix);
      const row: Sample = {
        minute,
        rssMb: Math.round(rss.rssMb),
        peakMb: Math.round(rss.peakMb),
        redisUsedMb: Number((await redisUsedMb(redis)).toFixed(1)),
        ourKeys: ours.keys,
        ourKeysMb: Number((ours.bytes / 1048576).toFixed(2)),
        published: counts.published,
        updated: counts.updated,
        retracted: counts.retracted,
        emails: counts.emails,
      };
      samples.push(row);
      console.log(`SOAK ${JSON.stringify(row)}`);
    };

    await sample(0);
    while (Date.now() < end) {
      tick++;
      const i = tick;
      const input = soakArticle(i);
      await publishArticle(url, input).then(
        () => {
          counts.published++;
          live.push(i);
          inputs.set(i, input);
        },
        failed(`publish ${i}`),
      );
      if (tick % 4 === 0 && live.length > 0) {
        const target = live[live.length - 1]!;
        await publishArticle(url, { ...inputs.get(target), title: `Story ${target}, updated at tick ${tick}` }, 'PUT').then(
          () => void counts.updated++,
          failed(`update ${target}`),
        );
      }
      if (tick % 10 === 0 && live.length > 5) {
        const [target] = live.splice(0, 1);
        inputs.delete(target!);
        await retractArticle(url, `soak-${target}`).then(() => void counts.retracted++, failed(`retract ${target}`));
      }
      if (Date.now() >= nextSample) {
        await sample(Math.round((Date.now() - started) / 60_000));
        nextSample += 60_000;
      }
      await sleep(Math.max(0, Math.min(INTERVAL_MS, end - Date.now())));
    }
    // Let the last minute's emails arrive, then the final sample.
    await sleep(Math.min(30_000, INTERVAL_MS * 6));
    await sample(Math.round((Date.now() - started) / 60_000));
    // Where this run's Redis memory is, by kind of key, largest first.
    const { kinds } = await prefixMemory(redis, prefix);
    const byKind = [...kinds].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 15);
    console.log(
      `SOAK-KEYS ${JSON.stringify(Object.fromEntries(byKind.map(([kind, { keys, bytes }]) => [kind, { keys, kb: Math.round(bytes / 1024) }])))}`,
    );

    const window = Math.max(1, Math.min(10, Math.floor(samples.length / 2)));
    // The first window starts after minute 0 (start-up, nothing sent yet).
    const first = samples.slice(1, 1 + window);
    const last = samples.slice(-window);
    const label = window === 10 ? '10 min' : `${window} min`;
    const growthRow = (benchmark: string, pick: (s: Sample) => number, unit: string, target: string, limit?: number): Row => {
      const ours = mean(last.map(pick));
      const baseline = mean(first.map(pick));
      const ratio = ours / baseline;
      return {
        benchmark,
        ours: `${fmt(ours, unit, 1)} (mean of the last ${label})`,
        baseline: `${fmt(baseline, unit, 1)} (mean of the first ${label})`,
        ratio: ratio.toFixed(2),
        target,
        figures: { ours, baseline, ratio, unit },
        ...(limit === undefined ? {} : { met: ratio < limit }),
      };
    };
    const expectedEmails = counts.published * SUBSCRIBERS;
    return [
      growthRow(
        `soak ${MINUTES} min: service RSS (npm start, all roles), ${counts.published} articles, ${counts.updated} updates, ${counts.retracted} retractions`,
        (s) => s.rssMb,
        'MB',
        `growth < ${RSS_GROWTH_TARGET}×`,
        RSS_GROWTH_TARGET,
      ),
      growthRow(
        `soak ${MINUTES} min: Redis memory of this run's keys (MEMORY USAGE under its prefix)`,
        (s) => s.ourKeysMb,
        'MB',
        'informational: grows until the retention bounds (10,000 jobs per queue and state) are reached',
      ),
      growthRow(`soak ${MINUTES} min: Redis used_memory (INFO memory, whole server, shared)`, (s) => s.redisUsedMb, 'MB', 'informational'),
      {
        benchmark: `soak ${MINUTES} min: emails at the sink (${SUBSCRIBERS} subscribers × ${counts.published} articles), request errors`,
        ours: `${counts.emails} emails, ${counts.errors} errors`,
        baseline: `${expectedEmails} expected`,
        ratio: (counts.emails / expectedEmails).toFixed(3),
        target: 'every email, no errors',
        figures: { ours: counts.emails, baseline: expectedEmails, ratio: counts.emails / expectedEmails, unit: 'emails' },
        met: counts.emails === expectedEmails && counts.errors === 0,
      },
    ];
  } finally {
    await service?.stop();
    await sink.close();
    redis.disconnect();
    await deletePrefix(prefix);
    await rm(dataDir, { recursive: true, force: true });
  }
}
