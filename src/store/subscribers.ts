/**
 * Newsletter subscribers: sign-up, double opt-in, unsubscribe, bounce and complaint transitions,
 * each subscriber's consent record (`subscriber_events`), erasure with a keyed hash kept
 * (`erased_addresses`), and the paged recipient reads the fan-out and digests run on. The row
 * mapping is exported for the newsletter's bulk import (channels/newsletter/subscriber-import.ts),
 * which writes the same rows.
 */
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import { CANCELLABLE_STATES } from '../domain/delivery.js';
import {
  PENDING_TTL_MS,
  SOFT_BOUNCE_LIMIT,
  SOFT_BOUNCE_WINDOW_MS,
  SUBSCRIBER_EVENT_KINDS,
  SUBSCRIBER_STATES,
  SUPPRESSED_STATES,
  type ConsentSource,
  type Frequency,
  type Subscriber,
  type SubscriberEvent,
  type SubscriberEventEvidence,
  type SubscriberEventKind,
  type SubscriberEventSource,
  type SubscriberState,
  type SubscriptionInput,
} from '../domain/subscriber.js';
import type { Database } from './database.js';
import type { Schema, SubscribersTable } from './schema.js';

/** `subscriber_events` (migration 004): a subscriber's consent record, one row per event. */
export interface SubscriberEventsTable {
  id: string;
  subscriber_id: string;
  kind: string;
  at: number;
  source: string;
  article_id: string | null;
  channel: string | null;
  /** JSON: SubscriberEventEvidence. */
  evidence: string;
  /** Unique when set: the same report recorded twice is recorded once. */
  dedupe_key: string | null;
}

/** `erased_addresses` (migration 004): keyed one-way hashes of addresses erased by `subscribers forget`. */
export interface ErasedAddressesTable {
  address_hash: string;
  erased_at: number;
}

/** The tables of migration 004, until schema.ts's `Schema` lists them. */
export type DeliverabilityTables = {
  subscriber_events: SubscriberEventsTable;
  erased_addresses: ErasedAddressesTable;
};

/** What this store and the import query. */
export type SubscriberSchema = Schema & DeliverabilityTables;

/** A confirmation email is not sent again to the same address within this time (no mail bombing). */
export const CONFIRMATION_THROTTLE_MS = 10 * 60 * 1000;

/**
 * Addresses per statement in reads by id or email and in bulk inserts: 500 × 18 columns stays
 * far below SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits.
 */
export const SUBSCRIBER_CHUNK_SIZE = 500;

/** A bounce reason is a diagnostic, not a document: longer ones are cut. */
const BOUNCE_REASON_MAX_LENGTH = 1000;
/** Each evidence text field is cut to this many characters. */
const EVIDENCE_FIELD_MAX_LENGTH = 500;
/** What replaces a ledger row's last error when its subscriber is erased (the text may name the address). */
export const ERASED_ERROR = '(erased)';

/** Conditional writes that lost a race are retried this many times before giving up. */
const RACE_ATTEMPTS = 5;

export type ConfirmResult = 'confirmed' | 'already' | 'expired' | 'missing' | 'not_pending';

/** How a report or send result is recorded: where it came from and what it rests on. */
export interface EventRecord {
  source: SubscriberEventSource;
  /** The ledger channel of the email concerned (`newsletter`, `newsletter-digest`), if known. */
  channel?: string | null;
  evidence?: SubscriberEventEvidence;
  /** Recorded once per key: a second report with the same key changes nothing. */
  dedupeKey?: string | null;
}

/** What a bounce or complaint did: `duplicate` when its dedupe key was seen before, `missing` when there is no such subscriber. */
export type TransitionResult = 'changed' | 'unchanged' | 'duplicate' | 'missing';

/** What a soft bounce did. */
export interface SoftBounceResult {
  result: TransitionResult;
  /** Soft bounces within {@link SOFT_BOUNCE_WINDOW_MS}, this one included. */
  count: number;
  /** Whether this one made the subscriber bounced. */
  hardened: boolean;
}

/** A ledger row of one subscriber, for `subscribers show`. */
export interface SubscriberDelivery {
  articleId: string;
  channel: string;
  state: string;
  attempts: number;
  lastError: string | null;
  updatedAt: Date;
}

export interface SubscribeResult {
  subscriber: Subscriber;
  /** Whether the caller should send a confirmation email (then call `markConfirmationSent`). */
  sendConfirmation: boolean;
}

/** A subscribers row as the database returns it. */
export type SubscriberRow = Selectable<SubscribersTable>;

/** Reads and writes subscribers. Every transition is one conditional statement. */
export class SubscriberStore {
  private readonly db: Kysely<SubscriberSchema>;

  constructor(database: Database) {
    this.db = database.db.withTables<DeliverabilityTables>();
  }

  /**
   * A subscription request from the form or API. A new address becomes pending; a pending or
   * unsubscribed one becomes pending with the new preferences; a confirmed one is left alone
   * (anyone can type an address: changing a confirmed subscriber needs proof), and so is a
   * bounced or complained one (SPEC §4: nothing brings them back; `subscribers forget` does,
   * after which the form is a new consent). Two concurrent requests for one new address create
   * one row. The request is recorded in the consent record (with the IP when given).
   */
  async subscribe(input: SubscriptionInput, options: { now: Date; ip?: string | null }): Promise<SubscribeResult> {
    const now = options.now.getTime();
    const preferences = preferenceColumns(input);
    const request = { ...preferences, requested_at: now, updated_at: now, consent_source: 'form', consent_ip: options.ip ?? null };
    const requested = { source: 'form' as const, evidence: options.ip ? { ip: options.ip } : {} };
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const inserted = await this.db
        .insertInto('subscribers')
        .values({ ...newSubscriberRow(input.email, now, 'pending', 'form'), ...request })
        .onConflict((conflict) => conflict.column('email').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) {
        await this.recordEvent(inserted.id, 'requested', options.now, requested);
        return { subscriber: toSubscriber(inserted), sendConfirmation: true };
      }

      const existing = await this.findRowByEmail(input.email);
      if (!existing) continue; // deleted in between: insert again
      if (existing.state === 'confirmed' || isSuppressedRow(existing))
        return { subscriber: toSubscriber(existing), sendConfirmation: false };
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
      if (updated) {
        // A repeat within the throttle is the same request: recorded once.
        if (!repeated) await this.recordEvent(updated.id, 'requested', options.now, requested);
        return { subscriber: toSubscriber(updated), sendConfirmation: !repeated && !confirmationRecentlySent(existing, now) };
      }
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
   * request becomes confirmed, and the consent is recorded now (with the IP of the click when
   * given: SUBSCRIBE_RECORD_IP). Idempotent.
   */
  async confirm(id: string, now: Date, meta: { ip?: string | null } = {}): Promise<ConfirmResult> {
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
      if (Number(result.numUpdatedRows) > 0) {
        await this.recordEvent(id, 'confirmed', now, {
          source: 'link',
          evidence: { note: 'double opt-in: the link in the confirmation email', ...(meta.ip ? { ip: meta.ip } : {}) },
        });
        return 'confirmed';
      }
      // Something else changed the row (a concurrent confirm, an unsubscribe): decide on its new state.
    }
    throw new Error(`confirm ${id}: the row kept changing under us; try again`);
  }

  /**
   * Unsubscribes, from any state. Idempotent: an unsubscribed subscriber keeps the time of
   * the first unsubscribe. A bounced or complained subscriber keeps that state (it suppresses
   * more: the form cannot bring them back) and gets the unsubscribe time.
   * @returns the subscriber as it is now, or null when there is none with this id.
   */
  async unsubscribe(id: string, now: Date, record: EventRecord = { source: 'link' }): Promise<Subscriber | null> {
    const unsubscribed = await this.db
      .updateTable('subscribers')
      .set({ state: 'unsubscribed', unsubscribed_at: now.getTime(), updated_at: now.getTime() })
      .where('id', '=', id)
      .where('state', 'not in', ['unsubscribed', ...SUPPRESSED_STATES])
      .executeTakeFirst();
    let changed = Number(unsubscribed.numUpdatedRows) > 0;
    if (!changed) {
      const stamped = await this.db
        .updateTable('subscribers')
        .set({ unsubscribed_at: now.getTime(), updated_at: now.getTime() })
        .where('id', '=', id)
        .where('state', 'in', [...SUPPRESSED_STATES])
        .where('unsubscribed_at', 'is', null)
        .executeTakeFirst();
      changed = Number(stamped.numUpdatedRows) > 0;
    }
    if (changed) await this.recordEvent(id, 'unsubscribed', now, record);
    return this.get(id);
  }

  /**
   * Stops mail to an address the receiving server refused permanently: at send time (a 5xx,
   * the default record), a DSN, a provider's event or too many soft bounces. An unsubscribed or
   * complained subscriber keeps their state: their own choice is the record that matters. The
   * bounce goes into the consent record either way.
   */
  async markBounced(id: string, reason: string, now: Date, record: EventRecord = { source: 'smtp' }): Promise<TransitionResult> {
    return this.db.transaction().execute(async (trx) => {
      if (!(await trx.selectFrom('subscribers').select('id').where('id', '=', id).executeTakeFirst())) return 'missing';
      if (!(await insertEvent(trx, id, 'bounced', now, withDiagnostic(record, reason)))) return 'duplicate';
      const result = await trx
        .updateTable('subscribers')
        .set({
          state: 'bounced',
          bounced_at: now.getTime(),
          bounce_reason: reason.slice(0, BOUNCE_REASON_MAX_LENGTH),
          updated_at: now.getTime(),
        })
        .where('id', '=', id)
        .where('state', 'not in', ['unsubscribed', 'complained'])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0 ? 'changed' : 'unchanged';
    });
  }

  /**
   * A spam complaint (ARF `Feedback-Type: abuse`, a provider's complaint event): the subscriber
   * becomes `complained`, which is also an unsubscribe (the time is kept when they had
   * unsubscribed already), from any state.
   */
  async markComplained(id: string, now: Date, record: EventRecord): Promise<TransitionResult> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('subscribers').select(['id', 'unsubscribed_at']).where('id', '=', id).executeTakeFirst();
      if (!row) return 'missing';
      if (!(await insertEvent(trx, id, 'complained', now, record))) return 'duplicate';
      const result = await trx
        .updateTable('subscribers')
        .set({ state: 'complained', unsubscribed_at: row.unsubscribed_at ?? now.getTime(), updated_at: now.getTime() })
        .where('id', '=', id)
        .where('state', '!=', 'complained')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0 ? 'changed' : 'unchanged';
    });
  }

  /**
   * A temporary failure (4.x.x): counted, and the {@link SOFT_BOUNCE_LIMIT}th within
   * {@link SOFT_BOUNCE_WINDOW_MS} makes the subscriber bounced (SPEC §4). A report whose dedupe
   * key was seen (the same delay notice again) does not count twice.
   */
  async recordSoftBounce(id: string, now: Date, record: EventRecord): Promise<SoftBounceResult> {
    if (!(await this.findRow(id))) return { result: 'missing', count: 0, hardened: false };
    if (!(await insertEvent(this.db, id, 'soft_bounce', now, record))) return { result: 'duplicate', count: 0, hardened: false };
    const row = await this.db
      .selectFrom('subscriber_events')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('subscriber_id', '=', id)
      .where('kind', '=', 'soft_bounce')
      .where('at', '>', now.getTime() - SOFT_BOUNCE_WINDOW_MS)
      .executeTakeFirstOrThrow();
    const count = Number(row.count);
    if (count < SOFT_BOUNCE_LIMIT) return { result: 'changed', count, hardened: false };
    const reason = `${count} soft bounces within 30 days${record.evidence?.status ? ` (last: ${record.evidence.status})` : ''}`;
    const hardened = await this.markBounced(id, reason, now, {
      source: record.source,
      channel: record.channel ?? null,
      evidence: { ...record.evidence, note: reason },
    });
    return { result: 'changed', count, hardened: hardened === 'changed' };
  }

  /**
   * Adds an entry to the subscriber's consent record.
   * @returns false when its dedupe key was recorded before (nothing written).
   */
  async recordEvent(id: string, kind: SubscriberEventKind, at: Date, record: EventRecord): Promise<boolean> {
    return insertEvent(this.db, id, kind, at, record);
  }

  /** The subscriber's consent record, oldest first (events at the same time in the order they happen). */
  async events(id: string): Promise<SubscriberEvent[]> {
    const rows = await this.db.selectFrom('subscriber_events').selectAll().where('subscriber_id', '=', id).orderBy('at').execute();
    return rows.map(toEvent).sort((a, b) => a.at.getTime() - b.at.getTime() || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  }

  /** Complaints recorded about `articleId`'s emails on `channel`. */
  async countComplaints(articleId: string, channel: string): Promise<number> {
    const row = await this.db
      .selectFrom('subscriber_events')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('article_id', '=', articleId)
      .where('kind', '=', 'complained')
      .where('channel', '=', channel)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** The (article, channel) of every ledger row of the subscriber on `channels`: which emails they were sent. */
  async letterKeys(id: string, channels: readonly string[]): Promise<{ articleId: string; channel: string }[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['article_id', 'channel'])
      .where('target', '=', id)
      .where('channel', 'in', [...channels])
      .execute();
    return rows.map((row) => ({ articleId: row.article_id, channel: row.channel }));
  }

  /** The subscriber's ledger rows, most recently changed first. */
  async deliveriesOf(id: string, limit = 20): Promise<SubscriberDelivery[]> {
    assertLimit(limit);
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['article_id', 'channel', 'state', 'attempts', 'last_error', 'updated_at'])
      .where('target', '=', id)
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      articleId: row.article_id,
      channel: row.channel,
      state: row.state,
      attempts: row.attempts,
      lastError: row.last_error,
      updatedAt: new Date(row.updated_at),
    }));
  }

  /**
   * Erases an address (SPEC §6 `subscribers forget`), in one transaction: keeps its keyed hash
   * (so no import adds it again), cancels what has not left yet, clears the last error of its
   * ledger rows (the text may quote the address) and deletes the subscriber with their consent
   * record. The ledger rows stay, keyed by an id that now points to nothing, so every article's
   * counts stay right. The hash is kept even when no subscriber has the address.
   * @returns the erased subscriber's id (null when there was none) and how many ledger rows it had.
   */
  async forget(email: string, addressHash: string, now: Date): Promise<{ subscriberId: string | null; ledgerRows: number }> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('erased_addresses')
        .values({ address_hash: addressHash, erased_at: now.getTime() })
        .onConflict((conflict) => conflict.column('address_hash').doNothing())
        .execute();
      const row = await trx.selectFrom('subscribers').select('id').where('email', '=', email).executeTakeFirst();
      if (!row) return { subscriberId: null, ledgerRows: 0 };
      await trx
        .updateTable('deliveries')
        .set({ state: 'cancelled', updated_at: now.getTime() })
        .where('target', '=', row.id)
        .where('state', 'in', [...CANCELLABLE_STATES])
        .execute();
      await trx
        .updateTable('deliveries')
        .set({ last_error: ERASED_ERROR })
        .where('target', '=', row.id)
        .where('last_error', 'is not', null)
        .execute();
      const counted = await trx
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll().as('count'))
        .where('target', '=', row.id)
        .executeTakeFirstOrThrow();
      // Its events go with it (ON DELETE CASCADE).
      await trx.deleteFrom('subscribers').where('id', '=', row.id).execute();
      return { subscriberId: row.id, ledgerRows: Number(counted.count) };
    });
  }

  /** Which of these address hashes belong to erased addresses. */
  async erasedAmong(addressHashes: readonly string[]): Promise<Set<string>> {
    const erased = new Set<string>();
    const unique = [...new Set(addressHashes)];
    for (let start = 0; start < unique.length; start += SUBSCRIBER_CHUNK_SIZE) {
      const rows = await this.db
        .selectFrom('erased_addresses')
        .select('address_hash')
        .where('address_hash', 'in', unique.slice(start, start + SUBSCRIBER_CHUNK_SIZE))
        .execute();
      for (const row of rows) erased.add(row.address_hash);
    }
    return erased;
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

  /**
   * {@link pageRecipients} with only what planning a newsletter reads, each subscriber's id
   * and categories: a plan pages through every recipient, and whole rows (dates, consent) would
   * only be garbage by the next page.
   */
  async pageRecipientCategories(
    frequency: Frequency,
    afterId: string | null,
    limit: number,
  ): Promise<Pick<Subscriber, 'id' | 'categories'>[]> {
    assertLimit(limit);
    let query = this.db
      .selectFrom('subscribers')
      .select(['id', 'categories'])
      .where('state', '=', 'confirmed')
      .where('frequency', '=', frequency);
    if (afterId !== null) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((row) => ({ id: row.id, categories: JSON.parse(row.categories) as string[] }));
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

  /**
   * Subscribers whose address starts with `prefix` (compared as stored: lower case, the domain in
   * its ASCII form), in address order, at most `limit`. Exact characters, no wildcards; the same
   * on SQLite and PostgreSQL whatever the database's collation.
   */
  async searchByEmailPrefix(prefix: string, limit: number): Promise<Subscriber[]> {
    assertLimit(limit);
    if (prefix === '') return [];
    const rows = await this.db
      .selectFrom('subscribers')
      .selectAll()
      .where((eb) => eb(eb.fn<string>('substr', [eb.ref('email'), eb.val(1), eb.val(prefix.length)]), '=', prefix))
      .orderBy('email')
      .limit(limit)
      .execute();
    return rows.map(toSubscriber);
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

/** Whether the row's state is suppressed for good (bounced, complained). */
function isSuppressedRow(row: Pick<SubscriberRow, 'state'>): boolean {
  return (SUPPRESSED_STATES as readonly string[]).includes(row.state);
}

/** The order events written at the same instant happened in. */
const KIND_ORDER: readonly SubscriberEventKind[] = ['requested', 'confirmed', 'soft_bounce', 'bounced', 'complained', 'unsubscribed'];

/** A `subscriber_events` row for the consent record; evidence fields are cut to a readable length. */
export function eventRow(subscriberId: string, kind: SubscriberEventKind, at: Date, record: EventRecord): SubscriberEventsTable {
  const evidence: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.evidence ?? {})) {
    if (typeof value === 'string' && value !== '') evidence[key] = value.slice(0, EVIDENCE_FIELD_MAX_LENGTH);
  }
  return {
    id: randomUUID(),
    subscriber_id: subscriberId,
    kind,
    at: at.getTime(),
    source: record.source,
    article_id: record.evidence?.articleId ?? null,
    channel: record.channel ?? null,
    evidence: JSON.stringify(evidence),
    dedupe_key: record.dedupeKey ?? null,
  };
}

/** Inserts one event; false when its dedupe key is already recorded. */
async function insertEvent(
  db: Kysely<SubscriberSchema>,
  subscriberId: string,
  kind: SubscriberEventKind,
  at: Date,
  record: EventRecord,
): Promise<boolean> {
  const inserted = await db
    .insertInto('subscriber_events')
    .values(eventRow(subscriberId, kind, at, record))
    .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** `record` with the bounce reason as its diagnostic when it has none. */
function withDiagnostic(record: EventRecord, reason: string): EventRecord {
  return record.evidence?.diagnostic ? record : { ...record, evidence: { ...record.evidence, diagnostic: reason } };
}

function toEvent(row: Selectable<SubscriberEventsTable>): SubscriberEvent {
  const kind = (SUBSCRIBER_EVENT_KINDS as readonly string[]).includes(row.kind) ? (row.kind as SubscriberEventKind) : 'requested';
  return {
    kind,
    at: new Date(row.at),
    source: row.source as SubscriberEventSource,
    channel: row.channel,
    evidence: JSON.parse(row.evidence) as SubscriberEventEvidence,
  };
}
