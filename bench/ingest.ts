/**
 * Ingest: articles per second accepted by POST /api/articles — 500 articles, 20 clients at a
 * time, over real HTTP (keep-alive) to a Syndicate API process on SQLite configured as
 * `npm start` would, its workers not running — against the same 500 payloads handed straight
 * to BullMQ's `Queue.add`, 20 at a time, on the same Redis. Our path adds HTTP, validation,
 * the SQLite transaction (article, revision, categories) and the same enqueue.
 *
 * Workers off: ingest is the API's work. In `npm start`'s single process the workers would
 * publish each article (fan-out, feed rebuilds, outbox writes) on the same CPU while the rest
 * are still arriving; that is the publish path's cost, measured by publish-to-feed, and the
 * baseline's jobs have no consumer either. BENCH_INGEST_WORKERS=1 runs them for comparison.
 *
 * Rounds alternate ours and the baseline (BENCH_INGEST_ROUNDS, default 5); the row is the
 * median of the per-round ratios. The client is checked against a bare node:http sink first:
 * it must go several times faster than ours, or the figure would be the client's.
 * BENCH_INGEST_CPU_PROF=dir writes a --cpu-prof profile of the API process there.
 */
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { benchArticleInput } from './articles.js';
import { cpuMs } from './feed-serve.js';
import { BENCH_REDIS_URL, deletePrefix } from './raw-hop.js';
import { fmt, percentile, type Row } from './stats.js';
import { startServer, stop } from './child-server.js';

const ARTICLES = 500;
const CONCURRENCY = 20;
const ROUNDS = Number(process.env.BENCH_INGEST_ROUNDS ?? 5);
const WITH_WORKERS = process.env.BENCH_INGEST_WORKERS === '1';
const TOKEN = 'bench-ingest-token-0123456789';
const TARGET = 0.5;
/** The sink must outrun ours by this much for the client not to be what is measured. */
const CLIENT_HEADROOM = 3;

/** Runs `task(i)` for i in [0, count), `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The articles of one round: fresh ids, so each POST creates (202), as a newsroom's would. */
function payloads(round: string): string[] {
  return Array.from({ length: ARTICLES }, (_, i) => JSON.stringify({ ...benchArticleInput(i), id: `bench-${round}-${i}` }));
}

function post(agent: Agent, port: number, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/articles',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Run {
  perSecond: number;
  /** This (the client's) process's CPU time over the run's wall time. */
  clientCpuShare: number;
  /** CPU time per article of this process, in microseconds. */
  clientCpuMicros: number;
  /** CPU time per article of the server process, in microseconds (NaN without a server). */
  serverCpuMicros: number;
}

async function timed(work: () => Promise<void>, serverPid?: number): Promise<Run> {
  const cpu = process.cpuUsage();
  const serverCpu = cpuMs(serverPid);
  const started = performance.now();
  await work();
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const clientCpuMs = (used.user + used.system) / 1000;
  return {
    perSecond: (ARTICLES / elapsedMs) * 1000,
    clientCpuShare: clientCpuMs / elapsedMs,
    clientCpuMicros: (clientCpuMs * 1000) / ARTICLES,
    serverCpuMicros: ((cpuMs(serverPid) - serverCpu) * 1000) / ARTICLES,
  };
}

/** POSTs the round's articles; fails loudly on any answer but 202. */
function postAll({ port, child }: { port: number; child: ChildProcess }, bodies: string[]): Promise<Run> {
  // noDelay: Node's client leaves Nagle on, and the delayed ACKs it meets cost milliseconds per request.
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, noDelay: true });
  return timed(
    () =>
      inParallel(bodies.length, CONCURRENCY, async (i) => {
        const answer = await post(agent, port, bodies[i]!);
        if (answer.status !== 202) throw new Error(`POST /api/articles answered ${answer.status}: ${answer.body.slice(0, 500)}`);
      }),
    child.pid,
  ).finally(() => agent.destroy());
}

/** The baseline: the same payloads straight into a BullMQ queue. */
function addAll(queue: Queue, bodies: string[]): Promise<Run> {
  return timed(() =>
    inParallel(bodies.length, CONCURRENCY, async (i) => {
      const data = JSON.parse(bodies[i]!) as { id: string };
      await queue.add('publish', data, { jobId: `publish-${data.id}` });
    }),
  );
}

export async function benchIngest(): Promise<Row[]> {
  const prefix = `bench-ingest-${process.pid}`;
  const baselinePrefix = `bench-ingest-raw-${process.pid}`;
  const sink = await startServer('sink-server.ts', []);
  let sinkRate = 0;
  try {
    for (let round = 0; round < 3; round++) await postAll(sink, payloads('warm'));
    // The best of three: what the client can do when the machine lets it.
    for (let round = 0; round < 3; round++) sinkRate = Math.max(sinkRate, (await postAll(sink, payloads('sink'))).perSecond);
  } finally {
    await stop(sink.child);
  }

  const ours = await startServer(
    'ingest-server.ts',
    [prefix, TOKEN, ...(WITH_WORKERS ? ['--workers'] : [])],
    process.env.BENCH_INGEST_CPU_PROF,
  );
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('publish', { connection, prefix: baselinePrefix });
  try {
    await queue.waitUntilReady();
    // Warm-up: JIT, SQLite's page cache, the connections.
    await postAll(ours, payloads('warm'));
    await addAll(queue, payloads('warm'));
    const oursRuns: Run[] = [];
    const baselineRuns: Run[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bodies = payloads(`r${round}`);
      // Alternate which goes first, so a drift in the machine's load does not favour one.
      const first = round % 2 === 0;
      const a = first ? await postAll(ours, bodies) : await addAll(queue, bodies);
      const b = first ? await addAll(queue, bodies) : await postAll(ours, bodies);
      const [oursRun, baselineRun] = first ? [a, b] : [b, a];
      oursRuns.push(oursRun);
      baselineRuns.push(baselineRun);
      ratios.push(oursRun.perSecond / baselineRun.perSecond);
    }
    const ratio = percentile(ratios, 50);
    const median = (runs: Run[], figure: (run: Run) => number) => percentile(runs.map(figure), 50);
    const oursRate = median(oursRuns, (run) => run.perSecond);
    const baselineRate = median(baselineRuns, (run) => run.perSecond);
    const clientCpu = median(oursRuns, (run) => run.clientCpuShare);
    // CPU per article does not depend on how much of the machine each side got.
    const oursCpu = median(oursRuns, (run) => run.serverCpuMicros);
    const baselineCpu = median(baselineRuns, (run) => run.clientCpuMicros);
    if (sinkRate < oursRate * CLIENT_HEADROOM) {
      throw new Error(`the client is near its limit: ${sinkRate.toFixed(0)} POST/s to a bare sink, ${oursRate.toFixed(0)} to ours`);
    }
    return [
      {
        benchmark: `POST /api/articles, ${ARTICLES} articles, ${CONCURRENCY} clients (SQLite, workers ${WITH_WORKERS ? 'on' : 'off'})`,
        ours: `${fmt(oursRate, 'articles/s', 0)}, API ${oursCpu.toFixed(0)} µs CPU/article (client ${(clientCpu * 100).toFixed(0)} % CPU; it does ${sinkRate.toFixed(0)}/s to a bare sink)`,
        baseline: `${fmt(baselineRate, 'jobs/s', 0)}, ${baselineCpu.toFixed(0)} µs CPU/job (raw BullMQ Queue.add, ${CONCURRENCY} at a time)`,
        ratio: `${ratio.toFixed(2)} (median of ${ROUNDS} alternating rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
        target: `≥ ${TARGET}`,
        figures: { ours: oursRate, baseline: baselineRate, ratio, unit: 'articles/s' },
        met: ratio >= TARGET,
      },
    ];
  } finally {
    await queue.close();
    connection.disconnect();
    await deletePrefix(baselinePrefix);
    await stop(ours.child);
  }
}
