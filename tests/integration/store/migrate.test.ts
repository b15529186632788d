/**
 * Migrations against real SQLite and PostgreSQL, starting from empty databases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/store/database.js';
import { Migrator, sql } from 'kysely';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { migrationsFor } from '../../../src/store/migrations/index.js';
import { ArticleStore } from '../../../src/store/articles.js';
import { articleRecord, minutesAfter, T0 } from './article-records.js';
import type { ArticleRecord } from '../../../src/domain/article.js';

/** An article and its category rows as the code of migration 004's time wrote them. */
async function insertAs004(database: Database, record: ArticleRecord): Promise<void> {
  const json = JSON.stringify;
  await sql`insert into articles (id, url, title, summary, content_html, authors, categories, tags, image, channels,
      published_at, revision, state, content_hash, created_at, updated_at, retracted_at)
    values (${record.id}, ${record.url}, ${record.title}, ${record.summary}, ${record.contentHtml}, ${json(record.authors)},
      ${json(record.categories)}, ${json(record.tags)}, ${null}, ${json(record.channels)}, ${record.publishedAt.getTime()},
      ${record.revision}, ${record.state}, ${record.contentHash}, ${record.createdAt.getTime()}, ${record.updatedAt.getTime()}, ${null})`.execute(
    database.db,
  );
  for (const category of record.categories) {
    await sql`insert into article_categories (article_id, slug) values (${record.id}, ${category.slug})`.execute(database.db);
  }
}
import { databaseTargets } from '../../helpers/database.js';

const TABLES = [
  'article_categories',
  'article_revisions',
  'articles',
  'deliveries',
  'erased_addresses',
  'feed_documents',
  'media',
  'subscriber_events',
  'subscribers',
];
const MIGRATIONS = ['001-initial', '002-media', '003-subscribers', '004-deliverability', '005-category-order'];

describe.each(databaseTargets())('migrateToLatest on $name', (target) => {
  const opened: Database[] = [];

  async function openEmpty(): Promise<Database> {
    const database = await target.open({ migrate: false });
    opened.push(database);
    return database;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  // On PostgreSQL this also shows that introspection sees only the database's own schema.
  async function tableNames(database: Database): Promise<string[]> {
    const tables = await database.db.introspection.getTables();
    return tables.map((table) => table.name).sort();
  }

  it('creates every table on an empty database', async () => {
    const database = await openEmpty();

    expect(await migrateToLatest(database)).toEqual(MIGRATIONS);

    expect(await tableNames(database)).toEqual(TABLES);
  });

  it('does nothing when run a second time', async () => {
    const database = await openEmpty();
    await migrateToLatest(database);

    expect(await migrateToLatest(database)).toEqual([]);
    expect(await tableNames(database)).toEqual(TABLES);
  });

  it('gives the category rows of a database made before 005 their publication times', async () => {
    const database = await openEmpty();
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: () => Promise.resolve(migrationsFor(database.dialect)) } });
    expect((await migrator.migrateTo('004-deliverability')).error).toBeUndefined();
    for (const [id, minutes] of [
      ['older', 1],
      ['newer', 2],
    ] as const) {
      await insertAs004(database, articleRecord(id, { publishedAt: minutesAfter(T0, minutes), state: 'published' }));
    }

    expect(await migrateToLatest(database)).toEqual(['005-category-order']);

    const articles = new ArticleStore(database);
    expect((await articles.listPublished({ limit: 10, categorySlug: 'world' })).map((a) => a.id)).toEqual(['newer', 'older']);
    const rows = await database.db.selectFrom('article_categories').select(['article_id', 'published_at']).orderBy('article_id').execute();
    expect(rows.map((row) => [row.article_id, Number(row.published_at)])).toEqual([
      ['newer', minutesAfter(T0, 2).getTime()],
      ['older', minutesAfter(T0, 1).getTime()],
    ]);
  });

  it('migrates a database even when another one on the same server is already migrated', async () => {
    const first = await openEmpty();
    const second = await openEmpty();
    await migrateToLatest(first);

    expect(await migrateToLatest(second)).toEqual(MIGRATIONS);
    expect(await tableNames(second)).toEqual(TABLES);
  });
});

describe('migrateToLatest on postgres beside other schemas', () => {
  it('is not disturbed by other schemas being dropped while it runs', async () => {
    const [, postgres] = databaseTargets();
    if (!postgres) throw new Error('no postgres target');
    // Bystanders: migrated schemas like other test files', dropped while ours migrates.
    const bystanders = await Promise.all(Array.from({ length: 6 }, () => postgres.open()));
    const database = await postgres.open({ migrate: false });
    try {
      const [applied] = await Promise.all([migrateToLatest(database), ...bystanders.map((bystander) => bystander.close())]);
      expect(applied).toEqual(MIGRATIONS);
    } finally {
      await database.close();
    }
  });
});
