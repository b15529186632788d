import type { CliCommand } from '../command.js';

/** How long each SQLite statement of a migration waits for another process's write lock. */
const MIGRATE_BUSY_TIMEOUT_MS = 15_000;

export const migrateCommand: CliCommand = {
  name: 'migrate',
  usage: [['migrate', 'apply database migrations']],
  async run(_args, { config, io }) {
    const [{ openDatabase, retryWhileBusy, waitForLocks }, { migrateToLatest }] = await Promise.all([
      import('../../store/database.js'),
      import('../../store/migrate.js'),
    ]);
    const database = await openDatabase(config.databaseUrl);
    try {
      // A running service may hold the SQLite write lock for a moment: wait for it.
      await waitForLocks(database, MIGRATE_BUSY_TIMEOUT_MS);
      const applied = await retryWhileBusy(() => migrateToLatest(database));
      io.stdout(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await database.close();
    }
    return 0;
  },
};
