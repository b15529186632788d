/**
 * Rendered feed documents (RSS, Atom, JSON Feed…), stored with their compressed variants and
 * HTTP validators so a request is served without rendering or compressing anything.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from './database.js';
import type { FeedDocumentsTable, Schema } from './schema.js';
import type { FeedDocument } from '../domain/feed-document.js';

export type { FeedDocument };

/** What a conditional GET compares against. */
export interface FeedValidators {
  etag: string;
  lastModified: Date;
}

/** Reads and writes feed documents. */
export class FeedDocumentStore {
  private readonly db: Kysely<Schema>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /**
   * Stores the document unless the stored one has the same etag: then nothing changes, so
   * Last-Modified only moves when the bytes do.
   * @returns true when written.
   */
  async put(document: FeedDocument, now: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('feed_documents')
      .values({
        key: document.key,
        content_type: document.contentType,
        body: document.body,
        gzip: document.gzip,
        brotli: document.brotli,
        etag: document.etag,
        last_modified: document.lastModified.getTime(),
        updated_at: now.getTime(),
      })
      .onConflict((conflict) =>
        conflict
          .column('key')
          .doUpdateSet((eb) => ({
            content_type: eb.ref('excluded.content_type'),
            body: eb.ref('excluded.body'),
            gzip: eb.ref('excluded.gzip'),
            brotli: eb.ref('excluded.brotli'),
            etag: eb.ref('excluded.etag'),
            last_modified: eb.ref('excluded.last_modified'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .whereRef('feed_documents.etag', '!=', 'excluded.etag'),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** The document, or null when there is none under `key`. */
  async get(key: string): Promise<FeedDocument | null> {
    const row = await this.db.selectFrom('feed_documents').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  /** Only the validators, for answering 304 without loading the bytes. */
  async getValidators(key: string): Promise<FeedValidators | null> {
    const row = await this.db.selectFrom('feed_documents').select(['etag', 'last_modified']).where('key', '=', key).executeTakeFirst();
    return row ? { etag: row.etag, lastModified: new Date(row.last_modified) } : null;
  }

  /** Every stored key, sorted. */
  async keys(): Promise<string[]> {
    const rows = await this.db.selectFrom('feed_documents').select('key').orderBy('key').execute();
    return rows.map((row) => row.key);
  }

  /** Deletes the document; nothing happens when there is none. */
  async remove(key: string): Promise<void> {
    await this.db.deleteFrom('feed_documents').where('key', '=', key).execute();
  }
}

function toDocument(row: Selectable<FeedDocumentsTable>): FeedDocument {
  return {
    key: row.key,
    contentType: row.content_type,
    body: row.body,
    gzip: row.gzip,
    brotli: row.brotli,
    etag: row.etag,
    lastModified: new Date(row.last_modified),
  };
}
