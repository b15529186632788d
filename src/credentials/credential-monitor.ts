/**
 * The workers' hourly credentials checks (issue #10): each live channel with a `check` asks its
 * platform whether the credentials still work. Refused: the channel is marked failing, so every
 * API process's `/readyz` lists it; valid: it is marked healthy again. A week before they
 * expire, the log warns (every hour, until someone renews them). Every result is emitted as a
 * `credential.checked` event (metrics' `syndicate_credential_expiry_seconds`) and kept in Redis,
 * so a process that did not run the check can read it too ({@link readCredentialReports}).
 *
 * One process per interval checks a channel (a lock in Redis): ten workers do not ask X ten
 * times an hour (its free tier allows `GET /2/users/me` 25 times a day).
 */
import type { Redis } from 'ioredis';
import type { CredentialFinding } from '../channels/channel.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { ChannelHealth } from '../queue/channel-health.js';
import {
  CREDENTIAL_CHECK_TIMEOUT_MS,
  describeExpiry,
  EXPIRY_LOG_WARNING_MS,
  expiresWithin,
  runCredentialCheck,
  type CheckableChannel,
} from './credential-check.js';

/** How often each channel is checked. @defaultValue 1 hour */
export const CREDENTIAL_CHECK_INTERVAL_MS = 3600_000;

export interface CredentialMonitorDeps {
  channels: readonly CheckableChannel[];
  health: Pick<ChannelHealth, 'markFailing' | 'markHealthy'>;
  events: EventBus;
  logger: Logger;
  /** A command connection: the per-channel lock and the last results. */
  redis: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
}

export interface CredentialMonitorOptions {
  /** @defaultValue {@link CREDENTIAL_CHECK_INTERVAL_MS} */
  intervalMs?: number;
  /** @defaultValue {@link CREDENTIAL_CHECK_TIMEOUT_MS} */
  timeoutMs?: number;
  /** How far ahead of an expiry the log warns. @defaultValue 7 days */
  warnAheadMs?: number;
  now?: () => Date;
}

/** One channel's last check, as kept in Redis. */
export interface CredentialReport {
  channel: string;
  state: CredentialFinding['state'];
  account: string | null;
  /** ISO 8601, or null when they do not expire (or it is not known). */
  expiresAt: string | null;
  /** Why not valid, or a note. */
  message: string | null;
  checkedAt: string;
}

const reportsKey = (prefix: string) => `${prefix}:credential-checks`;

/** Every channel's last check, by channel, whichever process made it. */
export async function readCredentialReports(redis: Redis, prefix: string): Promise<Record<string, CredentialReport>> {
  const stored = await redis.hgetall(reportsKey(prefix));
  return Object.fromEntries(Object.entries(stored).map(([channel, json]) => [channel, JSON.parse(json) as CredentialReport]));
}

export class CredentialMonitor {
  private readonly intervalMs: number;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: CredentialMonitorDeps,
    private readonly options: CredentialMonitorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? CREDENTIAL_CHECK_INTERVAL_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** Checks at once, then every interval, until `stop`. */
  start(): void {
    if (this.deps.channels.length > 0) this.schedule(0);
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: every channel this process gets the lock for. Resolves with what was checked. */
  async checkAll(): Promise<CredentialReport[]> {
    const reports = await Promise.all(this.deps.channels.map((channel) => this.checkOne(channel)));
    return reports.filter((report): report is CredentialReport => report !== null);
  }

  /** Checks `channel` unless another process did within the interval; null then (or when Redis failed). */
  async checkOne(channel: CheckableChannel): Promise<CredentialReport | null> {
    const { redis, prefix, logger } = this.deps;
    try {
      // Released by time only: the next round of whichever process comes first takes it.
      const lockMs = Math.max(1, Math.floor(this.intervalMs * 0.9));
      const locked = await redis.set(`${prefix}:credential-check:${channel.name}`, String(process.pid), 'PX', lockMs, 'NX');
      if (locked !== 'OK') return null;
      const finding = await runCredentialCheck(channel, this.options.timeoutMs ?? CREDENTIAL_CHECK_TIMEOUT_MS);
      const report = toReport(channel.name, finding, this.now());
      await this.apply(channel.name, finding);
      await redis.hset(reportsKey(prefix), channel.name, JSON.stringify(report));
      return report;
    } catch (error) {
      logger.warn({ channel: channel.name, err: (error as Error).message }, 'credentials check could not run');
      return null;
    }
  }

  private async apply(channel: string, finding: CredentialFinding): Promise<void> {
    const { health, events, logger } = this.deps;
    const now = this.now();
    if (finding.state === 'valid') {
      await health.markHealthy(channel);
      const fields = { channel, account: finding.account, expiresAt: finding.expiresAt?.toISOString() ?? null };
      if (expiresWithin(finding, this.options.warnAheadMs ?? EXPIRY_LOG_WARNING_MS, now)) {
        logger.warn(fields, `${channel} credentials: ${describeExpiry(finding.expiresAt, now)}; renew them before they stop working`);
      } else {
        logger.info(fields, 'credentials checked');
      }
    } else if (finding.state === 'refused') {
      await health.markFailing(channel, `credentials check: ${finding.message}`);
      logger.error({ channel, err: finding.message }, `${channel} refused its credentials; nothing goes out until they are fixed`);
    } else {
      logger.warn({ channel, err: finding.message }, `${channel} credentials could not be checked`);
    }
    events.emit({
      type: 'credential.checked',
      channel,
      ok: finding.state === 'valid',
      state: finding.state,
      account: finding.state === 'valid' ? finding.account : null,
      expiresAt: finding.state === 'valid' ? finding.expiresAt : null,
    });
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.checkAll().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.intervalMs);
      });
    }, delayMs);
    // Checks never keep a process alive on their own.
    this.timer.unref();
  }
}

function toReport(channel: string, finding: CredentialFinding, now: Date): CredentialReport {
  return finding.state === 'valid'
    ? {
        channel,
        state: finding.state,
        account: finding.account,
        expiresAt: finding.expiresAt?.toISOString() ?? null,
        message: finding.note ?? null,
        checkedAt: now.toISOString(),
      }
    : { channel, state: finding.state, account: null, expiresAt: null, message: finding.message, checkedAt: now.toISOString() };
}
