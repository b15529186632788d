/**
 * Migrations against real SQLite and PostgreSQL, starting from empty databases.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
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
const MIGRATIONS = ['001-initial', '002-media', '003-subscribers', '004-deliverability'];

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
