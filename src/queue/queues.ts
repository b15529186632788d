import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS, PUBLISH_QUEUE } from './jobs.js';
import { queueKeyPrefix } from './redis-keys.js';

/**
 * Entries each queue's events stream (`<prefix>:<name>:events`) keeps, trimmed approximately
 * (XADD MAXLEN ~) on every event: about the last 150–200 jobs' worth. Nothing in Syndicate reads
 * the stream (no `QueueEvents`); it is there for someone debugging with `QueueEvents` or
 * redis-cli. @defaultValue BullMQ's is 10,000
 */
export const QUEUE_EVENTS_MAX_LEN = 1000;

/**
 * The queues this process talks to, each created on first use: the publish queue and one per
 * channel. Each queue's keys carry its own hash tag ({@link queueKeyPrefix}), for Redis Cluster.
 */
export class Queues {
  private readonly created = new Map<string, Queue>();
  private readonly enabled = new Set<string>();

  /**
   * @param connection a command connection shared by every queue
   * @param prefix the deployment's key prefix (QUEUE_PREFIX)
   */
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
      queue = new Queue(name, {
        connection: this.connection,
        prefix: queueKeyPrefix(this.prefix, name),
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        streams: { events: { maxLen: QUEUE_EVENTS_MAX_LEN } },
        // A Queue made while Redis is away would otherwise wait for it on every call; workers
        // and `doctor` still check the server's version.
        skipWaitingForReady: true,
        skipVersionCheck: true,
      });
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
