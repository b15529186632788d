/**
 * The delivery ledger (LEDGER.md): one row per (article, channel, target), claimed with one
 * conditional update and completed with another, so a delivery leaves at most once.
 */
import { sql, type ExpressionBuilder, type Kysely, type Selectable } from 'kysely';
import { CANCELLABLE_STATES } from '../domain/delivery.js';
import type { Delivery, DeliveryKey, DeliveryOutcome, DeliveryState } from '../domain/delivery.js';
import type { Database } from './database.js';
import type { DeliveriesTable, Schema } from './schema.js';

/** A row for {@link DeliveryStore.ensure}: the states a fan-out creates rows in. */
export type EnsureDeliveryRow = DeliveryKey & {
  state: 'queued' | 'scheduled' | 'skipped';
  lastError?: string | null;
};

/**
 * Rows per INSERT in {@link DeliveryStore.ensure}: 500 × 8 parameters stays far below
 * SQLite's and PostgreSQL's bound-parameter limits while keeping statements few.
 */
export const ENSURE_CHUNK_SIZE = 500;

/**
 * What makes a row due for the reconciler (LEDGER.md "When Redis forgets"), as cut-off times:
 * a row that has waited past its cut-off and has no job will not move by itself.
 */
export interface DueCutoffs {
  /** `queued` rows last changed before this. */
  queuedBefore: Date;
  /** `retry` rows last changed before this: their back-off has passed. */
  retryBefore: Date;
  /** `claimed` rows claimed before this: their claimer's lease has ended. */
  claimedBefore: Date;
}

/** An article with due rows on one channel (see {@link DeliveryStore.dueArticles}). */
export interface DueArticle {
  articleId: string;
  /** Whether its row without a target (a feed, an account, a newsletter's plan) is due. */
  account: boolean;
  /** How many of its rows with a target (a newsletter's subscribers) are due. */
  targets: number;
  /** The due rows' attempts added up: with the counts, whether a job made progress since. */
  attempts: number;
}

type DeliveryRow = Selectable<DeliveriesTable>;

/** Reads and writes the ledger. Every write is one statement (or one transaction for `ensure`). */
export class DeliveryStore {
  private readonly db: Kysely<Schema>;

  constructor(database: Database) {
    this.db = database.db;
  }

  /**
   * Creates the rows of a fan-out, in chunks of {@link ENSURE_CHUNK_SIZE}, in one transaction.
   * An existing row in `scheduled` takes the new state (how a scheduled article's rows become
   * `queued`); any other existing row is left as it is, so running the fan-out again is harmless.
   * When `rows` names a key twice, the first one counts.
   */
  async ensure(rows: EnsureDeliveryRow[], now: Date): Promise<void> {
    const unique = new Map<string, EnsureDeliveryRow>();
    for (const row of rows) {
      const id = JSON.stringify([row.articleId, row.channel, row.target]);
      // PostgreSQL refuses a statement that would upsert the same row twice.
      if (!unique.has(id)) unique.set(id, row);
    }
    if (unique.size === 0) return;
    const values = [...unique.values()].map((row) => ({
      article_id: row.articleId,
      channel: row.channel,
      target: row.target,
      state: row.state,
      last_error: row.lastError ?? null,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    }));
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < values.length; start += ENSURE_CHUNK_SIZE) {
        await trx
          .insertInto('deliveries')
          .values(values.slice(start, start + ENSURE_CHUNK_SIZE))
          .onConflict((conflict) =>
            conflict
              .columns(['article_id', 'channel', 'target'])
              .doUpdateSet((eb) => ({
                state: eb.ref('excluded.state'),
                last_error: eb.ref('excluded.last_error'),
                updated_at: eb.ref('excluded.updated_at'),
              }))
              .where('deliveries.state', '=', 'scheduled')
              // scheduled → scheduled would only move updated_at.
              .where('excluded.state', '!=', 'scheduled'),
          )
          .execute();
      }
    });
  }

  /**
   * Claims the row for one attempt (LEDGER.md step 1): it must be `queued` or `retry`, or
   * `claimed` with a lease older than `leaseMs`. One conditional UPDATE, so of two claimers
   * exactly one wins.
   * @returns the claimed row (attempts already counted), or null when it was not claimable.
   */
  async claim(key: DeliveryKey, token: string, leaseMs: number, now: Date): Promise<Delivery | null> {
    const row = await this.db
      .updateTable('deliveries')
      .set((eb) => claimChanges(eb, token, now))
      .where('article_id', '=', key.articleId)
      .where('channel', '=', key.channel)
      .where('target', '=', key.target)
      .where((eb) => claimable(eb, leaseMs, now))
      .returningAll()
      .executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  /**
   * {@link claim} for many targets of one article and channel in one statement, with one
   * token: a newsletter batch claims its rows together and completes each one on its own.
   * @returns the rows claimed (attempts already counted); the others were not claimable.
   */
  async claimTargets(
    articleId: string,
    channel: string,
    targets: readonly string[],
    token: string,
    leaseMs: number,
    now: Date,
  ): Promise<Delivery[]> {
    if (targets.length === 0) return [];
    const claimed: Delivery[] = [];
    for (let start = 0; start < targets.length; start += ENSURE_CHUNK_SIZE) {
      const rows = await this.db
        .updateTable('deliveries')
        .set((eb) => claimChanges(eb, token, now))
        .where('article_id', '=', articleId)
        .where('channel', '=', channel)
        .where('target', 'in', targets.slice(start, start + ENSURE_CHUNK_SIZE))
        .where((eb) => claimable(eb, leaseMs, now))
        .returningAll()
        .execute();
      claimed.push(...rows.map(toDelivery));
    }
    return claimed;
  }

  /**
   * Records how a claimed attempt ended (LEDGER.md step 4), only while the claim is still
   * `token`'s: a claimer whose lease was taken over cannot overwrite the new claimer's result.
   * @returns true when it applied.
   */
  async complete(key: DeliveryKey, token: string, outcome: DeliveryOutcome, now: Date): Promise<boolean> {
    return completeIn(this.db, key, token, outcome, now);
  }

  /**
   * {@link complete} for several attempts that have all ended, in one transaction: a group
   * commit of outcomes already known, never one held back for further calls (LEDGER.md step 4).
   * @returns for each, whether it applied.
   */
  async completeMany(items: readonly { key: DeliveryKey; token: string; outcome: DeliveryOutcome }[], now: Date): Promise<boolean[]> {
    if (items.length === 1) return [await this.complete(items[0]!.key, items[0]!.token, items[0]!.outcome, now)];
    return this.db.transaction().execute(async (trx) => {
      const applied: boolean[] = [];
      for (const item of items) applied.push(await completeIn(trx, item.key, item.token, item.outcome, now));
      return applied;
    });
  }

  /** The row, or null when there is none. */
  async get(key: DeliveryKey): Promise<Delivery | null> {
    const row = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('article_id', '=', key.articleId)
      .where('channel', '=', key.channel)
      .where('target', '=', key.target)
      .executeTakeFirst();
    return row ? toDelivery(row) : null;
  }

  /**
   * The rows of the article, ordered by channel then target. With `accountOnly` only the rows
   * without a target: an article sent to 100,000 subscribers has 100,000 more.
   */
  async listForArticle(articleId: string, options: { accountOnly?: boolean } = {}): Promise<Delivery[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('article_id', '=', articleId)
      .$if(options.accountOnly === true, (query) => query.where('target', '=', ''))
      .orderBy('channel')
      .orderBy('target')
      .execute();
    return rows.map(toDelivery);
  }

  /**
   * Cancels what has not left yet (CANCELLABLE_STATES), for the article or one of its channels.
   * Claimed rows are left to their claimer, which re-reads the article before calling out.
   * @returns how many rows were cancelled.
   */
  async cancelPending(articleId: string, now: Date, channel?: string): Promise<number> {
    let query = this.db
      .updateTable('deliveries')
      .set({ state: 'cancelled', updated_at: now.getTime() })
      .where('article_id', '=', articleId)
      .where('state', 'in', [...CANCELLABLE_STATES]);
    if (channel !== undefined) query = query.where('channel', '=', channel);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Cancels what has not left yet for one target on one channel, across every article: an
   * unsubscribe or a bounce takes effect for batches already queued.
   * @returns how many rows were cancelled.
   */
  async cancelPendingForTarget(channel: string, target: string, now: Date): Promise<number> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ state: 'cancelled', updated_at: now.getTime() })
      .where('channel', '=', channel)
      .where('target', '=', target)
      .where('state', 'in', [...CANCELLABLE_STATES])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Targets of the article's rows on `channel` that still have to be tried (`queued` or
   * `retry`), in target order after `afterTarget`: how a newsletter is split into batches
   * without reading the whole list at once.
   */
  async pendingTargets(articleId: string, channel: string, afterTarget: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select('target')
      .where('article_id', '=', articleId)
      .where('channel', '=', channel)
      .where('target', '>', afterTarget)
      .where('state', 'in', ['queued', 'retry'])
      .orderBy('target')
      .limit(limit)
      .execute();
    return rows.map((row) => row.target);
  }

  /**
   * Puts `failed` rows back to `queued` (an operator's retry), releasing their claim token.
   * Attempts and the last error stay, so the next claim reconciles first.
   * @returns the keys requeued, ordered by channel then target.
   */
  async requeueFailed(articleId: string, now: Date, channel?: string): Promise<DeliveryKey[]> {
    let query = this.db
      .updateTable('deliveries')
      .set({ state: 'queued', claim_token: null, updated_at: now.getTime() })
      .where('article_id', '=', articleId)
      .where('state', '=', 'failed');
    if (channel !== undefined) query = query.where('channel', '=', channel);
    const rows = await query.returning(['article_id', 'channel', 'target']).execute();
    return rows
      .map((row) => ({ articleId: row.article_id, channel: row.channel, target: row.target }))
      .sort((a, b) => compare(a.channel, b.channel) || compare(a.target, b.target));
  }

  /**
   * Sets the state whatever it was: for administrative transitions only, never for a job's
   * own progress (that is `claim` and `complete`). `lastError` is left alone when omitted.
   * @returns true when the row exists.
   */
  async setState(key: DeliveryKey, state: DeliveryState, now: Date, lastError?: string | null): Promise<boolean> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ state, updated_at: now.getTime(), ...(lastError === undefined ? {} : { last_error: lastError }) })
      .where('article_id', '=', key.articleId)
      .where('channel', '=', key.channel)
      .where('target', '=', key.target)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * How many of the article's rows on `channel` are in each state; states with none are absent.
   * With `targetsOnly` the row without a target (a newsletter's plan) is not counted.
   */
  async countByState(
    articleId: string,
    channel: string,
    options: { targetsOnly?: boolean } = {},
  ): Promise<Partial<Record<DeliveryState, number>>> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select((eb) => ['state', eb.fn.countAll().as('count')])
      .where('article_id', '=', articleId)
      .where('channel', '=', channel)
      .$if(options.targetsOnly === true, (query) => query.where('target', '!=', ''))
      .groupBy('state')
      .execute();
    const counts: Partial<Record<DeliveryState, number>> = {};
    for (const row of rows) counts[row.state as DeliveryState] = Number(row.count);
    return counts;
  }

  /**
   * Articles with rows on `channel` that are due (see {@link DueCutoffs}), in article order after
   * `afterArticleId`, at most `limit`: the reconciler pages through them.
   */
  async dueArticles(channel: string, cutoffs: DueCutoffs, afterArticleId: string, limit: number): Promise<DueArticle[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select((eb) => [
        'article_id',
        eb.fn.max(eb.case().when('target', '=', '').then(1).else(0).end()).as('account'),
        eb.fn.sum(eb.case().when('target', '=', '').then(0).else(1).end()).as('targets'),
        eb.fn.sum('attempts').as('attempts'),
      ])
      .where('channel', '=', channel)
      .where('article_id', '>', afterArticleId)
      .where((eb) => due(eb, cutoffs))
      .groupBy('article_id')
      .orderBy('article_id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      articleId: row.article_id,
      account: Number(row.account) === 1,
      targets: Number(row.targets),
      attempts: Number(row.attempts),
    }));
  }

  /**
   * Ends the article's due rows on `channel` as `failed` with `error`: the reconciler gives up on
   * them. With `minAttempts`, only rows that have been tried at least that often; with
   * `keepLastError`, the row's own last error follows `error` (`<error>: <last error>`).
   * @returns how many rows were failed.
   */
  async failDue(
    articleId: string,
    channel: string,
    cutoffs: DueCutoffs,
    error: string,
    now: Date,
    options: { minAttempts?: number; keepLastError?: boolean } = {},
  ): Promise<number> {
    const lastError = options.keepLastError ? sql<string>`cast(${error} as text) || coalesce(': ' || last_error, '')` : error;
    const result = await this.db
      .updateTable('deliveries')
      .set({ state: 'failed', last_error: lastError, updated_at: now.getTime() })
      .where('article_id', '=', articleId)
      .where('channel', '=', channel)
      .where((eb) => due(eb, cutoffs))
      .$if(options.minAttempts !== undefined, (query) => query.where('attempts', '>=', options.minAttempts!))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Puts the article's rows with a target whose claim ended before `claimedBefore` back to
   * `retry` (attempts and last error kept): a newsletter's plan queues batches for `queued` and
   * `retry` rows only, so a claim its dead claimer left behind must become one of those first.
   * @returns how many rows were released.
   */
  async releaseExpiredClaims(articleId: string, channel: string, claimedBefore: Date, now: Date): Promise<number> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ state: 'retry', updated_at: now.getTime() })
      .where('article_id', '=', articleId)
      .where('channel', '=', channel)
      .where('target', '!=', '')
      .where('state', '=', 'claimed')
      .where('claimed_at', '<', claimedBefore.getTime())
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Ends as `failed` with `error` those of `keys` that are still `claimed`: the job that claimed
   * them kept killing its worker, so what it held is given up rather than tried forever.
   * @returns how many rows were failed.
   */
  async failClaimed(keys: readonly DeliveryKey[], error: string, now: Date): Promise<number> {
    const groups = new Map<string, { articleId: string; channel: string; targets: string[] }>();
    for (const key of keys) {
      const id = JSON.stringify([key.articleId, key.channel]);
      const group = groups.get(id) ?? { articleId: key.articleId, channel: key.channel, targets: [] };
      group.targets.push(key.target);
      groups.set(id, group);
    }
    let failed = 0;
    for (const { articleId, channel, targets } of groups.values()) {
      for (let start = 0; start < targets.length; start += ENSURE_CHUNK_SIZE) {
        const result = await this.db
          .updateTable('deliveries')
          .set({ state: 'failed', last_error: error, updated_at: now.getTime() })
          .where('article_id', '=', articleId)
          .where('channel', '=', channel)
          .where('target', 'in', targets.slice(start, start + ENSURE_CHUNK_SIZE))
          .where('state', '=', 'claimed')
          .executeTakeFirst();
        failed += Number(result.numUpdatedRows);
      }
    }
    return failed;
  }

  /**
   * The rows without a target (one per channel: a feed, a social account, a newsletter's plan)
   * of each of `articleIds`, ordered by article then channel: the per-channel states of a page
   * of articles in one query.
   */
  async listAccountRows(articleIds: readonly string[]): Promise<Delivery[]> {
    const unique = [...new Set(articleIds)];
    const found: Delivery[] = [];
    for (let start = 0; start < unique.length; start += ENSURE_CHUNK_SIZE) {
      const rows = await this.db
        .selectFrom('deliveries')
        .selectAll()
        .where('article_id', 'in', unique.slice(start, start + ENSURE_CHUNK_SIZE))
        .where('target', '=', '')
        .orderBy('article_id')
        .orderBy('channel')
        .execute();
      found.push(...rows.map(toDelivery));
    }
    return found;
  }

  /**
   * The rows addressed to one target (a newsletter subscriber's emails and digests), last
   * changed first, at most `limit`. No index leads with `target`: this reads the ledger, so it
   * is for one person's record, not for loops.
   */
  async listForTarget(target: string, limit: number): Promise<Delivery[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    if (target === '') return [];
    const rows = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('target', '=', target)
      .orderBy('updated_at', 'desc')
      .orderBy('article_id')
      .orderBy('channel')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }
}

/** The conditional completion of one claimed row, on the database or inside a transaction. */
async function completeIn(db: Kysely<Schema>, key: DeliveryKey, token: string, outcome: DeliveryOutcome, now: Date): Promise<boolean> {
  const changes =
    outcome.state === 'sent'
      ? {
          state: outcome.state,
          external_id: outcome.externalId ?? null,
          external_url: outcome.externalUrl ?? null,
          updated_at: now.getTime(),
        }
      : { state: outcome.state, last_error: outcome.error, updated_at: now.getTime() };
  const refund = outcome.state === 'retry' && outcome.refundAttempt === true;
  const result = await db
    .updateTable('deliveries')
    .set(changes)
    .$if(refund, (query) => query.set((eb) => ({ attempts: eb('attempts', '-', 1) })))
    .where('article_id', '=', key.articleId)
    .where('channel', '=', key.channel)
    .where('target', '=', key.target)
    .where('claim_token', '=', token)
    .where('state', '=', 'claimed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** What a claim writes (LEDGER.md step 1). */
function claimChanges(eb: ExpressionBuilder<Schema, 'deliveries'>, token: string, now: Date) {
  return {
    state: 'claimed',
    claim_token: token,
    claimed_at: now.getTime(),
    attempts: eb('attempts', '+', 1),
    updated_at: now.getTime(),
  };
}

/** A row may be claimed when it waits (`queued`, `retry`) or its claimer's lease has ended. */
function claimable(eb: ExpressionBuilder<Schema, 'deliveries'>, leaseMs: number, now: Date) {
  return eb.or([
    eb('state', 'in', ['queued', 'retry']),
    eb.and([eb('state', '=', 'claimed'), eb('claimed_at', '<', now.getTime() - leaseMs)]),
  ]);
}

/** A row the reconciler should look at: waiting past its cut-off, or claimed by a lease that ended. */
function due(eb: ExpressionBuilder<Schema, 'deliveries'>, cutoffs: DueCutoffs) {
  return eb.or([
    eb.and([eb('state', '=', 'queued'), eb('updated_at', '<', cutoffs.queuedBefore.getTime())]),
    eb.and([eb('state', '=', 'retry'), eb('updated_at', '<', cutoffs.retryBefore.getTime())]),
    eb.and([eb('state', '=', 'claimed'), eb('claimed_at', '<', cutoffs.claimedBefore.getTime())]),
  ]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    articleId: row.article_id,
    channel: row.channel,
    target: row.target,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    claimToken: row.claim_token,
    claimedAt: row.claimed_at === null ? null : new Date(row.claimed_at),
    externalId: row.external_id,
    externalUrl: row.external_url,
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
