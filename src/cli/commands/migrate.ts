import type { CliCommand } from '../command.js';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  usage: [['migrate', 'apply database migrations']],
  async run(_args, { config, io }) {
    const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
      import('../../store/database.js'),
      import('../../store/migrate.js'),
    ]);
    const database = await openDatabase(config.databaseUrl);
    try {
      const applied = await migrateToLatest(database);
      io.stdout(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await database.close();
    }
    return 0;
  },
};
