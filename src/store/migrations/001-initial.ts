/**
 * The first schema: articles with their revisions and categories, the delivery ledger, and the
 * rendered feed documents. See schema.ts for the representation shared by both databases.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration-context.js';

/** Creates every table and index of the first release. */
export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  const binary = context.dialect === 'postgres' ? 'bytea' : 'blob';

  await db.schema
    .createTable('articles')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('summary', 'text', (col) => col.notNull())
    .addColumn('content_html', 'text', (col) => col.notNull())
    .addColumn('authors', 'text', (col) => col.notNull())
    .addColumn('categories', 'text', (col) => col.notNull())
    .addColumn('tags', 'text', (col) => col.notNull())
    .addColumn('image', 'text')
    .addColumn('channels', 'text', (col) => col.notNull())
    .addColumn('published_at', 'bigint', (col) => col.notNull())
    .addColumn('revision', 'integer', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('content_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .addColumn('retracted_at', 'bigint')
    .execute();
  // The newest-first listing and its keyset cursor.
  await db.schema.createIndex('articles_published_at_id_idx').on('articles').columns(['published_at desc', 'id desc']).execute();
  // Leading with state serves "by state" filters and the newest-first published feeds alike.
  await db.schema
    .createIndex('articles_state_published_at_id_idx')
    .on('articles')
    .columns(['state', 'published_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('article_revisions')
    .addColumn('article_id', 'text', (col) => col.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('article_revisions_pk', ['article_id', 'revision'])
    .execute();

  await db.schema
    .createTable('article_categories')
    .addColumn('article_id', 'text', (col) => col.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('slug', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('article_categories_pk', ['article_id', 'slug'])
    .execute();
  // Category feeds look up by slug; with article_id the index alone answers the join.
  await db.schema.createIndex('article_categories_slug_idx').on('article_categories').columns(['slug', 'article_id']).execute();

  await db.schema
    .createTable('deliveries')
    // No cascade: the ledger of what already left must not vanish with an article row.
    .addColumn('article_id', 'text', (col) => col.notNull().references('articles.id'))
    .addColumn('channel', 'text', (col) => col.notNull())
    .addColumn('target', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('claim_token', 'text')
    .addColumn('claimed_at', 'bigint')
    .addColumn('external_id', 'text')
    .addColumn('external_url', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    // Also serves lookups by article_id (its leading column), so no separate index for that.
    .addPrimaryKeyConstraint('deliveries_pk', ['article_id', 'channel', 'target'])
    .execute();
  await db.schema.createIndex('deliveries_channel_state_idx').on('deliveries').columns(['channel', 'state']).execute();

  await db.schema
    .createTable('feed_documents')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('content_type', 'text', (col) => col.notNull())
    .addColumn('body', binary, (col) => col.notNull())
    .addColumn('gzip', binary, (col) => col.notNull())
    .addColumn('brotli', binary, (col) => col.notNull())
    .addColumn('etag', 'text', (col) => col.notNull())
    .addColumn('last_modified', 'bigint', (col) => col.notNull())
    .addColumn('updated_at', 'bigint', (col) => col.notNull())
    .execute();
}

/** Drops everything `up` created, dependents first. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['feed_documents', 'deliveries', 'article_categories', 'article_revisions', 'articles']) {
    await db.schema.dropTable(table).execute();
  }
}
