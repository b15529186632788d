/**
 * `syndicate_queue_jobs{queue,state}`, read at scrape time: one BullMQ `getJobCounts` per queue
 * (a handful of ZCARD/LLEN in one round trip), shared by scrapes that arrive within a second.
 */
import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import { QUEUE_JOBS, QUEUE_JOB_STATES } from './catalogue.js';
import { withTimeout } from './timeout.js';

type Counts = ReadonlyArray<{ queue: string; counts: Readonly<Record<string, number>> }>;

export interface QueueJobsOptions {
  /** The queues to count, asked at each read (a queue enabled later is counted too). */
  queues: () => readonly Queue[];
  /** Called when Redis does not answer in time; the scrape goes on without the gauge. */
  onError: (error: unknown) => void;
  /** How long one reading serves. @defaultValue 1000 */
  cacheMs?: number;
  /** How long a scrape waits for Redis. @defaultValue 2000 */
  timeoutMs?: number;
}

export function registerQueueJobs(registry: Registry, options: QueueJobsOptions): void {
  const cacheMs = options.cacheMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 2000;
  let cached: { at: number; counts: Promise<Counts> } | undefined;

  const read = (): Promise<Counts> => {
    if (cached && performance.now() - cached.at < cacheMs) return cached.counts;
    const counts = withTimeout(
      Promise.all(options.queues().map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts(...QUEUE_JOB_STATES) }))),
      timeoutMs,
      'queue job counts',
    );
    cached = { at: performance.now(), counts };
    // A failed reading is not served to the next scrape.
    counts.catch(() => (cached = undefined));
    return counts;
  };

  new Gauge({
    name: QUEUE_JOBS.name,
    help: QUEUE_JOBS.help,
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        for (const { queue, counts } of await read()) {
          for (const state of QUEUE_JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }
      } catch (error) {
        options.onError(error);
      }
    },
  });
}
