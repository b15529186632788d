/**
 * Bulk import of the newsroom's subscriber list (`subscribers import`, SPEC §6): the one writer
 * of subscribers outside the sign-up flow, so it lives with the newsletter rather than in the
 * store every channel shares. It writes the same rows as SubscriberStore, through the same
 * query layer and row mapping (store/subscribers.ts).
 */
import type { Kysely, Updateable } from 'kysely';
import type { ConsentSource, Subscriber, SubscriptionInput } from '../../domain/subscriber.js';
import { retryWhileBusy, type Database } from '../../store/database.js';
import type { SubscribersTable } from '../../store/schema.js';
import {
  confirmationRecentlySent,
  eventRow,
  newSubscriberRow,
  preferenceColumns,
  SUBSCRIBER_CHUNK_SIZE,
  toSubscriber,
  type DeliverabilityTables,
  type EventRecord,
  type SubscriberRow,
  type SubscriberSchema,
} from '../../store/subscribers.js';

/** Preferences a subscriber file may carry. */
export type ImportColumn = 'frequency' | 'categories' | 'name';
const ALL_IMPORT_COLUMNS: ReadonlySet<ImportColumn> = new Set(['frequency', 'categories', 'name']);

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  /** Subscribers created or still pending in this call that are due a confirmation email. */
  pending: Subscriber[];
}

export interface ImportOptions {
  /** The newsroom holds these addresses' consent: new and pending ones become confirmed. */
  confirmed: boolean;
  now: Date;
  /** The preferences the file has. @defaultValue all of them */
  columns?: ReadonlySet<ImportColumn>;
}

/** What an importer knows beyond the database. */
export interface ImporterOptions {
  /** The keyed hash of erased addresses (erasure.ts): an erased address is never created or confirmed by an import. */
  hashAddress?: (email: string) => string;
  /** The file being imported, for the consent record. */
  file?: string;
}

/** Imports subscriber rows into the database it is given. */
export class SubscriberImporter {
  private readonly db: Kysely<SubscriberSchema>;

  constructor(
    private readonly database: Database,
    private readonly importerOptions: ImporterOptions = {},
  ) {
    this.db = database.db.withTables<DeliverabilityTables>();
  }

  /** The same importer, recording `file` as the source of what it adds. */
  forFile(file: string): SubscriberImporter {
    return new SubscriberImporter(this.database, { ...this.importerOptions, file });
  }

  /**
   * Imports rows from the newsroom's list, in one transaction (run again from the start while
   * another process holds the SQLite write lock). The file is authoritative for
   * preferences (frequency, categories, name); with `confirmed`, pending subscribers become
   * confirmed. Unsubscribed, bounced and complained addresses are never resurrected: their
   * consent is gone; erased ones (`subscribers forget`) are neither created nor confirmed. What
   * an import adds goes into the consent record, with the file's name.
   * Importing the same rows again changes nothing. When an address appears twice, the first counts.
   * `columns` names the preferences the file has (default: all): a file without a `frequency`
   * column must not reset every daily subscriber to the default.
   */
  async importMany(rows: readonly SubscriptionInput[], options: ImportOptions): Promise<ImportResult> {
    const now = options.now.getTime();
    const unique = new Map<string, SubscriptionInput>();
    for (const row of rows) if (!unique.has(row.email)) unique.set(row.email, row);
    const inputs = [...unique.values()];
    // A running service writes the ledger all the time: wait for the lock rather than fail.
    return retryWhileBusy(() => this.importTransaction(inputs, options, now));
  }

  private async importTransaction(inputs: SubscriptionInput[], options: ImportOptions, now: number): Promise<ImportResult> {
    const result: ImportResult = { created: 0, updated: 0, unchanged: 0, pending: [] };
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < inputs.length; start += SUBSCRIBER_CHUNK_SIZE) {
        const chunk = inputs.slice(start, start + SUBSCRIBER_CHUNK_SIZE);
        const existingRows = await trx
          .selectFrom('subscribers')
          .selectAll()
          .where(
            'email',
            'in',
            chunk.map((input) => input.email),
          )
          .execute();
        const existing = new Map(existingRows.map((row) => [row.email, row]));
        const erased = await this.erasedIn(trx, chunk);
        const events: ReturnType<typeof eventRow>[] = [];
        const at = new Date(now);
        const record = (note?: string): EventRecord => ({
          source: 'import',
          evidence: { ...(this.importerOptions.file ? { file: this.importerOptions.file } : {}), ...(note ? { note } : {}) },
        });

        const fresh = chunk.filter((input) => !existing.has(input.email) && !erased.has(input.email));
        result.unchanged += chunk.filter((input) => !existing.has(input.email) && erased.has(input.email)).length;
        if (fresh.length > 0) {
          const state = options.confirmed ? 'confirmed' : 'pending';
          const source: ConsentSource = options.confirmed ? 'import-confirmed' : 'import';
          const inserted = await trx
            .insertInto('subscribers')
            .values(fresh.map((input) => ({ ...newSubscriberRow(input.email, now, state, source), ...preferenceColumns(input) })))
            // A form sign-up may have created one meanwhile: it keeps its own record.
            .onConflict((conflict) => conflict.column('email').doNothing())
            .returningAll()
            .execute();
          result.created += inserted.length;
          result.unchanged += fresh.length - inserted.length;
          if (!options.confirmed) result.pending.push(...inserted.map(toSubscriber));
          for (const row of inserted) {
            events.push(
              eventRow(row.id, options.confirmed ? 'confirmed' : 'requested', at, record(options.confirmed ? CONFIRMED_NOTE : undefined)),
            );
          }
        }

        for (const input of chunk) {
          const row = existing.get(input.email);
          if (!row) continue;
          const changes = importChanges(
            row,
            input,
            options.confirmed && !erased.has(input.email),
            now,
            options.columns ?? ALL_IMPORT_COLUMNS,
          );
          const due = !options.confirmed && row.state === 'pending' && !confirmationRecentlySent(row, now);
          if (changes === null && !due) {
            result.unchanged++;
            continue;
          }
          // A new confirmation email needs a link that works for another 7 days.
          const write = { ...changes, ...(due ? { requested_at: now } : {}), updated_at: now };
          const updated = await trx.updateTable('subscribers').set(write).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
          if (changes === null) result.unchanged++;
          else result.updated++;
          if (due) result.pending.push(toSubscriber(updated));
          if (row.state === 'pending' && updated.state === 'confirmed')
            events.push(eventRow(row.id, 'confirmed', at, record(CONFIRMED_NOTE)));
        }
        for (let first = 0; first < events.length; first += SUBSCRIBER_CHUNK_SIZE) {
          await trx
            .insertInto('subscriber_events')
            .values(events.slice(first, first + SUBSCRIBER_CHUNK_SIZE))
            .execute();
        }
      }
    });
    return result;
  }

  /** The addresses of `chunk` that were erased. */
  private async erasedIn(trx: Kysely<SubscriberSchema>, chunk: readonly SubscriptionInput[]): Promise<Set<string>> {
    const hash = this.importerOptions.hashAddress;
    if (!hash) return new Set();
    const byHash = new Map(chunk.map((input) => [hash(input.email), input.email]));
    const rows = await trx
      .selectFrom('erased_addresses')
      .select('address_hash')
      .where('address_hash', 'in', [...byHash.keys()])
      .execute();
    return new Set(rows.map((row) => byHash.get(row.address_hash)!));
  }
}

/** How the consent record says an import with `--confirmed` confirmed an address. */
const CONFIRMED_NOTE = '--confirmed: the newsroom holds this consent';

/** What an import changes on an existing row, or null when it already matches. */
function importChanges(
  row: SubscriberRow,
  input: SubscriptionInput,
  confirmed: boolean,
  now: number,
  columns: ReadonlySet<ImportColumn>,
): Updateable<SubscribersTable> | null {
  const preferences = preferenceColumns(input);
  const changes: Updateable<SubscribersTable> = {};
  if (columns.has('frequency') && row.frequency !== preferences.frequency) changes.frequency = preferences.frequency;
  if (columns.has('categories') && row.categories !== preferences.categories) changes.categories = preferences.categories;
  if (columns.has('name') && row.name !== preferences.name) changes.name = preferences.name;
  if (confirmed && row.state === 'pending') {
    Object.assign(changes, { state: 'confirmed', confirmed_at: now, consent_at: now, consent_source: 'import-confirmed' });
  }
  return Object.keys(changes).length > 0 ? changes : null;
}
