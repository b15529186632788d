/**
 * The list of migrations, in order. Adding one: a new `NNN-name.ts` exporting `up`/`down`,
 * and one line here. Names are stored in the database: never rename one that has shipped.
 */
import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import * as initial from './001-initial.js';
import * as media from './002-media.js';
import * as subscribers from './003-subscribers.js';
import * as deliverability from './004-deliverability.js';
import * as categoryOrder from './005-category-order.js';
import type { MigrationContext } from './migration-context.js';

interface MigrationModule {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

const MIGRATIONS: ReadonlyArray<readonly [name: string, module: MigrationModule]> = [
  ['001-initial', initial],
  ['002-media', media],
  ['003-subscribers', subscribers],
  ['004-deliverability', deliverability],
  ['005-category-order', categoryOrder],
];

/** The migrations for `dialect`, keyed by name, as kysely's `MigrationProvider` expects. */
export function migrationsFor(dialect: DialectName): Record<string, Migration> {
  const context: MigrationContext = { dialect };
  const migrations: Record<string, Migration> = {};
  for (const [name, module] of MIGRATIONS) {
    const down = module.down;
    migrations[name] = {
      up: (db) => module.up(db, context),
      ...(down ? { down: (db: Kysely<unknown>) => down(db, context) } : {}),
    };
  }
  return migrations;
}
