/** The baseline most benchmarks stand beside: one raw BullMQ hop (Queue.add → a Worker runs it). */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every key under `prefix`. */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

/** Milliseconds from `Queue.add` until the worker runs the job, for `samples` jobs after 5 warm-ups. */
export async function rawBullmqHop(samples: number): Promise<number[]> {
  const prefix = `bench-raw-${process.pid}-${Date.now()}`;
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('hop', { connection, prefix });
  const waiters = new Map<string, () => void>();
  const worker = new Worker('hop', async (job) => waiters.get(job.id!)?.(), {
    connection: new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null }),
    prefix,
  });
  await worker.waitUntilReady();
  const times: number[] = [];
  for (let i = 0; i < samples + 5; i++) {
    const id = `job-${i}`;
    const started = performance.now();
    const done = new Promise<void>((resolve) => waiters.set(id, resolve));
    await queue.add('hop', {}, { jobId: id });
    await done;
    if (i >= 5) times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await worker.close();
  await queue.close();
  connection.disconnect();
  await deletePrefix(prefix);
  return times;
}
