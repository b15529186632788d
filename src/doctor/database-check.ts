/**
 * The database: reachable, and migrated to what this version of Syndicate expects. Read only:
 * doctor never migrates (`syndicate migrate` does, and so does every start).
 */
import { Migrator } from 'kysely';
import { openDatabase } from '../store/database.js';
import { migrationsFor } from '../store/migrations/index.js';
import type { Finding } from './finding.js';

/** `url` with its password hidden. */
export function redactDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
  }
}

/** The database finding, and whether Syndicate can be opened without migrating anything. */
export async function checkDatabase(url: string): Promise<{ findings: Finding[]; migrated: boolean }> {
  const where = redactDatabaseUrl(url);
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    database = await openDatabase(url);
    const known = migrationsFor(database.dialect);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: () => Promise.resolve(known) } });
    const migrations = await migrator.getMigrations();
    const pending = migrations.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
    const applied = migrations.length - pending.length;
    if (pending.length > 0) {
      const finding: Finding = {
        status: 'fail',
        check: 'database',
        detail: `${where}: ${pending.length} migration${pending.length === 1 ? '' : 's'} pending (${pending.join(', ')}); run syndicate migrate`,
        facts: { dialect: database.dialect, applied, pending: pending.length },
      };
      return { findings: [finding], migrated: false };
    }
    const finding: Finding = {
      status: 'ok',
      check: 'database',
      detail: `${where}, ${applied} migrations applied, none pending`,
      facts: { dialect: database.dialect, applied, pending: 0 },
    };
    return { findings: [finding], migrated: true };
  } catch (error) {
    return { findings: [{ status: 'fail', check: 'database', detail: `${where}: ${(error as Error).message}` }], migrated: false };
  } finally {
    await database?.close();
  }
}
