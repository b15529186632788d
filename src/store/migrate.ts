/**
 * Brings the schema up to date with the migrations in `migrations/`.
 */
import { Migrator } from 'kysely';
import type { Database } from './database.js';
import { migrationsFor } from './migrations/index.js';

/**
 * Applies every pending migration, in order, and returns the names applied (empty when the
 * schema was already current).
 *
 * @throws Error naming the migration that failed, with the database's error as its `cause`.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: () => Promise.resolve(migrationsFor(database.dialect)) },
    // Its bookkeeping tables live beside ours: on PostgreSQL, in the current schema, which is
    // all that database.db's introspection sees (postgres-introspector.ts).
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed ?? '(setup)'} failed: ${reason}`, { cause: error });
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
