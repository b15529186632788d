/**
 * Totals every process adds to and any process reads: one Redis hash per metric, one field per
 * series. Deliveries, job durations and feed rebuilds happen in worker processes, which serve
 * no HTTP; the API's /metrics reads them from here, so one scrape shows the whole deployment.
 *
 * Adding is synchronous and in memory; `flush` sends what accumulated in one MULTI (the
 * newsletter's thousands of outcomes per minute become a few HINCRBYFLOATs). A failed flush
 * keeps its amounts for the next one, so a short Redis outage loses nothing.
 */
import type { Redis } from 'ioredis';
import { keyGroupPrefix } from '../queue/redis-keys.js';

export class SharedTotals {
  private pending = new Map<string, Map<string, number>>();
  private flushing: Promise<void> | undefined;

  /**
   * @param redis a command connection (fails fast while Redis is away)
   * @param keyPrefix the deployment's key prefix (QUEUE_PREFIX)
   */
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** Adds `amount` to `field` of `metric`, in memory until the next flush. */
  add(metric: string, field: string, amount: number): void {
    if (amount === 0) return;
    let fields = this.pending.get(metric);
    if (!fields) this.pending.set(metric, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + amount);
  }

  /** Sends every pending amount to Redis; rejects (keeping them) when Redis does not take them. */
  async flush(): Promise<void> {
    // One flush at a time: a second caller waits for the first, then sends what came since.
    while (this.flushing) await this.flushing.catch(() => {});
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** Every field of `metric` and its total. */
  async read(metric: string): Promise<Map<string, number>> {
    const raw = await this.redis.hgetall(this.key(metric));
    return new Map(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
  }

  /** Sets `field` of `metric` (a value, not a total: credential expiry times). */
  async put(metric: string, field: string, value: number): Promise<void> {
    await this.redis.hset(this.key(metric), field, String(value));
  }

  async remove(metric: string, field: string): Promise<void> {
    await this.redis.hdel(this.key(metric), field);
  }

  private key(metric: string): string {
    // One hash tag for every metric: a flush writes them all in one MULTI (Redis Cluster).
    return `${keyGroupPrefix(this.keyPrefix, 'metrics')}:${metric}`;
  }

  private async write(batch: Map<string, Map<string, number>>): Promise<void> {
    const sent: Array<[metric: string, field: string, amount: number]> = [];
    for (const [metric, fields] of batch) for (const [field, amount] of fields) sent.push([metric, field, amount]);
    const multi = this.redis.multi();
    // HINCRBYFLOAT for counts too: a field never mixes integer and float increments.
    for (const [metric, field, amount] of sent) multi.hincrbyfloat(this.key(metric), field, amount);
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await multi.exec();
    } catch (error) {
      // Nothing was applied: give everything back to the next flush.
      for (const [metric, field, amount] of sent) this.add(metric, field, amount);
      throw error;
    }
    // A transaction applies every command it can (null: discarded); give back what was not applied.
    const failed = sent.filter((_, i) => !results || results[i]?.[0]);
    for (const [metric, field, amount] of failed) this.add(metric, field, amount);
    if (failed.length > 0) throw results?.find(([error]) => error)?.[0] ?? new Error('the metrics transaction was discarded');
  }
}
