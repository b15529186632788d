/**
 * Newsletter: BENCH_SUBSCRIBERS (default 100,000) confirmed subscribers, one article, every
 * email DKIM-signed (both sides, one key) to a local SMTP sink (smtp-server, in this process,
 * used by both runs).
 *   - throughput: our publish + newsletter workers (child process, SQLite ledger, BullMQ
 *     batches) from publish to the last message, beside raw pooled nodemailer (child process)
 *     sending the same messages to the same sink with as many in flight;
 *   - enqueue: publish until every ledger row and batch job exists, beside raw BullMQ
 *     addBulk of as many one-recipient jobs;
 *   - peak RSS (maxRSS) of our worker process, beside the raw sender's.
 * Our worker runs compiled (`tsc -p tsconfig.build.json`, as in the Docker image), and once more
 * through tsx, as `npm start` runs it.
 *
 * For iterating: BENCH_NEWSLETTER_ONLY=build|tsx runs our worker alone, once; BENCH_CPU_PROF=<dir>
 * profiles the children; BENCH_HEAP_PROF=<file> (with ONLY) writes a sampling heap profile of
 * our worker; BENCH_MEMORY_DETAIL=1 prints its heap each second.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { SubscriberImporter } from '../src/channels/newsletter/subscriber-import.js';
import { startSmtpSink, type SmtpSink } from '../tests/helpers/smtp-sink.js';
import { BENCH_REDIS_URL, deletePrefix } from './raw-hop.js';
import { fmt, type Row } from './stats.js';
import { benchArticleInput } from './articles.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/**
 * Both sides sign with DKIM, as production does: one 2048-bit RSA key made for this run, given
 * to our worker as DKIM_* (its config) and to raw nodemailer as the same `dkim` option.
 */
const DKIM = {
  domain: 'news.example.com',
  selector: 'bench',
  privateKey: generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).privateKey,
};

/** Our worker as `npm start` runs it (the sources through tsx) or as the Docker image does (the build). */
type Form = 'tsx' | 'build';

function child(file: string, env: Record<string, string>, tsx = true): ChildProcess {
  return fork(path.join(here, file), [], {
    execArgv: [
      ...(tsx ? ['--import', 'tsx'] : []),
      // e.g. BENCH_WORKER_FLAGS=--max-old-space-size=160 to try V8 settings on our worker.
      ...(process.env.BENCH_WORKER_FLAGS && file.includes('worker') ? process.env.BENCH_WORKER_FLAGS.split(' ') : []),
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
}

function nextMessage<T>(process: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    process.once('message', (message) => resolve(message as T));
    process.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

/** A DATA_DIR database holding `count` confirmed immediate subscribers (also used by bench/memory.ts and bench/soak.ts). */
export async function prepareSubscribers(dataDir: string, count = SUBSCRIBERS): Promise<void> {
  const database = await openDatabase(`sqlite:${path.join(dataDir, 'syndicate.db')}`);
  await migrateToLatest(database);
  const store = new SubscriberImporter(database);
  for (let start = 0; start < count; start += 5000) {
    const rows = Array.from({ length: Math.min(5000, count - start) }, (_, i) => ({
      email: `reader-${start + i}@example.org`,
      frequency: 'immediate' as const,
      categories: [],
      name: null,
    }));
    await store.importMany(rows, { confirmed: true, now: new Date() });
  }
  await database.close();
}

/** The same subscribers, a new article: forget the last round's ledger and articles. */
async function resetDeliveries(dataDir: string): Promise<void> {
  const database = await openDatabase(`sqlite:${path.join(dataDir, 'syndicate.db')}`);
  await database.db.deleteFrom('deliveries').execute();
  await database.db.deleteFrom('article_categories').execute();
  await database.db.deleteFrom('article_revisions').execute();
  await database.db.deleteFrom('articles').execute();
  await database.close();
}

async function rawNodemailer(sink: SmtpSink, parsedKey = false): Promise<{ perSecond: number; maxRssMb: number }> {
  sink.messages.length = 0;
  const raw = child('newsletter-raw.ts', {
    BENCH_SMTP_URL: sink.url,
    BENCH_SUBSCRIBERS: String(SUBSCRIBERS),
    BENCH_DKIM: JSON.stringify(DKIM),
    ...(parsedKey ? { BENCH_DKIM_PARSED: '1' } : {}),
  });
  const result = await nextMessage<{ sent: number; ms: number; maxRssMb: number }>(raw);
  await sink.waitFor(SUBSCRIBERS, 60_000);
  return { perSecond: (result.sent * 1000) / result.ms, maxRssMb: result.maxRssMb };
}

async function rawAddBulk(): Promise<number> {
  const prefix = `bench-addbulk-${process.pid}`;
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('newsletter', { connection, prefix });
  const started = performance.now();
  for (let start = 0; start < SUBSCRIBERS; start += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, SUBSCRIBERS - start) }, (_, i) => ({ name: 'deliver', data: { target: `reader-${start + i}` } })),
    );
  }
  const ms = performance.now() - started;
  await queue.close();
  connection.disconnect();
  await deletePrefix(prefix);
  return ms;
}

async function ours(sink: SmtpSink, dataDir: string, prefix: string, form: Form) {
  sink.messages.length = 0;
  const started = performance.now();
  const worker = child(
    'newsletter-worker.mjs',
    {
      ...(form === 'build' ? { BENCH_BUILD: '1' } : {}),
      // The same article the raw baseline renders.
      BENCH_ARTICLE: JSON.stringify({ ...benchArticleInput(0), id: 'bench-newsletter' }),
      BENCH_ENV: JSON.stringify({
        DATA_DIR: dataDir,
        REDIS_URL: BENCH_REDIS_URL,
        QUEUE_PREFIX: prefix,
        CHANNELS: 'newsletter',
        SMTP_URL: sink.url,
        MAIL_FROM: 'Bench Desk <desk@news.example.com>',
        MAIL_RATE: '0',
        PUBLIC_BASE_URL: 'https://news.example.com',
        SITE_TITLE: 'Bench Desk',
        MAIL_POSTAL_ADDRESS: '1 Main St',
        DKIM_DOMAIN: DKIM.domain,
        DKIM_SELECTOR: DKIM.selector,
        DKIM_PRIVATE_KEY: DKIM.privateKey,
      }),
    },
    form === 'tsx',
  );
  const { planned } = await nextMessage<{ planned: number }>(worker);
  const workerReady = performance.now() - started - planned;
  await sink.waitFor(SUBSCRIBERS, 600_000);
  const ms = performance.now() - started - workerReady;
  await new Promise((resolve) => setTimeout(resolve, 500));
  const unique = new Set(sink.messages.map((mail) => mail.envelope.to[0])).size;
  if (unique !== SUBSCRIBERS || sink.messages.length !== SUBSCRIBERS) {
    throw new Error(`expected ${SUBSCRIBERS} emails to as many addresses, got ${sink.messages.length} to ${unique}`);
  }
  worker.send('stop');
  const { maxRssMb } = await nextMessage<{ maxRssMb: number }>(worker);
  return { perSecond: (SUBSCRIBERS * 1000) / ms, planned, maxRssMb };
}

export async function benchNewsletter(): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'syndicate-bench-newsletter-'));
  const prefix = `bench-newsletter-${process.pid}`;
  const sink = await startSmtpSink({ parse: false });
  try {
    await prepareSubscribers(dataDir);
    execFileSync(process.execPath, [
      path.join(here, '../node_modules/typescript/bin/tsc'),
      '-p',
      path.join(here, '../tsconfig.build.json'),
    ]);
    const only = process.env.BENCH_NEWSLETTER_ONLY;
    if (only === 'build' || only === 'tsx') {
      // For iterating on our worker alone: one run of one form, no baseline, no rows.
      const run = await ours(sink, dataDir, `${prefix}-0`, only);
      console.log(`newsletter (${only} only): ${fmt(run.perSecond, 'msg/s', 0)}, peak RSS ${fmt(run.maxRssMb, 'MB', 0)}`);
      return [];
    }
    const addBulkMs = await rawAddBulk();
    // Rounds alternate raw and ours (the Docker image's compiled build), best of each: two
    // cores shared with the sink make single runs swing by a third. Then one run as
    // `npm start` runs it, through tsx.
    const raws = [];
    const ourRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      // The baseline signs as we do: the DKIM key parsed once (a KeyObject), the same headers.
      raws.push(await rawNodemailer(sink, true));
      ourRuns.push(await ours(sink, dataDir, `${prefix}-${round}`, 'build'));
      await resetDeliveries(dataDir);
    }
    const tsxRun = await ours(sink, dataDir, `${prefix}-tsx`, 'tsx');
    // Raw nodemailer as its documentation shows it, the key as PEM text, which it parses again
    // for every message (~1 ms each): what send.ts parsing it once saves.
    const rawPem = await rawNodemailer(sink);
    const raw = { perSecond: Math.max(...raws.map((r) => r.perSecond)), maxRssMb: Math.max(...raws.map((r) => r.maxRssMb)) };
    const our = {
      perSecond: Math.max(...ourRuns.map((r) => r.perSecond)),
      planned: Math.min(...ourRuns.map((r) => r.planned)),
      maxRssMb: Math.max(...ourRuns.map((r) => r.maxRssMb)),
    };
    const n = SUBSCRIBERS.toLocaleString('en');
    const ratio = our.perSecond / raw.perSecond;
    const tsxRatio = tsxRun.perSecond / raw.perSecond;
    return [
      {
        benchmark: `newsletter: ${n} DKIM-signed emails, publish → last message at the SMTP sink (built, best of ${ROUNDS})`,
        ours: fmt(our.perSecond, 'msg/s', 0),
        baseline: `${fmt(raw.perSecond, 'msg/s', 0)} (raw pooled nodemailer, same messages, same DKIM key parsed once, same sink)`,
        ratio: ratio.toFixed(2),
        target: '≥ 0.85',
        figures: { ours: our.perSecond, baseline: raw.perSecond, ratio, unit: 'msg/s' },
        met: ratio >= 0.85,
      },
      {
        benchmark: `newsletter: the same through tsx (npm start), one run`,
        ours: fmt(tsxRun.perSecond, 'msg/s', 0),
        baseline: `${fmt(raw.perSecond, 'msg/s', 0)} (raw, as above)`,
        ratio: tsxRatio.toFixed(2),
        target: 'informational',
        figures: { ours: tsxRun.perSecond, baseline: raw.perSecond, ratio: tsxRatio, unit: 'msg/s' },
      },
      {
        benchmark: `newsletter: the built run beside raw nodemailer given the DKIM key as PEM text (one run)`,
        ours: fmt(our.perSecond, 'msg/s', 0),
        baseline: `${fmt(rawPem.perSecond, 'msg/s', 0)} (raw pooled nodemailer, DKIM key as PEM text, parsed per message)`,
        ratio: (our.perSecond / rawPem.perSecond).toFixed(2),
        target: 'informational',
        figures: { ours: our.perSecond, baseline: rawPem.perSecond, ratio: our.perSecond / rawPem.perSecond, unit: 'msg/s' },
      },
      {
        benchmark: `newsletter: enqueue ${n} deliveries (ledger rows + batch jobs)`,
        ours: fmt(our.planned, 'ms', 0),
        baseline: `${fmt(addBulkMs, 'ms', 0)} (raw BullMQ addBulk of ${n} jobs)`,
        ratio: (our.planned / addBulkMs).toFixed(2),
        target: '< 10,000 ms',
        figures: { ours: our.planned, baseline: addBulkMs, ratio: our.planned / addBulkMs, unit: 'ms' },
        met: our.planned < 10_000,
      },
      {
        benchmark: `newsletter: peak RSS of the worker process (built, highest of ${ROUNDS})`,
        ours: fmt(our.maxRssMb, 'MB', 0),
        baseline: `${fmt(raw.maxRssMb, 'MB', 0)} (the raw nodemailer process)`,
        ratio: (our.maxRssMb / raw.maxRssMb).toFixed(2),
        target: '< 300 MB',
        figures: { ours: our.maxRssMb, baseline: raw.maxRssMb, ratio: our.maxRssMb / raw.maxRssMb, unit: 'MB' },
        met: our.maxRssMb < 300,
      },
      {
        benchmark: 'newsletter: peak RSS of the worker process through tsx (npm start)',
        ours: fmt(tsxRun.maxRssMb, 'MB', 0),
        baseline: `${fmt(raw.maxRssMb, 'MB', 0)} (the raw nodemailer process)`,
        ratio: (tsxRun.maxRssMb / raw.maxRssMb).toFixed(2),
        target: '< 300 MB',
        figures: { ours: tsxRun.maxRssMb, baseline: raw.maxRssMb, ratio: tsxRun.maxRssMb / raw.maxRssMb, unit: 'MB' },
        met: tsxRun.maxRssMb < 300,
      },
    ];
  } finally {
    await sink.close();
    for (const suffix of [...Array.from({ length: ROUNDS }, (_, round) => String(round)), 'tsx']) await deletePrefix(`${prefix}-${suffix}`);
    await rm(dataDir, { recursive: true, force: true });
  }
}
