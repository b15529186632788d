/**
 * Newsletter subscribers (SPEC §3, issue #3): one row per address, with its state, preferences
 * and consent record. See schema.ts for the representation shared by both databases.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscribers')
    .addColumn('id', 'text', (col) => col.primaryKey())
    // Normalised (lower case, ASCII domain), so the constraint is what dedupes concurrent sign-ups.
    .addColumn('email', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('frequency', 'text', (col) => col.notNull())
    .addColumn('categories', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('requested_at', 'bigint', (col) => col.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('unsubscribed_at', 'bigint')
    .addColumn('bounced_at', 'bigint')
    .addColumn('bounce_reason', 'text')
    .addColumn('consent_at', 'bigint')
    .addColumn('consent_ip', 'text')
    .addColumn('consent_source', 'text', (col) => col.notNull())
    .addColumn('confirmation_sent_at', 'bigint')
    .addColumn('last_digest_at', 'bigint')
    .execute();
  // Recipients are read page by page: confirmed, one frequency, keyset on id.
  await db.schema.createIndex('subscribers_state_frequency_id_idx').on('subscribers').columns(['state', 'frequency', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscribers').execute();
}
