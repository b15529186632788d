/**
 * Category feeds in their own order: each `article_categories` row carries its article's
 * `published_at`, indexed with the slug, so a category feed reads its 50 newest rows from the
 * index. Before, the query walked every published article newest first and probed each for the
 * category: a category with few (or only old) articles cost a scan of the whole archive on
 * every rebuild (`npm run bench -- growth`).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('article_categories')
    .addColumn('published_at', 'bigint', (col) => col.notNull().defaultTo(0))
    .execute();
  await sql`update article_categories set published_at = (select articles.published_at from articles where articles.id = article_categories.article_id)`.execute(
    db,
  );
  await db.schema
    .createIndex('article_categories_slug_published_at_idx')
    .on('article_categories')
    .columns(['slug', 'published_at desc', 'article_id desc'])
    .execute();
  // The new index leads with the slug too, so it serves every lookup the old one did.
  await db.schema.dropIndex('article_categories_slug_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('article_categories_slug_idx').on('article_categories').columns(['slug', 'article_id']).execute();
  await db.schema.dropIndex('article_categories_slug_published_at_idx').execute();
  await db.schema.alterTable('article_categories').dropColumn('published_at').execute();
}
