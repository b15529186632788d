/**
 * Newsletter subscribers: sign-up, double opt-in, unsubscribe and bounce transitions, and the
 * paged recipient reads the fan-out and digests run on. The row mapping is exported for the
 * newsletter's bulk import (channels/newsletter/subscriber-import.ts), which writes the same rows.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import {
  PENDING_TTL_MS,
  SUBSCRIBER_STATES,
  type ConsentSource,
  type Frequency,
  type Subscriber,
  type SubscriberState,
  type SubscriptionInput,
} from '../domain/subscriber.js';
import type { Database } from './database.js';
import type { Schema, SubscribersTable } from './schema.js';

/** A confirmation email is not sent again to the same address within this time (no mail bombing). */
export const CONFIRMATION_THROTTLE_MS = 10 * 60 * 1000;

/**
 * Addresses per statement in reads by id or email and in bulk inserts: 500 × 18 columns stays
 * far below SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits.
 */
export const SUBSCRIBER_CHUNK_SIZE = 500;

/** A bounce reason is a diagnostic, not a document: longer ones are cut. */
const BOUNCE_REASON_MAX_LENGTH = 1000;

/** Conditional writes that lost a race are retried this many times before giving up. */
const RACE_ATTEMPTS = 5;

export type ConfirmResult = 'confirmed' | 'already' | 'expired' | 'missing' | 'not_pending';

export interface SubscribeResult {
  subscriber: Subscriber;
  /** Whether the caller should send a confirmation email (then call `markConfirmationSent`). */
  sendConfirmation: boolean;
}

/** A subscribers row as the database returns it. */
export type SubscriberRow = Selectable<SubscribersTable>;

/** Reads and writes subscribers. Every transition is one conditional statement. */
export class SubscriberStore {
  private readonly db: Kysely<Schema>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /**
   * A subscription request from the form or API. A new address becomes pending; a pending,
   * unsubscribed or bounced one becomes pending with the new preferences; a confirmed one is
   * left alone (anyone can type an address: changing a confirmed subscriber needs proof).
   * Two concurrent requests for one new address create one row.
   */
  async subscribe(input: SubscriptionInput, options: { now: Date; ip?: string | null }): Promise<SubscribeResult> {
    const now = options.now.getTime();
    const preferences = preferenceColumns(input);
    const request = { ...preferences, requested_at: now, updated_at: now, consent_source: 'form', consent_ip: options.ip ?? null };
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const inserted = await this.db
        .insertInto('subscribers')
        .values({ ...newSubscriberRow(input.email, now, 'pending', 'form'), ...request })
        .onConflict((conflict) => conflict.column('email').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { subscriber: toSubscriber(inserted), sendConfirmation: true };

      const existing = await this.findRowByEmail(input.email);
      if (!existing) continue; // deleted in between: insert again
      if (existing.state === 'confirmed') return { subscriber: toSubscriber(existing), sendConfirmation: false };
      // A request repeated within the throttle keeps the first one's time, so the confirmation
      // already queued for it still goes out, and only that one.
      const repeated = existing.state === 'pending' && now - existing.requested_at < CONFIRMATION_THROTTLE_MS;
      const changes: Updateable<SubscribersTable> =
        existing.state === 'pending'
          ? { ...request, ...(repeated ? { requested_at: existing.requested_at } : {}) }
          : {
              ...request,
              state: 'pending',
              confirmed_at: null,
              unsubscribed_at: null,
              bounced_at: null,
              bounce_reason: null,
              consent_at: null,
            };
      // Applies only if nobody changed the row since we read it; otherwise look again.
      const updated = await this.db
        .updateTable('subscribers')
        .set(changes)
        .where('id', '=', existing.id)
        .where('state', '=', existing.state)
        .where('updated_at', '=', existing.updated_at)
        .returningAll()
        .executeTakeFirst();
      if (updated) return { subscriber: toSubscriber(updated), sendConfirmation: !repeated && !confirmationRecentlySent(existing, now) };
    }
    throw new Error(`subscribe ${input.email}: the row kept changing under us; try again`);
  }

  /** Records that a confirmation email left now; starts the resend throttle. */
  async markConfirmationSent(id: string, now: Date): Promise<void> {
    await this.db
      .updateTable('subscribers')
      .set({ confirmation_sent_at: now.getTime(), updated_at: now.getTime() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Double opt-in: a pending subscription confirmed within {@link PENDING_TTL_MS} of its latest
   * request becomes confirmed, and the consent is recorded now. Idempotent.
   */
  async confirm(id: string, now: Date): Promise<ConfirmResult> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const row = await this.findRow(id);
      if (!row) return 'missing';
      if (row.state === 'confirmed') return 'already';
      if (row.state !== 'pending') return 'not_pending';
      const deadline = now.getTime() - PENDING_TTL_MS;
      if (row.requested_at < deadline) return 'expired';
      const result = await this.db
        .updateTable('subscribers')
        .set({ state: 'confirmed', confirmed_at: now.getTime(), consent_at: now.getTime(), updated_at: now.getTime() })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .where('requested_at', '>=', deadline)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return 'confirmed';
      // Something else changed the row (a concurrent confirm, an unsubscribe): decide on its new state.
    }
    throw new Error(`confirm ${id}: the row kept changing under us; try again`);
  }

  /**
   * Unsubscribes, from any state. Idempotent: an unsubscribed subscriber keeps the time of
   * the first unsubscribe.
   * @returns the subscriber as it is now, or null when there is none with this id.
   */
  async unsubscribe(id: string, now: Date): Promise<Subscriber | null> {
    await this.db
      .updateTable('subscribers')
      .set({ state: 'unsubscribed', unsubscribed_at: now.getTime(), updated_at: now.getTime() })
      .where('id', '=', id)
      .where('state', '!=', 'unsubscribed')
      .execute();
    return this.get(id);
  }

  /**
   * Stops mail to an address the receiving server refused permanently. An unsubscribed
   * subscriber stays unsubscribed: their own choice is the record that matters.
   */
  async markBounced(id: string, reason: string, now: Date): Promise<void> {
    await this.db
      .updateTable('subscribers')
      .set({
        state: 'bounced',
        bounced_at: now.getTime(),
        bounce_reason: reason.slice(0, BOUNCE_REASON_MAX_LENGTH),
        updated_at: now.getTime(),
      })
      .where('id', '=', id)
      .where('state', '!=', 'unsubscribed')
      .execute();
  }

  /** The subscriber, or null. */
  async get(id: string): Promise<Subscriber | null> {
    const row = await this.findRow(id);
    return row ? toSubscriber(row) : null;
  }

  /** The subscriber with this address (already normalised, see `normaliseEmail`), or null. */
  async getByEmail(email: string): Promise<Subscriber | null> {
    const row = await this.findRowByEmail(email);
    return row ? toSubscriber(row) : null;
  }

  /** The subscribers with these ids that exist, in id order. */
  async getMany(ids: readonly string[]): Promise<Subscriber[]> {
    const unique = [...new Set(ids)];
    const found: Subscriber[] = [];
    for (let start = 0; start < unique.length; start += SUBSCRIBER_CHUNK_SIZE) {
      const rows = await this.db
        .selectFrom('subscribers')
        .selectAll()
        .where('id', 'in', unique.slice(start, start + SUBSCRIBER_CHUNK_SIZE))
        .execute();
      found.push(...rows.map(toSubscriber));
    }
    return found.sort((a, b) => compare(a.id, b.id));
  }

  /**
   * One page of confirmed subscribers of `frequency`, in id order after `afterId` (null for
   * the first page). Served by the (state, frequency, id) index, so every page costs the same
   * however deep into the list it is.
   */
  async pageRecipients(frequency: Frequency, afterId: string | null, limit: number): Promise<Subscriber[]> {
    assertLimit(limit);
    let query = this.db.selectFrom('subscribers').selectAll().where('state', '=', 'confirmed').where('frequency', '=', frequency);
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map(toSubscriber);
  }

  /** Every subscriber, whatever the state, a page at a time in id order. */
  async *pages(pageSize = 1000): AsyncIterable<Subscriber[]> {
    assertLimit(pageSize);
    let afterId: string | null = null;
    for (;;) {
      let query = this.db.selectFrom('subscribers').selectAll();
      if (afterId !== null) query = query.where('id', '>', afterId);
      const rows = await query.orderBy('id').limit(pageSize).execute();
      if (rows.length > 0) yield rows.map(toSubscriber);
      if (rows.length < pageSize) return;
      afterId = rows[rows.length - 1]!.id;
    }
  }

  /** Records when the subscriber's latest digest was sent: the next one starts from there. */
  async setLastDigestAt(id: string, at: Date): Promise<void> {
    await this.db.updateTable('subscribers').set({ last_digest_at: at.getTime(), updated_at: at.getTime() }).where('id', '=', id).execute();
  }

  /** Deletes pending subscriptions not confirmed within {@link PENDING_TTL_MS}. @returns how many. */
  async deleteExpiredPending(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('subscribers')
      .where('state', '=', 'pending')
      .where('requested_at', '<', now.getTime() - PENDING_TTL_MS)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** How many subscribers are in each state (0 for states with none). */
  async countByState(): Promise<Record<SubscriberState, number>> {
    const rows = await this.db
      .selectFrom('subscribers')
      .select((eb) => ['state', eb.fn.countAll().as('count')])
      .groupBy('state')
      .execute();
    const counts = Object.fromEntries(SUBSCRIBER_STATES.map((state) => [state, 0])) as Record<SubscriberState, number>;
    for (const row of rows) counts[row.state as SubscriberState] = Number(row.count);
    return counts;
  }

  private findRow(id: string): Promise<SubscriberRow | undefined> {
    return this.db.selectFrom('subscribers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private findRowByEmail(email: string): Promise<SubscriberRow | undefined> {
    return this.db.selectFrom('subscribers').selectAll().where('email', '=', email).executeTakeFirst();
  }
}

/** Whether a confirmation email went to this row within {@link CONFIRMATION_THROTTLE_MS} of `now` (ms). */
export function confirmationRecentlySent(row: SubscriberRow, now: number): boolean {
  return row.confirmation_sent_at !== null && now - row.confirmation_sent_at < CONFIRMATION_THROTTLE_MS;
}

/** The columns holding the preferences of `input`. */
export function preferenceColumns(input: SubscriptionInput): Pick<SubscribersTable, 'frequency' | 'categories' | 'name'> {
  return { frequency: input.frequency, categories: JSON.stringify(input.categories), name: input.name };
}

/** A new row's bookkeeping; preferences ({@link preferenceColumns}) are added by the caller. */
export function newSubscriberRow(
  email: string,
  now: number,
  state: 'pending' | 'confirmed',
  source: ConsentSource,
): Omit<Insertable<SubscribersTable>, 'frequency' | 'categories' | 'name'> {
  return {
    id: randomUUID(),
    email,
    state,
    created_at: now,
    updated_at: now,
    requested_at: now,
    confirmed_at: state === 'confirmed' ? now : null,
    unsubscribed_at: null,
    bounced_at: null,
    bounce_reason: null,
    consent_at: state === 'confirmed' ? now : null,
    consent_ip: null,
    consent_source: source,
    confirmation_sent_at: null,
    last_digest_at: null,
  };
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page size must be a positive integer, got ${limit}`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const time = (value: number | null): Date | null => (value === null ? null : new Date(value));

/** The domain's Subscriber of a row. */
export function toSubscriber(row: SubscriberRow): Subscriber {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    state: row.state as SubscriberState,
    frequency: row.frequency as Frequency,
    categories: JSON.parse(row.categories) as string[],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    requestedAt: new Date(row.requested_at),
    confirmedAt: time(row.confirmed_at),
    unsubscribedAt: time(row.unsubscribed_at),
    bouncedAt: time(row.bounced_at),
    bounceReason: row.bounce_reason,
    consentAt: time(row.consent_at),
    consentIp: row.consent_ip,
    consentSource: row.consent_source as ConsentSource,
    confirmationSentAt: time(row.confirmation_sent_at),
    lastDigestAt: time(row.last_digest_at),
  };
}
