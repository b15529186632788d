/**
 * Which channels are failing on credentials, shared through Redis so that every API process's
 * /readyz can report what any worker found.
 */
import type { Redis } from 'ioredis';

export class ChannelHealth {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:channel-failures`;
  }

  /** Records that `channel`'s credentials were refused, with the platform's message. */
  async markFailing(channel: string, message: string): Promise<void> {
    await this.redis.hset(this.key, channel, `${new Date().toISOString()} ${message}`);
  }

  /** Clears `channel` after a call the platform accepted. */
  async markHealthy(channel: string): Promise<void> {
    await this.redis.hdel(this.key, channel);
  }

  /** Failing channels and why. */
  async failing(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key);
  }
}
