/**
 * Media: article images fetched once ('source') and the variants made from them for the
 * channels ('instagram', 'x'), served at /media/:id/:variant.jpg. In the database, not on a
 * disk, because workers and API processes may run on different machines.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from './migration-context.js';

export async function up(db: Kysely<unknown>, context: MigrationContext): Promise<void> {
  const binary = context.dialect === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('media')
    .addColumn('article_id', 'text', (col) => col.notNull().references('articles.id').onDelete('cascade'))
    .addColumn('variant', 'text', (col) => col.notNull())
    .addColumn('source_url', 'text', (col) => col.notNull())
    .addColumn('content_type', 'text', (col) => col.notNull())
    .addColumn('body', binary, (col) => col.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('etag', 'text', (col) => col.notNull())
    .addColumn('created_at', 'bigint', (col) => col.notNull())
    .addPrimaryKeyConstraint('media_pk', ['article_id', 'variant'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('media').execute();
}
