/**
 * Remembers the webhook tokens already used, in Redis (every API process shares them), for as
 * long as a signature can be fresh: a replayed Mailgun delivery is refused even when its
 * signature is right and recent.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export class ReplayGuard {
  constructor(
    private readonly redis: Redis,
    /** e.g. `<QUEUE_PREFIX>:webhooks:mailgun`. */
    private readonly keyPrefix: string,
    /** Longer than a signature stays fresh. */
    private readonly ttlSeconds: number,
  ) {}

  /** True the first time `token` is seen within the TTL; false for a replay. */
  async claim(token: string): Promise<boolean> {
    return (await this.redis.set(this.key(token), '1', 'EX', this.ttlSeconds, 'NX')) === 'OK';
  }

  /** Forgets `token`, so that the sender's retry of a delivery we failed to process is taken. */
  async release(token: string): Promise<void> {
    await this.redis.del(this.key(token));
  }

  private key(token: string): string {
    return `${this.keyPrefix}:seen:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
  }
}
