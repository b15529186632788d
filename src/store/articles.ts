/**
 * Stored articles: the current revision in `articles`, every revision in
 * `article_revisions`, the current categories in `article_categories`.
 */
import type { Insertable, Kysely, Selectable, SelectQueryBuilder, Transaction } from 'kysely';
import { sql } from 'kysely';
import type { ArticleRecord, ArticleState, Author, ArticleImage, Category, ChannelChoice } from '../domain/article.js';
import type { Database } from './database.js';
import type { ArticlesTable, Schema } from './schema.js';

/** The `cursor` given to {@link ArticleStore.list} is not one it handed out. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor(message = 'the cursor is not valid') {
    super(message);
  }
}

export interface ListArticlesOptions {
  /** Page size. */
  limit: number;
  /** `nextCursor` from the previous page; absent or null for the first page. */
  cursor?: string | null;
  /** Only articles in this state. @defaultValue every state */
  state?: ArticleState;
}

export interface ArticlePage {
  items: ArticleRecord[];
  /** Pass it back for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ListPublishedOptions {
  limit: number;
  /** Only articles in this category. @defaultValue every category */
  categorySlug?: string;
}

export interface ArticleRevision {
  revision: number;
  createdAt: Date;
}

type ArticleRow = Selectable<ArticlesTable>;

/** Reads and writes articles; every write of content also records a revision. */
export class ArticleStore {
  private readonly db: Kysely<Schema>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /** The article, or null when there is none with this id. */
  async get(id: string): Promise<ArticleRecord | null> {
    const row = await this.db.selectFrom('articles').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /**
   * Stores a new article with its first revision and categories, in one transaction.
   * @returns false, writing nothing, when an article with this id already exists.
   */
  async insert(record: ArticleRecord): Promise<boolean> {
    const [inserted] = await this.insertMany([record]);
    return inserted!;
  }

  /**
   * {@link insert} for several articles in one transaction: one commit (one WAL append) for
   * all, as the API does for the POSTs that arrive together.
   * @returns per record, in order, whether it was stored (false: its id already exists).
   */
  async insertMany(records: readonly ArticleRecord[]): Promise<boolean[]> {
    return this.db.transaction().execute(async (trx) => {
      const inserted: boolean[] = [];
      for (const record of records) {
        const result = await trx
          .insertInto('articles')
          .values(toRow(record))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .executeTakeFirst();
        const stored = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
        if (stored) await writeRevisionAndCategories(trx, record, false);
        inserted.push(stored);
      }
      return inserted;
    });
  }

  /**
   * Replaces the article with `record` (whose `revision` is the new one) when the stored
   * revision is still `expectedRevision`; records the revision and replaces the categories.
   * @returns false, writing nothing, when the stored revision has moved on (or there is no such article).
   * @throws RangeError when `record.revision` is not greater than `expectedRevision`.
   */
  async update(record: ArticleRecord, expectedRevision: number): Promise<boolean> {
    if (record.revision <= expectedRevision) {
      throw new RangeError(`new revision ${record.revision} must be greater than ${expectedRevision}`);
    }
    const { id: _id, created_at: _createdAt, ...changes } = toRow(record);
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('articles')
        .set(changes)
        .where('id', '=', record.id)
        .where('revision', '=', expectedRevision)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await writeRevisionAndCategories(trx, record, true);
      return true;
    });
  }

  /** Moves a scheduled article to published. @returns true when it was scheduled. */
  async markPublished(id: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('articles')
      .set({ state: 'published', updated_at: now.getTime() })
      .where('id', '=', id)
      .where('state', '=', 'scheduled')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Articles still waiting for their fan-out, last changed before `changedBefore`, in id order
   * after `after`, at most `limit`: every `scheduled` one and, with `withoutDeliveries`, every
   * `published` one that has no ledger row (its fan-out was lost between marking it published
   * and writing the rows). The ledger reconciler pages through them.
   */
  async listAwaitingFanOut(options: {
    after: string;
    limit: number;
    changedBefore: Date;
    withoutDeliveries: boolean;
  }): Promise<Array<{ id: string; state: ArticleState; publishedAt: Date }>> {
    assertLimit(options.limit);
    const rows = await this.db
      .selectFrom('articles')
      .select(['id', 'state', 'published_at'])
      .where('id', '>', options.after)
      .where('updated_at', '<', options.changedBefore.getTime())
      .where((eb) =>
        eb.or([
          eb('state', '=', 'scheduled'),
          ...(options.withoutDeliveries
            ? [
                eb.and([
                  eb('state', '=', 'published'),
                  eb.not(
                    eb.exists(
                      eb.selectFrom('deliveries').select('deliveries.article_id').whereRef('deliveries.article_id', '=', 'articles.id'),
                    ),
                  ),
                ]),
              ]
            : []),
        ]),
      )
      .orderBy('id')
      .limit(options.limit)
      .execute();
    return rows.map((row) => ({ id: row.id, state: row.state as ArticleState, publishedAt: new Date(row.published_at) }));
  }

  /** Retracts the article. @returns true when it was not retracted already. */
  async retract(id: string, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('articles')
      .set({ state: 'retracted', retracted_at: now.getTime(), updated_at: now.getTime() })
      .where('id', '=', id)
      .where('state', '!=', 'retracted')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * A page of articles, newest first (published_at, then id, descending). The cursor is a
   * position, not an offset, so articles added meanwhile neither repeat nor skip items.
   * @throws InvalidCursorError when `cursor` is malformed.
   * @throws RangeError when `limit` is not a positive integer.
   */
  async list(options: ListArticlesOptions): Promise<ArticlePage> {
    assertLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor) : null;
    let query = this.db.selectFrom('articles').selectAll();
    if (options.state !== undefined) query = query.where('state', '=', options.state);
    return pageOf(query, options.limit, after);
  }

  /** The newest published articles, optionally only those in one category. */
  async listPublished(options: ListPublishedOptions): Promise<ArticleRecord[]> {
    assertLimit(options.limit);
    if (options.categorySlug !== undefined) {
      // From the category's index, newest first (migration 005): never a walk of the archive.
      const rows = await this.db
        .selectFrom('article_categories')
        .innerJoin('articles', 'articles.id', 'article_categories.article_id')
        .selectAll('articles')
        .where('article_categories.slug', '=', options.categorySlug)
        .where('articles.state', '=', 'published')
        .orderBy('article_categories.published_at', 'desc')
        .orderBy('article_categories.article_id', 'desc')
        .limit(options.limit)
        .execute();
      return rows.map(toRecord);
    }
    const rows = await this.db
      .selectFrom('articles')
      .selectAll()
      .where('state', '=', 'published')
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Published articles with `after < published_at <= until`, oldest first, at most `limit`
   * (a digest's articles: everything since the subscriber's last digest).
   */
  async listPublishedBetween(after: Date, until: Date, limit: number): Promise<ArticleRecord[]> {
    assertLimit(limit);
    const rows = await this.db
      .selectFrom('articles')
      .selectAll()
      .where('state', '=', 'published')
      .where('published_at', '>', after.getTime())
      .where('published_at', '<=', until.getTime())
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord).reverse();
  }

  /** Slugs of the categories that have at least one published article, sorted. */
  async listCategorySlugs(): Promise<string[]> {
    // A loose index scan: one index probe per distinct slug, then one for a published article
    // in it, rather than a read of every row (a start-up rebuild calls this on the whole archive;
    // DISTINCT over a join took 136 ms at 100,000 articles, see bench/growth.ts).
    const result = await sql<{ slug: string }>`
      with recursive slugs(slug) as (
        select min(slug) from article_categories
        union all
        select (select min(next.slug) from article_categories as next where next.slug > slugs.slug)
        from slugs where slugs.slug is not null
      )
      select slugs.slug as slug from slugs
      where slugs.slug is not null
        and exists (
          select 1 from article_categories as category
          inner join articles on articles.id = category.article_id
          where category.slug = slugs.slug and articles.state = 'published'
        )
      order by slugs.slug`.execute(this.db);
    return result.rows.map((row) => row.slug);
  }

  /**
   * The categories ({ name, slug }) of the `limit` newest published articles, each slug once
   * with its newest name, newest first. Reads the categories column alone, not the articles.
   */
  async listRecentCategories(limit: number): Promise<Category[]> {
    assertLimit(limit);
    const rows = await this.db
      .selectFrom('articles')
      .select('categories')
      .where('state', '=', 'published')
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    const categories = new Map<string, Category>();
    for (const row of rows) {
      for (const category of JSON.parse(row.categories) as Category[]) {
        if (!categories.has(category.slug)) categories.set(category.slug, category);
      }
    }
    return [...categories.values()];
  }

  /** Every recorded revision of the article, oldest first (empty when there is none). */
  async revisions(id: string): Promise<ArticleRevision[]> {
    const rows = await this.db
      .selectFrom('article_revisions')
      .select(['revision', 'created_at'])
      .where('article_id', '=', id)
      .orderBy('revision')
      .execute();
    return rows.map((row) => ({ revision: row.revision, createdAt: new Date(row.created_at) }));
  }

  /**
   * {@link list}, but only articles with a delivery in `deliveryState` on a row without a target
   * (a feed, a social account, a newsletter's plan): the operator's "what failed?" view. The
   * filter probes each article's few such rows through the ledger's primary key.
   * @throws InvalidCursorError when `cursor` is malformed.
   * @throws RangeError when `limit` is not a positive integer.
   */
  async listByDeliveryState(options: Omit<ListArticlesOptions, 'state'> & { deliveryState: string }): Promise<ArticlePage> {
    assertLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor) : null;
    const query = this.db
      .selectFrom('articles')
      .selectAll()
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('deliveries')
            .select('deliveries.article_id')
            .whereRef('deliveries.article_id', '=', 'articles.id')
            .where('deliveries.target', '=', '')
            .where('deliveries.state', '=', options.deliveryState),
        ),
      );
    return pageOf(query, options.limit, after);
  }
}

async function writeRevisionAndCategories(trx: Transaction<Schema>, record: ArticleRecord, replaceCategories: boolean): Promise<void> {
  await trx
    .insertInto('article_revisions')
    .values({
      article_id: record.id,
      revision: record.revision,
      body: JSON.stringify(record),
      created_at: record.updatedAt.getTime(),
    })
    .execute();
  if (replaceCategories) await trx.deleteFrom('article_categories').where('article_id', '=', record.id).execute();
  // The domain de-duplicates slugs already; a Set keeps a stray duplicate from breaking the key.
  const slugs = [...new Set(record.categories.map((category) => category.slug))];
  if (slugs.length > 0) {
    await trx
      .insertInto('article_categories')
      .values(slugs.map((slug) => ({ article_id: record.id, slug, published_at: record.publishedAt.getTime() })))
      .execute();
  }
}

function toRow(record: ArticleRecord): Insertable<ArticlesTable> {
  return {
    id: record.id,
    url: record.url,
    title: record.title,
    summary: record.summary,
    content_html: record.contentHtml,
    authors: JSON.stringify(record.authors),
    categories: JSON.stringify(record.categories),
    tags: JSON.stringify(record.tags),
    image: record.image === null ? null : JSON.stringify(record.image),
    channels: JSON.stringify(record.channels),
    published_at: record.publishedAt.getTime(),
    revision: record.revision,
    state: record.state,
    content_hash: record.contentHash,
    created_at: record.createdAt.getTime(),
    updated_at: record.updatedAt.getTime(),
    retracted_at: record.retractedAt === null ? null : record.retractedAt.getTime(),
  };
}

// The JSON columns are written only by toRow, so parsing trusts their shape.
function toRecord(row: ArticleRow): ArticleRecord {
  return {
    id: row.id,
    url: row.url,
    title: row.title,
    summary: row.summary,
    contentHtml: row.content_html,
    authors: JSON.parse(row.authors) as Author[],
    categories: JSON.parse(row.categories) as Category[],
    tags: JSON.parse(row.tags) as string[],
    image: row.image === null ? null : (JSON.parse(row.image) as ArticleImage),
    channels: JSON.parse(row.channels) as Record<string, ChannelChoice>,
    publishedAt: new Date(row.published_at),
    revision: row.revision,
    state: row.state as ArticleState,
    contentHash: row.content_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    retractedAt: row.retracted_at === null ? null : new Date(row.retracted_at),
  };
}

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
}

function encodeCursor(publishedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([publishedAt, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { publishedAt: number; id: string } {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(cursor)) throw new InvalidCursorError();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(value) || value.length !== 2 || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string') {
    throw new InvalidCursorError();
  }
  return { publishedAt: value[0] as number, id: value[1] };
}

type ArticleQuery = SelectQueryBuilder<Schema, 'articles', Selectable<ArticlesTable>>;

/**
 * One page of `query`, newest first (published_at, then id), after the cursor position `after`.
 * One extra row tells whether another page exists without a count.
 */
async function pageOf(query: ArticleQuery, limit: number, after: { publishedAt: number; id: string } | null): Promise<ArticlePage> {
  const positioned =
    after === null
      ? query
      : query.where((eb) =>
          eb.or([
            eb('published_at', '<', after.publishedAt),
            eb.and([eb('published_at', '=', after.publishedAt), eb('id', '<', after.id)]),
          ]),
        );
  const rows = await positioned
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last ? encodeCursor(last.published_at, last.id) : null;
  return { items: page.map(toRecord), nextCursor };
}
