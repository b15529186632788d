/**
 * The ledger (DeliveryStore) against real SQLite and PostgreSQL. Nothing faked; the statement
 * counter in the chunking test only observes the queries kysely sends.
 */
import type { KyselyPlugin } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryKey } from '../../../src/domain/delivery.js';
import { ArticleStore } from '../../../src/store/articles.js';
import type { Database } from '../../../src/store/database.js';
import { DeliveryStore } from '../../../src/store/deliveries.js';
import { databaseTargets } from '../../helpers/database.js';
import { articleRecord, minutesAfter, T0 } from './article-records.js';

const LEASE_MS = 60_000;
const ARTICLE = 'ledger-article';
const X: DeliveryKey = { articleId: ARTICLE, channel: 'x', target: '' };
const FACEBOOK: DeliveryKey = { articleId: ARTICLE, channel: 'facebook', target: '' };
const EMAIL: DeliveryKey = { articleId: ARTICLE, channel: 'email', target: 'reader@example.org' };

describe.each(databaseTargets())('DeliveryStore on $name', (target) => {
  let database: Database;
  let deliveries: DeliveryStore;

  beforeEach(async () => {
    database = await target.open();
    deliveries = new DeliveryStore(database);
    await new ArticleStore(database).insert(articleRecord(ARTICLE));
  });

  afterEach(async () => {
    await database.close();
  });

  /** Claims `key` at `at` and completes it as sent. */
  async function send(key: DeliveryKey, at: Date): Promise<void> {
    expect(await deliveries.claim(key, `send-${at.getTime()}`, LEASE_MS, at)).not.toBeNull();
    expect(await deliveries.complete(key, `send-${at.getTime()}`, { state: 'sent', externalId: 'ext-1' }, at)).toBe(true);
  }

  it('creates queued rows with no attempts', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);

    expect(await deliveries.get(X)).toEqual({
      ...X,
      state: 'queued',
      attempts: 0,
      claimToken: null,
      claimedAt: null,
      externalId: null,
      externalUrl: null,
      lastError: null,
      createdAt: T0,
      updatedAt: T0,
    });
  });

  it('changes nothing when the same fan-out runs again', async () => {
    await deliveries.ensure(
      [
        { ...X, state: 'queued' },
        { ...EMAIL, state: 'skipped', lastError: 'unsubscribed' },
      ],
      T0,
    );
    const before = await deliveries.listForArticle(ARTICLE);

    await deliveries.ensure(
      [
        { ...X, state: 'queued' },
        { ...EMAIL, state: 'skipped', lastError: 'unsubscribed' },
      ],
      minutesAfter(T0, 5),
    );

    expect(await deliveries.listForArticle(ARTICLE)).toEqual(before);
  });

  it('promotes scheduled rows to the new state when the article goes out', async () => {
    await deliveries.ensure(
      [
        { ...X, state: 'scheduled' },
        { ...FACEBOOK, state: 'scheduled' },
      ],
      T0,
    );

    await deliveries.ensure(
      [
        { ...X, state: 'queued' },
        { ...FACEBOOK, state: 'skipped', lastError: 'channel off' },
      ],
      minutesAfter(T0, 1),
    );

    expect(await deliveries.get(X)).toMatchObject({ state: 'queued', updatedAt: minutesAfter(T0, 1), createdAt: T0 });
    expect(await deliveries.get(FACEBOOK)).toMatchObject({ state: 'skipped', lastError: 'channel off' });
  });

  it('never resets a sent row, however often the fan-out runs', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await send(X, minutesAfter(T0, 1));

    await deliveries.ensure([{ ...X, state: 'queued' }], minutesAfter(T0, 2));
    await deliveries.ensure([{ ...X, state: 'scheduled' }], minutesAfter(T0, 3));

    expect(await deliveries.get(X)).toMatchObject({ state: 'sent', attempts: 1, externalId: 'ext-1' });
    expect(await deliveries.claim(X, 'again', LEASE_MS, minutesAfter(T0, 60))).toBeNull();
  });

  it('refuses ledger rows for an article it does not have', async () => {
    await expect(deliveries.ensure([{ articleId: 'no-such-article', channel: 'x', target: '', state: 'queued' }], T0)).rejects.toThrow();
  });

  it('writes 1,200 rows in chunks of at most 500 per statement', async () => {
    let inserts = 0;
    const countInserts: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === 'InsertQueryNode') inserts += 1;
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    };
    const observed = new DeliveryStore({ ...database, db: database.db.withPlugin(countInserts) });
    const targets = Array.from({ length: 1200 }, (_, i) => `reader-${String(i).padStart(4, '0')}@example.org`);
    // One row already scheduled, right at the first chunk boundary.
    await deliveries.ensure([{ articleId: ARTICLE, channel: 'email', target: targets[500] ?? '', state: 'scheduled' }], T0);

    await observed.ensure(
      targets.map((target) => ({ articleId: ARTICLE, channel: 'email', target, state: 'queued' as const })),
      minutesAfter(T0, 1),
    );

    expect(inserts).toBe(3);
    expect(await deliveries.countByState(ARTICLE, 'email')).toEqual({ queued: 1200 });
    const rows = await deliveries.listForArticle(ARTICLE);
    expect(rows.map((row) => row.target)).toEqual(targets);
  });

  it('lets exactly one of two concurrent claims win', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);

    const [first, second] = await Promise.all([
      deliveries.claim(X, 'token-a', LEASE_MS, minutesAfter(T0, 1)),
      deliveries.claim(X, 'token-b', LEASE_MS, minutesAfter(T0, 1)),
    ]);

    const winners = [first, second].filter((claimed) => claimed !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ state: 'claimed', attempts: 1, claimedAt: minutesAfter(T0, 1) });
    expect(await deliveries.get(X)).toMatchObject({ state: 'claimed', attempts: 1, claimToken: winners[0]?.claimToken });
  });

  it('refuses a second claim while the first claim’s lease lasts', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await deliveries.claim(X, 'first', LEASE_MS, T0);

    expect(await deliveries.claim(X, 'second', LEASE_MS, new Date(T0.getTime() + LEASE_MS))).toBeNull();
    expect(await deliveries.get(X)).toMatchObject({ claimToken: 'first', attempts: 1 });
  });

  it('hands an abandoned claim to the next claimer once the lease has expired', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await deliveries.claim(X, 'crashed', LEASE_MS, T0);
    const later = new Date(T0.getTime() + LEASE_MS + 1);

    const claimed = await deliveries.claim(X, 'rescuer', LEASE_MS, later);

    expect(claimed).toMatchObject({ state: 'claimed', claimToken: 'rescuer', attempts: 2, claimedAt: later });
    // The crashed claimer's late answer must not overwrite the rescuer's claim.
    expect(await deliveries.complete(X, 'crashed', { state: 'sent', externalId: 'late' }, later)).toBe(false);
  });

  it('does not claim rows that are not queued or retrying', async () => {
    await deliveries.ensure(
      [
        { ...X, state: 'scheduled' },
        { ...FACEBOOK, state: 'skipped' },
      ],
      T0,
    );

    expect(await deliveries.claim(X, 't', LEASE_MS, T0)).toBeNull();
    expect(await deliveries.claim(FACEBOOK, 't', LEASE_MS, T0)).toBeNull();
    expect(await deliveries.claim(EMAIL, 't', LEASE_MS, T0)).toBeNull();
  });

  it('completes only with the claim’s own token, and only once', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await deliveries.claim(X, 'mine', LEASE_MS, T0);
    const done = minutesAfter(T0, 1);

    expect(await deliveries.complete(X, 'not-mine', { state: 'sent', externalId: 'nope' }, done)).toBe(false);
    expect(await deliveries.complete(X, 'mine', { state: 'sent', externalId: '1789', externalUrl: 'https://x.example/s/1789' }, done)).toBe(
      true,
    );
    expect(await deliveries.complete(X, 'mine', { state: 'failed', error: 'late' }, done)).toBe(false);

    expect(await deliveries.get(X)).toMatchObject({
      state: 'sent',
      externalId: '1789',
      externalUrl: 'https://x.example/s/1789',
      lastError: null,
      claimToken: 'mine',
      updatedAt: done,
    });
  });

  it('makes a retrying row claimable again, keeping its error and attempts', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await deliveries.claim(X, 'one', LEASE_MS, T0);
    await deliveries.complete(X, 'one', { state: 'retry', error: '503 from the platform' }, T0);

    expect(await deliveries.get(X)).toMatchObject({ state: 'retry', lastError: '503 from the platform' });
    expect(await deliveries.claim(X, 'two', LEASE_MS, minutesAfter(T0, 1))).toMatchObject({ attempts: 2 });
  });

  it('refunds the attempt of a claim that ended in a rate limit', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await deliveries.claim(X, 'first', LEASE_MS, T0);
    await deliveries.complete(X, 'first', { state: 'retry', error: '429', refundAttempt: true }, T0);
    expect(await deliveries.get(X)).toMatchObject({ state: 'retry', attempts: 0, lastError: '429' });
    await deliveries.claim(X, 'second', LEASE_MS, T0);
    await deliveries.complete(X, 'second', { state: 'retry', error: '503' }, T0);
    expect(await deliveries.get(X)).toMatchObject({ state: 'retry', attempts: 1 });
  });

  it('cancels what has not left and leaves sent and claimed rows alone', async () => {
    const SCHEDULED: DeliveryKey = { articleId: ARTICLE, channel: 'instagram', target: '' };
    const RETRYING: DeliveryKey = { articleId: ARTICLE, channel: 'email', target: 'b@example.org' };
    const CLAIMED: DeliveryKey = { articleId: ARTICLE, channel: 'email', target: 'c@example.org' };
    await deliveries.ensure(
      [X, FACEBOOK, RETRYING, CLAIMED].map((key) => ({ ...key, state: 'queued' as const })),
      T0,
    );
    await deliveries.ensure([{ ...SCHEDULED, state: 'scheduled' }], T0);
    await send(X, T0);
    await deliveries.claim(RETRYING, 'r', LEASE_MS, T0);
    await deliveries.complete(RETRYING, 'r', { state: 'retry', error: 'timeout' }, T0);
    await deliveries.claim(CLAIMED, 'c', LEASE_MS, T0);

    expect(await deliveries.cancelPending(ARTICLE, minutesAfter(T0, 1))).toBe(3);

    expect((await deliveries.listForArticle(ARTICLE)).map((row) => [row.channel, row.target, row.state])).toEqual([
      ['email', 'b@example.org', 'cancelled'],
      ['email', 'c@example.org', 'claimed'],
      ['facebook', '', 'cancelled'],
      ['instagram', '', 'cancelled'],
      ['x', '', 'sent'],
    ]);
  });

  it('cancels only the named channel when one is given', async () => {
    await deliveries.ensure(
      [X, FACEBOOK, EMAIL].map((key) => ({ ...key, state: 'queued' as const })),
      T0,
    );

    expect(await deliveries.cancelPending(ARTICLE, T0, 'email')).toBe(1);

    expect(await deliveries.countByState(ARTICLE, 'email')).toEqual({ cancelled: 1 });
    expect(await deliveries.countByState(ARTICLE, 'x')).toEqual({ queued: 1 });
  });

  it('requeues failed rows so they can be claimed again', async () => {
    await deliveries.ensure(
      [X, FACEBOOK, EMAIL].map((key) => ({ ...key, state: 'queued' as const })),
      T0,
    );
    for (const key of [X, EMAIL]) {
      await deliveries.claim(key, 'fail', LEASE_MS, T0);
      await deliveries.complete(key, 'fail', { state: 'failed', error: 'gave up' }, T0);
    }
    await send(FACEBOOK, T0);

    expect(await deliveries.requeueFailed(ARTICLE, minutesAfter(T0, 1))).toEqual([EMAIL, X]);

    expect(await deliveries.get(X)).toMatchObject({ state: 'queued', claimToken: null, attempts: 1, lastError: 'gave up' });
    expect(await deliveries.get(FACEBOOK)).toMatchObject({ state: 'sent' });
    expect(await deliveries.claim(X, 'again', LEASE_MS, minutesAfter(T0, 2))).toMatchObject({ attempts: 2 });
  });

  it('requeues only the named channel when one is given', async () => {
    await deliveries.ensure(
      [X, EMAIL].map((key) => ({ ...key, state: 'queued' as const })),
      T0,
    );
    await deliveries.setState(X, 'failed', T0, 'gave up');
    await deliveries.setState(EMAIL, 'failed', T0, 'gave up');

    expect(await deliveries.requeueFailed(ARTICLE, T0, 'x')).toEqual([X]);
    expect(await deliveries.get(EMAIL)).toMatchObject({ state: 'failed' });
  });

  it('sets a state unconditionally for administrative transitions', async () => {
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await send(X, T0);

    expect(await deliveries.setState(X, 'manual_action', minutesAfter(T0, 1), 'delete the post by hand')).toBe(true);
    expect(await deliveries.get(X)).toMatchObject({ state: 'manual_action', lastError: 'delete the post by hand' });

    expect(await deliveries.setState(X, 'retracted', minutesAfter(T0, 2))).toBe(true);
    expect(await deliveries.get(X)).toMatchObject({ state: 'retracted', lastError: 'delete the post by hand' });

    expect(await deliveries.setState(FACEBOOK, 'sent', T0)).toBe(false);
  });

  it('counts an article’s rows on a channel by state', async () => {
    const readers = ['a', 'b', 'c', 'd'].map((name) => ({ articleId: ARTICLE, channel: 'email', target: `${name}@example.org` }));
    await deliveries.ensure(
      readers.map((key) => ({ ...key, state: 'queued' as const })),
      T0,
    );
    await deliveries.ensure([{ ...X, state: 'queued' }], T0);
    await deliveries.setState(readers[0] ?? EMAIL, 'sent', T0);
    await deliveries.setState(readers[1] ?? EMAIL, 'sent', T0);
    await deliveries.setState(readers[2] ?? EMAIL, 'failed', T0);

    expect(await deliveries.countByState(ARTICLE, 'email')).toEqual({ sent: 2, failed: 1, queued: 1 });
    expect(await deliveries.countByState(ARTICLE, 'nowhere')).toEqual({});
  });

  it('returns null for a row that does not exist', async () => {
    expect(await deliveries.get(X)).toBeNull();
    expect(await deliveries.listForArticle(ARTICLE)).toEqual([]);
  });

  describe('per-recipient rows (the newsletter)', () => {
    const PLAN: DeliveryKey = { articleId: ARTICLE, channel: 'email', target: '' };
    const readers = Array.from({ length: 30 }, (_, i) => `reader-${String(i).padStart(2, '0')}`);

    beforeEach(async () => {
      await deliveries.ensure(
        [PLAN, ...readers.map((target) => ({ articleId: ARTICLE, channel: 'email', target }))].map((key) => ({
          ...key,
          state: 'queued' as const,
        })),
        T0,
      );
    });

    it('claims many targets in one statement, each once, and takes over only expired claims', async () => {
      const first = await deliveries.claimTargets(ARTICLE, 'email', readers.slice(0, 10), 'batch-1', LEASE_MS, T0);
      expect(first.map((row) => row.target)).toEqual(readers.slice(0, 10));
      expect(first.every((row) => row.attempts === 1 && row.claimToken === 'batch-1')).toBe(true);
      // A second claimer gets nothing while the lease runs, and the rest once it ended.
      expect(await deliveries.claimTargets(ARTICLE, 'email', readers.slice(0, 10), 'batch-2', LEASE_MS, minutesAfter(T0, 0.5))).toEqual([]);
      await deliveries.complete({ articleId: ARTICLE, channel: 'email', target: readers[0]! }, 'batch-1', { state: 'sent' }, T0);
      const later = await deliveries.claimTargets(ARTICLE, 'email', readers.slice(0, 10), 'batch-2', LEASE_MS, minutesAfter(T0, 2));
      expect(later.map((row) => row.target)).toEqual(readers.slice(1, 10));
      expect(later.every((row) => row.attempts === 2)).toBe(true);
      expect(await deliveries.claimTargets(ARTICLE, 'email', [], 'batch-3', LEASE_MS, T0)).toEqual([]);
    });

    it('pages pending targets in order, skipping finished rows and the plan row', async () => {
      await deliveries.setState({ articleId: ARTICLE, channel: 'email', target: readers[3]! }, 'sent', T0);
      await deliveries.setState({ articleId: ARTICLE, channel: 'email', target: readers[4]! }, 'retry', T0);
      const pages: string[][] = [];
      let after = '';
      for (;;) {
        const page = await deliveries.pendingTargets(ARTICLE, 'email', after, 7);
        if (page.length === 0) break;
        pages.push(page);
        after = page[page.length - 1]!;
      }
      expect(pages.flat()).toEqual(readers.filter((target) => target !== readers[3]));
      expect(pages[0]).toHaveLength(7);
    });

    it('cancels one target across articles, and counts without the plan row', async () => {
      const other = 'another-article';
      await new ArticleStore(database).insert(articleRecord(other));
      await deliveries.ensure([{ articleId: other, channel: 'email', target: readers[0]!, state: 'queued' }], T0);
      await deliveries.setState({ articleId: ARTICLE, channel: 'email', target: readers[1]! }, 'sent', T0);
      expect(await deliveries.cancelPendingForTarget('email', readers[0]!, T0)).toBe(2);
      expect(await deliveries.cancelPendingForTarget('email', readers[1]!, T0)).toBe(0); // already sent
      expect(await deliveries.countByState(ARTICLE, 'email', { targetsOnly: true })).toEqual({ queued: 28, sent: 1, cancelled: 1 });
      expect(await deliveries.countByState(ARTICLE, 'email')).toEqual({ queued: 29, sent: 1, cancelled: 1 });
      expect((await deliveries.listForArticle(ARTICLE, { accountOnly: true })).map((row) => row.target)).toEqual(['']);
    });
  });
});
