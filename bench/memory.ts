/**
 * Memory: the whole service, as a user runs it, sending one article to BENCH_SUBSCRIBERS
 * (default 100,000) confirmed subscribers. `node bin/syndicate.js start` (what `npm start`
 * runs: API and every worker in one process, the sources through tsx), then the same compiled
 * (`tsc -p tsconfig.build.json`, `node dist/src/cli/main.js start`, as the Dockerfile does),
 * each with CHANNELS=feeds,newsletter and SMTP_URL pointing at a local SMTP sink. One article
 * goes in through `POST /articles`; the run ends when every email has reached the sink.
 * The figure is the process's peak resident set (VmHWM in /proc/<pid>/status, the kernel's own
 * high-water mark); VmRSS is sampled on the way for the timeline.
 *
 * Baseline: a bare `node -e` process that only imports the packages the service loads for
 * these channels (the floor no code of ours can go under), measured the same way.
 *
 * BENCH_MEMORY_FLAGS="--heap-prof --heap-prof-dir=/tmp/prof" (or --trace-gc…) passes node flags
 * to the service, to find what allocates; BENCH_MEMORY_FORMS=compiled runs one form only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tests/helpers/ports.js';
import { startSmtpSink, type SmtpSink } from '../tests/helpers/smtp-sink.js';
import { benchArticleInput } from './articles.js';
import { prepareSubscribers } from './newsletter.js';
import { BENCH_REDIS_URL, deletePrefix } from './raw-hop.js';
import { deskEnv, publishArticle, sampleRss, SERVICE_ENTRY, startService, type ServiceForm } from './service-process.js';
import { fmt, type Row } from './stats.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 100_000);
const TARGET_MB = 300;

/**
 * What `start` with CHANNELS=feeds,newsletter imports from node_modules (the X, Meta, Mastodon
 * and Bluesky clients are loaded only when their channel is on; tsx only by bin/syndicate.js).
 */
export const SERVICE_PACKAGES = [
  'bullmq',
  'ioredis',
  'fastify',
  '@fastify/formbody',
  '@fastify/rate-limit',
  '@bull-board/api',
  '@bull-board/fastify',
  'better-sqlite3',
  'kysely',
  'nodemailer',
  'pino',
  'prom-client',
  'zod',
  'dotenv',
  'feed',
  'htmlparser2',
  'juice',
  'sanitize-html',
];

/** Peak RSS (MB) of a bare node process that imports `packages` and exits. */
function bareImportPeakMb(packages: readonly string[]): number {
  const script = `await Promise.all(${JSON.stringify(packages)}.map((name) => import(name)));
const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
process.stdout.write(/^VmHWM:\\s+(\\d+)/m.exec(status)[1]);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`bare import baseline failed: ${result.stderr}`);
  return Number(result.stdout) / 1024;
}

/** Compiles as the Dockerfile does (`npm run build`); a type error elsewhere in the tree is reported, not fatal. */
function build(): void {
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
      stdio: 'pipe',
    });
  } catch (error) {
    if (!existsSync(path.join(root, SERVICE_ENTRY.compiled))) throw error;
    console.error(
      `memory: tsc reported errors; running the files it emitted anyway:\n${String((error as { stdout?: Buffer }).stdout ?? '')}`,
    );
  }
}

interface Run {
  peakMb: number;
  /** RSS once every email had arrived. */
  endMb: number;
  seconds: number;
  timeline: string;
}

async function runService(form: ServiceForm, dataDir: string, sink: SmtpSink, prefix: string): Promise<Run> {
  sink.messages.length = 0;
  const service = await startService({
    form,
    port: await freePort(),
    env: {
      DATA_DIR: dataDir,
      REDIS_URL: BENCH_REDIS_URL,
      QUEUE_PREFIX: prefix,
      CHANNELS: 'feeds,newsletter',
      ...deskEnv(sink.url),
      LOG_LEVEL: 'warn',
      // As the Dockerfile sets it for the compiled form; a user's `npm start` has none.
      ...(form === 'compiled' ? { NODE_ENV: 'production' } : {}),
    },
    nodeFlags: process.env.BENCH_MEMORY_FLAGS ? process.env.BENCH_MEMORY_FLAGS.split(' ') : [],
  });
  const rss = sampleRss(service.pid);
  try {
    const started = performance.now();
    await publishArticle(service.url, { ...benchArticleInput(0), id: 'bench-memory' });
    await sink.waitFor(SUBSCRIBERS, 1_800_000);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const unique = new Set(sink.messages.map((mail) => mail.envelope.to[0])).size;
    if (unique !== SUBSCRIBERS || sink.messages.length !== SUBSCRIBERS) {
      throw new Error(`expected ${SUBSCRIBERS} emails to as many addresses, got ${sink.messages.length} to ${unique}`);
    }
    rss.stop();
    // Every ~5 s, for the report: how the resident set moves through the send.
    const timeline = rss.samples
      .filter((_, i) => i % 20 === 0)
      .map((sample) => `${sample.seconds.toFixed(0)}s:${sample.rssMb.toFixed(0)}`)
      .join(' ');
    console.log(`MEMORY ${JSON.stringify({ form, peakMb: Math.round(rss.peakMb), seconds: Math.round(seconds), timeline })}`);
    return { peakMb: rss.peakMb, endMb: rss.samples.at(-1)?.rssMb ?? Number.NaN, seconds, timeline };
  } finally {
    rss.stop();
    await service.stop();
  }
}

export async function benchMemory(): Promise<Row[]> {
  const template = await mkdtemp(path.join(tmpdir(), 'syndicate-bench-memory-'));
  const prefix = `bench-memory-${process.pid}`;
  // BENCH_MEMORY_FORMS=compiled (or npm-start) runs one form only, e.g. while profiling.
  const forms = (process.env.BENCH_MEMORY_FORMS ?? 'npm-start,compiled').split(',') as ServiceForm[];
  const sink = await startSmtpSink({ parse: false });
  const dirs: string[] = [];
  try {
    await prepareSubscribers(template, SUBSCRIBERS);
    build();
    const baselineMb = bareImportPeakMb(SERVICE_PACKAGES);
    const runs = new Map<ServiceForm, Run>();
    for (const form of forms) {
      // Each run starts from the same database: the subscribers, no article, no ledger.
      const dataDir = await mkdtemp(path.join(tmpdir(), `syndicate-bench-memory-${form}-`));
      dirs.push(dataDir);
      await copyFile(path.join(template, 'syndicate.db'), path.join(dataDir, 'syndicate.db'));
      runs.set(form, await runService(form, dataDir, sink, `${prefix}-${form}`));
    }
    const n = SUBSCRIBERS.toLocaleString('en');
    const baseline = `${fmt(baselineMb, 'MB', 0)} (bare \`node -e\` importing the same ${SERVICE_PACKAGES.length} packages)`;
    const label: Record<ServiceForm, string> = {
      'npm-start': '`npm start` (node bin/syndicate.js start, tsx)',
      compiled: 'compiled (node dist/src/cli/main.js start)',
    };
    return forms.flatMap((form): Row[] => {
      const run = runs.get(form)!;
      return [
        {
          benchmark: `memory: peak RSS, ${n} subscribers, one article, via ${label[form]}`,
          ours: fmt(run.peakMb, 'MB', 0),
          baseline,
          ratio: (run.peakMb / baselineMb).toFixed(2),
          target: `< ${TARGET_MB} MB`,
          figures: { ours: run.peakMb, baseline: baselineMb, ratio: run.peakMb / baselineMb, unit: 'MB' },
          met: run.peakMb < TARGET_MB,
        },
        {
          benchmark: `memory: RSS once the last of ${n} emails arrived (${Math.round(run.seconds)} s after publishing), ${form}`,
          ours: fmt(run.endMb, 'MB', 0),
          baseline,
          ratio: (run.endMb / baselineMb).toFixed(2),
          target: 'informational',
          figures: { ours: run.endMb, baseline: baselineMb, ratio: run.endMb / baselineMb, unit: 'MB' },
        },
      ];
    });
  } finally {
    await sink.close();
    for (const form of forms) await deletePrefix(`${prefix}-${form}`);
    for (const dir of [template, ...dirs]) await rm(dir, { recursive: true, force: true });
  }
}
