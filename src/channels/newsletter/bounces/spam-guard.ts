/**
 * The spam-rate guard (issue #11): Gmail and Yahoo throttle, then block, bulk senders whose
 * complaints pass 0.3 %. When one email's complaints pass {@link COMPLAINT_RATE_LIMIT} of the
 * subscribers it was sent to, the newsletter queue pauses (BullMQ `queue.pause()`: no worker
 * takes a newsletter job, in any process) and says so in `/readyz` (the channel is listed as
 * failing), in `syndicate newsletter status` and in the log, until an operator runs
 * `syndicate newsletter resume`. An email pauses the queue once: after a resume its further
 * complaints still suppress their subscribers, but only another email can pause it again.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ChannelHealth } from '../../../queue/channel-health.js';
import type { DeliveryStore } from '../../../store/deliveries.js';
import type { SubscriberStore } from '../../../store/subscribers.js';

/** Complaints per recipient above which the newsletter pauses: 0.3 %. */
export const COMPLAINT_RATE_LIMIT = 0.003;

/** How long an email that paused the queue is remembered (so it pauses it once): 90 days. */
const TRIPPED_TTL_S = 90 * 24 * 3600;

/** The email a complaint is about: its article (a digest's newest) and ledger channel. */
export interface LetterKey {
  articleId: string;
  channel: string;
}

export interface SpamGuardDeps {
  /** The newsletter's BullMQ queue. */
  queue: () => Queue;
  health: ChannelHealth;
  deliveries: DeliveryStore;
  subscribers: SubscriberStore;
  logger: Logger;
  redis: Redis;
  /** QUEUE_PREFIX. */
  keyPrefix: string;
  /** The channel name `/readyz` lists (`newsletter`). */
  channel: string;
  now?: () => Date;
}

export interface SpamGuardStatus {
  paused: boolean;
  /** Why, when the guard paused it (null when paused otherwise, or running). */
  reason: string | null;
  since: Date | null;
}

export class SpamGuard {
  private readonly pausedKey: string;
  private readonly now: () => Date;

  constructor(private readonly deps: SpamGuardDeps) {
    this.pausedKey = `${deps.keyPrefix}:newsletter:spam-guard:paused`;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Looks at one email's complaint rate after a complaint about it; pauses the newsletter when
   * it passes the limit (the first time only).
   * @returns whether this call paused the queue.
   */
  async check(letter: LetterKey): Promise<boolean> {
    const complaints = await this.deps.subscribers.countComplaints(letter.articleId, letter.channel);
    const counts = await this.deps.deliveries.countByState(letter.articleId, letter.channel, { targetsOnly: true });
    const recipients = counts.sent ?? 0;
    if (recipients === 0 || complaints / recipients <= COMPLAINT_RATE_LIMIT) return false;
    const tripped = await this.deps.redis.set(
      `${this.deps.keyPrefix}:newsletter:spam-guard:tripped:${letter.channel}:${letter.articleId}`,
      String(this.now().getTime()),
      'EX',
      TRIPPED_TTL_S,
      'NX',
    );
    if (tripped === null) return false;
    const rate = ((100 * complaints) / recipients).toFixed(2);
    const what = letter.channel === this.deps.channel ? `article "${letter.articleId}"` : `the digest ending with "${letter.articleId}"`;
    await this.pause(
      `spam complaints about ${what}: ${complaints} of ${recipients} recipients (${rate} %) is over ${COMPLAINT_RATE_LIMIT * 100} %; run \`syndicate newsletter resume\` once it is dealt with`,
    );
    return true;
  }

  /** Pauses the newsletter queue for every worker and says why (`/readyz`, the log, `status`). */
  async pause(reason: string): Promise<void> {
    const since = this.now();
    await this.deps.queue().pause();
    await this.deps.redis.set(this.pausedKey, JSON.stringify({ reason, since: since.toISOString() }));
    await this.deps.health.markFailing(this.deps.channel, `paused: ${reason}`);
    this.deps.logger.error({ channel: this.deps.channel, reason }, `newsletter paused: ${reason}`);
  }

  /** An operator's resume: the queue runs again and `/readyz` stops listing the channel. */
  async resume(): Promise<SpamGuardStatus> {
    const before = await this.status();
    await this.deps.queue().resume();
    await this.deps.redis.del(this.pausedKey);
    await this.deps.health.markHealthy(this.deps.channel);
    this.deps.logger.warn(
      { channel: this.deps.channel, wasPaused: before.paused, reason: before.reason },
      'newsletter resumed by an operator',
    );
    return before;
  }

  /** Whether the newsletter queue is paused, and why when the guard did it. */
  async status(): Promise<SpamGuardStatus> {
    const [paused, stored] = await Promise.all([this.deps.queue().isPaused(), this.deps.redis.get(this.pausedKey)]);
    let record: { reason?: unknown; since?: unknown } = {};
    try {
      record = stored ? (JSON.parse(stored) as typeof record) : {};
    } catch {
      record = {};
    }
    return {
      paused,
      reason: paused && typeof record.reason === 'string' ? record.reason : null,
      since: paused && typeof record.since === 'string' ? new Date(record.since) : null,
    };
  }
}
