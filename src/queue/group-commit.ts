/**
 * Group commit for ledger completions. Emails finish many at a time (a pooled SMTP connection
 * answers, then the next); each completion still goes to the database at once, but those that
 * arrive in the same turn of the event loop share one transaction. Nothing waits for a further
 * network call (LEDGER.md step 4); SQLite writes one WAL commit instead of ten.
 */
import type { DeliveryKey, DeliveryOutcome } from '../domain/delivery.js';
import type { DeliveryStore } from '../store/deliveries.js';
import { retryWhileBusy } from '../store/database.js';

export type Complete = (key: DeliveryKey, token: string, outcome: DeliveryOutcome) => Promise<boolean>;

interface Entry {
  key: DeliveryKey;
  token: string;
  outcome: DeliveryOutcome;
  resolve: (applied: boolean) => void;
  reject: (error: unknown) => void;
}

export function groupCommit(deliveries: DeliveryStore, now: () => Date): Complete {
  let waiting: Entry[] = [];

  async function flush(): Promise<void> {
    const batch = waiting;
    waiting = [];
    try {
      // A lock held past SQLite's short busy timeout must not leave rows claimed.
      const applied = await retryWhileBusy(() => deliveries.completeMany(batch, now()));
      batch.forEach((entry, i) => entry.resolve(applied[i]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }

  return (key, token, outcome) =>
    new Promise<boolean>((resolve, reject) => {
      waiting.push({ key, token, outcome, resolve, reject });
      if (waiting.length === 1) setImmediate(() => void flush());
    });
}
