import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS, PUBLISH_QUEUE } from './jobs.js';

/** The queues this process talks to, each created on first use: the publish queue and one per channel. */
export class Queues {
  private readonly created = new Map<string, Queue>();
  private readonly enabled = new Set<string>();

  constructor(
    private readonly connection: Redis,
    readonly prefix: string,
  ) {}

  get publish(): Queue {
    return this.channel(PUBLISH_QUEUE);
  }

  /** The queue called `name`. */
  channel(name: string): Queue {
    let queue = this.created.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
      this.created.set(name, queue);
    }
    return queue;
  }

  /** Marks `name` as the queue of a channel that is on in this deployment. */
  enable(name: string): void {
    this.enabled.add(name);
  }

  /** Whether `name` is the queue of a channel that is on. */
  hasChannel(name: string): boolean {
    return this.enabled.has(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.created.values()].map((queue) => queue.close()));
  }
}
