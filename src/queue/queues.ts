import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS, PUBLISH_QUEUE } from './jobs.js';

/** The queues this process talks to: the publish queue plus one per enabled channel. */
export class Queues {
  readonly publish: Queue;
  private readonly channelQueues = new Map<string, Queue>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
    channels: readonly string[],
  ) {
    this.publish = this.create(PUBLISH_QUEUE);
    for (const channel of channels) this.channelQueues.set(channel, this.create(channel));
  }

  private create(name: string): Queue {
    return new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  }

  /** The queue of an enabled channel; throws for a channel that is not enabled. */
  channel(name: string): Queue {
    const queue = this.channelQueues.get(name);
    if (!queue) throw new Error(`no queue for channel "${name}" (is it in CHANNELS?)`);
    return queue;
  }

  hasChannel(name: string): boolean {
    return this.channelQueues.has(name);
  }

  all(): Queue[] {
    return [this.publish, ...this.channelQueues.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
  }
}
