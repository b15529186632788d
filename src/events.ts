/**
 * What happened, for whoever listens in this process: metrics count it, outbound webhooks send
 * it. Emitting never waits and never fails the caller: a listener's error is reported to
 * `onError` and forgotten, so a broken listener cannot make a delivery look failed.
 */
import type { DeliveryKey, DeliveryState } from './domain/delivery.js';

export type SyndicateEvent =
  /** A ledger row reached a state (sent, failed, retry, retracted, manual_action…). */
  | {
      type: 'delivery.completed';
      key: DeliveryKey;
      state: DeliveryState;
      externalId?: string | null;
      externalUrl?: string | null;
      error?: string | null;
    }
  /** A platform said "wait": the channel's queue pauses until `until`. */
  | { type: 'delivery.rate_limited'; channel: string; until: Date }
  /** An email sent again after a claim whose outcome was lost (LEDGER.md "Email"). */
  | { type: 'delivery.ambiguous_resend'; key: DeliveryKey }
  | { type: 'article.published'; articleId: string }
  | { type: 'article.retracted'; articleId: string }
  /**
   * A channel's credentials were checked with its platform (hourly in workers, see
   * credentials/credential-monitor.ts). `ok`: they work; `expiresAt`: when they stop (null: never,
   * or not known) — what `syndicate_credential_expiry_seconds{channel}` shows.
   */
  | {
      type: 'credential.checked';
      channel: string;
      ok: boolean;
      /** `valid`, `refused`, or `unknown` (the platform could not be asked). */
      state: 'valid' | 'refused' | 'unknown';
      account: string | null;
      expiresAt: Date | null;
    };

export type EventListener = (event: SyndicateEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly onError: (error: unknown, event: SyndicateEvent) => void = () => {}) {}

  /** Adds a listener; returns the function that removes it. */
  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: SyndicateEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error, event);
      }
    }
  }
}
