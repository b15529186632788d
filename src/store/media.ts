/**
 * Stored media: an article's image as fetched ('source') and the variants made for channels.
 * One row per (article, variant).
 */
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { Schema } from './schema.js';

export interface StoredMedia {
  articleId: string;
  variant: string;
  /** Where the original came from; a changed article image makes new variants. */
  sourceUrl: string;
  contentType: string;
  body: Buffer;
  width: number | null;
  height: number | null;
  etag: string;
  createdAt: Date;
}

export class MediaStore {
  private readonly db: Kysely<Schema>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /** Stores (or replaces) one variant. */
  async put(media: StoredMedia): Promise<void> {
    const row = {
      article_id: media.articleId,
      variant: media.variant,
      source_url: media.sourceUrl,
      content_type: media.contentType,
      body: media.body,
      width: media.width,
      height: media.height,
      etag: media.etag,
      created_at: media.createdAt.getTime(),
    };
    await this.db
      .insertInto('media')
      .values(row)
      .onConflict((conflict) =>
        conflict.columns(['article_id', 'variant']).doUpdateSet((eb) => ({
          source_url: eb.ref('excluded.source_url'),
          content_type: eb.ref('excluded.content_type'),
          body: eb.ref('excluded.body'),
          width: eb.ref('excluded.width'),
          height: eb.ref('excluded.height'),
          etag: eb.ref('excluded.etag'),
          created_at: eb.ref('excluded.created_at'),
        })),
      )
      .execute();
  }

  async get(articleId: string, variant: string): Promise<StoredMedia | null> {
    const row = await this.db
      .selectFrom('media')
      .selectAll()
      .where('article_id', '=', articleId)
      .where('variant', '=', variant)
      .executeTakeFirst();
    if (!row) return null;
    return {
      articleId: row.article_id,
      variant: row.variant,
      sourceUrl: row.source_url,
      contentType: row.content_type,
      body: Buffer.from(row.body),
      width: row.width,
      height: row.height,
      etag: row.etag,
      createdAt: new Date(Number(row.created_at)),
    };
  }
}
