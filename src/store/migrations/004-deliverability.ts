/**
 * Deliverability (SPEC §4 "Suppression", issue #11): each subscriber's consent record as a list
 * of events with their evidence, the keyed hashes of erased addresses, and an index that finds
 * a subscriber's ledger rows (reports name a subscriber, erasure clears their rows).
 * The new `complained` state needs no column: `state` is text.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscriber_events')
    .addColumn('id', 'text', (col) => col.primaryKey())
    // Erasing a subscriber erases their record with them.
    .addColumn('subscriber_id', 'text', (col) => col.notNull().references('subscribers.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('at', 'bigint', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('article_id', 'text')
    .addColumn('channel', 'text')
    // JSON: SubscriberEventEvidence.
    .addColumn('evidence', 'text', (col) => col.notNull())
    // A provider that delivers a report twice, or a delay notice repeated for one message, is recorded once.
    .addColumn('dedupe_key', 'text', (col) => col.unique())
    .execute();
  // The record in order, and soft bounces counted within their window.
  await db.schema
    .createIndex('subscriber_events_subscriber_kind_at_idx')
    .on('subscriber_events')
    .columns(['subscriber_id', 'kind', 'at'])
    .execute();
  // Complaints per article, for the spam-rate guard.
  await db.schema.createIndex('subscriber_events_article_kind_idx').on('subscriber_events').columns(['article_id', 'kind']).execute();

  await db.schema
    .createTable('erased_addresses')
    // HMAC-SHA256 of the normalised address with a key derived from SECRET_KEY, hex.
    .addColumn('address_hash', 'text', (col) => col.primaryKey())
    .addColumn('erased_at', 'bigint', (col) => col.notNull())
    .execute();

  await db.schema.createIndex('deliveries_target_channel_idx').on('deliveries').columns(['target', 'channel']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deliveries_target_channel_idx').execute();
  await db.schema.dropTable('erased_addresses').execute();
  await db.schema.dropTable('subscriber_events').execute();
}
