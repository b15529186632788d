/** What a migration may need to know beyond the connection. */
import type { DialectName } from '../database.js';

/** Handed to every migration's `up` and `down`: only which engine it runs on. */
export interface MigrationContext {
  dialect: DialectName;
}
