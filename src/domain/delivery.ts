/**
 * The delivery ledger's vocabulary (LEDGER.md): one row per (article, channel, target).
 * No I/O.
 */

/** Ledger states. `scheduled` waits for `publishedAt`; `retracted` and `manual_action` follow a retraction. */
export const DELIVERY_STATES = [
  'scheduled',
  'queued',
  'claimed',
  'retry',
  'sent',
  'duplicate',
  'skipped',
  'failed',
  'cancelled',
  'retracted',
  'manual_action',
] as const;

export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** States from which a job may claim the row. */
export const CLAIMABLE_STATES: readonly DeliveryState[] = ['queued', 'retry'];

/** States a retraction cancels: nothing has left yet. */
export const CANCELLABLE_STATES: readonly DeliveryState[] = ['scheduled', 'queued', 'retry'];

/** States in which the delivery is over (for `failed`: once attempts are spent). */
export const TERMINAL_STATES: readonly DeliveryState[] = [
  'sent',
  'duplicate',
  'skipped',
  'failed',
  'cancelled',
  'retracted',
  'manual_action',
];

/** The key of a ledger row. `target` is '' for a feed or a social account, the subscriber for email. */
export interface DeliveryKey {
  articleId: string;
  channel: string;
  target: string;
}

export interface Delivery extends DeliveryKey {
  state: DeliveryState;
  attempts: number;
  claimToken: string | null;
  claimedAt: Date | null;
  externalId: string | null;
  externalUrl: string | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** How a claimed delivery ended. */
export type DeliveryOutcome =
  | { state: 'sent'; externalId?: string | null; externalUrl?: string | null }
  | { state: 'duplicate' | 'skipped' | 'failed'; error: string }
  /** `refundAttempt`: the platform asked us to wait (rate limit); the claim does not count as an attempt. */
  | { state: 'retry'; error: string; refundAttempt?: boolean };
