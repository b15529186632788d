/**
 * SubscriberStore against real SQLite and PostgreSQL. Nothing faked; time is passed in.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PENDING_TTL_MS, type Subscriber } from '../../../src/domain/subscriber.js';
import { CONFIRMATION_THROTTLE_MS } from '../../../src/store/subscribers.js';
import { databaseTargets } from '../../helpers/database.js';
import { input, later, MINUTE, T0, useSubscriberKit } from '../../helpers/subscribers.js';

describe.each(databaseTargets())('SubscriberStore on $name', (target) => {
  const kit = useSubscriberKit(target);
  const { confirmed } = kit;

  describe('subscribe', () => {
    it('creates a pending subscriber with a form consent record and asks for a confirmation', async () => {
      const result = await kit.store.subscribe(input('ann@example.org', { frequency: 'weekly', categories: ['sport'], name: 'Ann' }), {
        now: T0,
        ip: '192.0.2.7',
      });

      expect(result.sendConfirmation).toBe(true);
      expect(result.subscriber).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: 'ann@example.org',
        name: 'Ann',
        state: 'pending',
        frequency: 'weekly',
        categories: ['sport'],
        createdAt: T0,
        updatedAt: T0,
        requestedAt: T0,
        confirmedAt: null,
        unsubscribedAt: null,
        bouncedAt: null,
        bounceReason: null,
        consentAt: null,
        consentIp: '192.0.2.7',
        consentSource: 'form',
        confirmationSentAt: null,
        lastDigestAt: null,
      });
      expect(await kit.store.get(result.subscriber.id)).toEqual(result.subscriber);
    });

    it('records no IP when none is given', async () => {
      const { subscriber } = await kit.store.subscribe(input('ann@example.org'), { now: T0 });
      expect(subscriber.consentIp).toBeNull();
    });

    it('gives a pending subscriber the new preferences, and a new request time after ten minutes', async () => {
      const first = await kit.store.subscribe(input('ann@example.org'), { now: T0 });
      const second = await kit.store.subscribe(input('ann@example.org', { frequency: 'daily', categories: ['arts'], name: 'Ann' }), {
        now: later(MINUTE),
      });

      expect(second.subscriber).toMatchObject({
        id: first.subscriber.id,
        state: 'pending',
        frequency: 'daily',
        categories: ['arts'],
        name: 'Ann',
      });
      // Within ten minutes of the first request: the confirmation queued for it still counts.
      expect(second.subscriber.requestedAt).toEqual(T0);
      expect(second.sendConfirmation).toBe(false);
      const third = await kit.store.subscribe(input('ann@example.org'), { now: later(CONFIRMATION_THROTTLE_MS) });
      expect(third.subscriber.requestedAt).toEqual(later(CONFIRMATION_THROTTLE_MS));
      expect(third.sendConfirmation).toBe(true);
    });

    it('sends no second confirmation within ten minutes of the last one', async () => {
      const { subscriber } = await kit.store.subscribe(input('ann@example.org'), { now: T0 });
      await kit.store.markConfirmationSent(subscriber.id, T0);

      expect((await kit.store.subscribe(input('ann@example.org'), { now: later(CONFIRMATION_THROTTLE_MS - 1) })).sendConfirmation).toBe(
        false,
      );
      expect((await kit.store.subscribe(input('ann@example.org'), { now: later(CONFIRMATION_THROTTLE_MS) })).sendConfirmation).toBe(true);
    });

    it('changes nothing for a confirmed subscriber and sends nothing', async () => {
      const id = await confirmed('ann@example.org', { frequency: 'weekly' });
      const before = await kit.store.get(id);

      const result = await kit.store.subscribe(input('ann@example.org', { frequency: 'daily', name: 'Mallory' }), {
        now: later(MINUTE),
        ip: '203.0.113.9',
      });

      expect(result).toEqual({ subscriber: before, sendConfirmation: false });
      expect(await kit.store.get(id)).toEqual(before);
    });

    // A bounced (or complained) address never comes back through the form (SPEC §4 Suppression):
    // tests/integration/channels/newsletter/bounces/suppression.test.ts shows that.
    it.each(['unsubscribed'] as const)('makes a %s subscriber pending again with the new preferences', async (state) => {
      const id = await confirmed('ann@example.org');
      if (state === 'unsubscribed') await kit.store.unsubscribe(id, later(MINUTE));
      else await kit.store.markBounced(id, '550 no such user', later(MINUTE));

      const result = await kit.store.subscribe(input('ann@example.org', { frequency: 'weekly' }), {
        now: later(2 * MINUTE),
        ip: '192.0.2.1',
      });

      expect(result.sendConfirmation).toBe(true);
      expect(result.subscriber).toMatchObject({
        id,
        state: 'pending',
        frequency: 'weekly',
        requestedAt: later(2 * MINUTE),
        confirmedAt: null,
        unsubscribedAt: null,
        bouncedAt: null,
        bounceReason: null,
        consentAt: null,
        consentIp: '192.0.2.1',
      });
    });

    it('throttles the confirmation of a returning subscriber too', async () => {
      const { subscriber } = await kit.store.subscribe(input('ann@example.org'), { now: T0 });
      await kit.store.markConfirmationSent(subscriber.id, T0);
      await kit.store.unsubscribe(subscriber.id, later(MINUTE));

      expect((await kit.store.subscribe(input('ann@example.org'), { now: later(2 * MINUTE) })).sendConfirmation).toBe(false);
    });

    it('creates one subscriber when two requests for a new address race', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => kit.store.subscribe(input('race@example.org'), { now: T0 })));

      expect(new Set(results.map((result) => result.subscriber.id)).size).toBe(1);
      expect(await kit.store.countByState()).toEqual({ pending: 1, confirmed: 0, unsubscribed: 0, bounced: 0, complained: 0 });
    });
  });

  describe('confirm', () => {
    it('confirms a pending subscriber and records the consent time', async () => {
      const { subscriber } = await kit.store.subscribe(input('ann@example.org'), { now: T0 });

      expect(await kit.store.confirm(subscriber.id, later(MINUTE))).toBe('confirmed');
      expect(await kit.store.get(subscriber.id)).toMatchObject({
        state: 'confirmed',
        confirmedAt: later(MINUTE),
        consentAt: later(MINUTE),
      });
    });

    it('answers already for a confirmed subscriber and keeps the first confirmation', async () => {
      const id = await confirmed('ann@example.org');

      expect(await kit.store.confirm(id, later(MINUTE))).toBe('already');
      expect((await kit.store.get(id))?.confirmedAt).toEqual(T0);
    });

    it('confirms up to seven days after the request and refuses after', async () => {
      const { subscriber: onTime } = await kit.store.subscribe(input('on-time@example.org'), { now: T0 });
      const { subscriber: late } = await kit.store.subscribe(input('late@example.org'), { now: T0 });

      expect(await kit.store.confirm(onTime.id, later(PENDING_TTL_MS))).toBe('confirmed');
      expect(await kit.store.confirm(late.id, later(PENDING_TTL_MS + 1))).toBe('expired');
      expect((await kit.store.get(late.id))?.state).toBe('pending');
    });

    it('counts the seven days from the latest request', async () => {
      const { subscriber } = await kit.store.subscribe(input('ann@example.org'), { now: T0 });
      await kit.store.subscribe(input('ann@example.org'), { now: later(PENDING_TTL_MS) });

      expect(await kit.store.confirm(subscriber.id, later(PENDING_TTL_MS + MINUTE))).toBe('confirmed');
    });

    it('answers missing for an unknown id and not_pending for unsubscribed or bounced', async () => {
      const unsubscribed = await confirmed('gone@example.org');
      await kit.store.unsubscribe(unsubscribed, T0);
      const bounced = await confirmed('bounced@example.org');
      await kit.store.markBounced(bounced, '550', T0);

      expect(await kit.store.confirm('00000000-0000-0000-0000-000000000000', T0)).toBe('missing');
      expect(await kit.store.confirm(unsubscribed, T0)).toBe('not_pending');
      expect(await kit.store.confirm(bounced, T0)).toBe('not_pending');
      expect((await kit.store.get(unsubscribed))?.state).toBe('unsubscribed');
    });
  });

  describe('unsubscribe and bounce', () => {
    it('unsubscribes from any state, keeping the first unsubscribe time', async () => {
      const id = await confirmed('ann@example.org');
      const { subscriber: pending } = await kit.store.subscribe(input('pending@example.org'), { now: T0 });

      expect(await kit.store.unsubscribe(id, later(MINUTE))).toMatchObject({ state: 'unsubscribed', unsubscribedAt: later(MINUTE) });
      expect(await kit.store.unsubscribe(id, later(2 * MINUTE))).toMatchObject({ state: 'unsubscribed', unsubscribedAt: later(MINUTE) });
      expect((await kit.store.unsubscribe(pending.id, T0))?.state).toBe('unsubscribed');
      expect(await kit.store.unsubscribe('00000000-0000-0000-0000-000000000000', T0)).toBeNull();
    });

    it('marks a subscriber bounced with the reason, but leaves an unsubscribed one alone', async () => {
      const id = await confirmed('ann@example.org');
      const gone = await confirmed('gone@example.org');
      await kit.store.unsubscribe(gone, T0);

      await kit.store.markBounced(id, '550 5.1.1 user unknown', later(MINUTE));
      await kit.store.markBounced(gone, '550 5.1.1 user unknown', later(MINUTE));

      expect(await kit.store.get(id)).toMatchObject({ state: 'bounced', bouncedAt: later(MINUTE), bounceReason: '550 5.1.1 user unknown' });
      expect(await kit.store.get(gone)).toMatchObject({ state: 'unsubscribed', bouncedAt: null });
    });
  });

  describe('reads', () => {
    it('finds subscribers by id, by address and many ids at once, across chunks', async () => {
      const ids = (
        await kit.importer.importMany(
          Array.from({ length: 1200 }, (_, i) => input(`reader${i}@example.org`)),
          { confirmed: true, now: T0 },
        )
      ).created;
      expect(ids).toBe(1200);
      const all = (await collect(kit.store.pages(5000))).flat();
      const wanted = [...all.map((s) => s.id), 'no-such-id', all[0]!.id];

      const found = await kit.store.getMany(wanted);

      expect(found.map((s) => s.id)).toEqual(all.map((s) => s.id));
      expect(await kit.store.getByEmail('reader7@example.org')).toMatchObject({ email: 'reader7@example.org', state: 'confirmed' });
      expect(await kit.store.getByEmail('nobody@example.org')).toBeNull();
      expect(await kit.store.get('no-such-id')).toBeNull();
      expect(await kit.store.getMany([])).toEqual([]);
    });

    it('pages through every confirmed subscriber of a frequency, none missed or repeated', async () => {
      const wanted = Array.from({ length: 2500 }, (_, i) => input(`daily${i}@example.org`, { frequency: 'daily' }));
      await kit.importer.importMany(wanted, { confirmed: true, now: T0 });
      await kit.importer.importMany([input('weekly@example.org', { frequency: 'weekly' })], { confirmed: true, now: T0 });
      await kit.importer.importMany([input('pending@example.org', { frequency: 'daily' })], { confirmed: false, now: T0 });
      const gone = await kit.store.getByEmail('daily42@example.org');
      await kit.store.unsubscribe(gone!.id, T0);
      const bounced = await kit.store.getByEmail('daily43@example.org');
      await kit.store.markBounced(bounced!.id, '550', T0);

      const seen: string[] = [];
      let afterId: string | null = null;
      let pages = 0;
      for (;;) {
        const page = await kit.store.pageRecipients('daily', afterId, 1000);
        if (page.length === 0) break;
        pages++;
        expect(page.every((s) => s.state === 'confirmed' && s.frequency === 'daily')).toBe(true);
        seen.push(...page.map((s) => s.email));
        afterId = page[page.length - 1]!.id;
      }

      expect(pages).toBe(3);
      expect(seen).toHaveLength(2498);
      expect(new Set(seen).size).toBe(2498);
      expect(seen).not.toContain('daily42@example.org');
      expect(seen).not.toContain('daily43@example.org');
      expect(seen).not.toContain('pending@example.org');
    });

    it('pages the same recipients with only their ids and categories, for planning', async () => {
      await kit.importer.importMany(
        Array.from({ length: 30 }, (_, i) => input(`plan${i}@example.org`, { categories: i % 2 ? ['sport'] : [] })),
        { confirmed: true, now: T0 },
      );
      await kit.importer.importMany([input('waiting@example.org')], { confirmed: false, now: T0 });
      const full: Subscriber[] = [];
      const lean: Pick<Subscriber, 'id' | 'categories'>[] = [];
      for (let after: string | null = null; ;) {
        const page = await kit.store.pageRecipients('immediate', after, 7);
        if (page.length === 0) break;
        full.push(...page);
        after = page[page.length - 1]!.id;
      }
      for (let after: string | null = null; ;) {
        const page = await kit.store.pageRecipientCategories('immediate', after, 7);
        if (page.length === 0) break;
        lean.push(...page);
        after = page[page.length - 1]!.id;
      }
      expect(lean).toHaveLength(30);
      expect(lean).toEqual(full.map(({ id, categories }) => ({ id, categories })));
    });

    it('pages through every subscriber in id order, whatever the state', async () => {
      await kit.importer.importMany(
        Array.from({ length: 25 }, (_, i) => input(`r${i}@example.org`)),
        { confirmed: false, now: T0 },
      );
      await kit.importer.importMany([input('c@example.org')], { confirmed: true, now: T0 });

      const pages = await collect(kit.store.pages(10));

      expect(pages.map((page) => page.length)).toEqual([10, 10, 6]);
      const ids = pages.flat().map((s) => s.id);
      expect(ids).toEqual([...ids].sort());
      expect(new Set(ids).size).toBe(26);
    });

    it('uses the (state, frequency, id) index for recipient pages', async () => {
      await kit.importer.importMany(
        Array.from({ length: 50 }, (_, i) => input(`r${i}@example.org`)),
        { confirmed: true, now: T0 },
      );
      const query = sql`select * from subscribers where state = 'confirmed' and frequency = 'daily' and id > 'a' order by id limit 10`;
      const plan =
        kit.database.dialect === 'sqlite'
          ? (await sql`explain query plan ${query}`.execute(kit.database.db)).rows
          : // A 50-row table is cheaper to scan: forbid that, so the plan shows whether the index can serve.
            await kit.database.db.transaction().execute(async (trx) => {
              await sql`set local enable_seqscan = off`.execute(trx);
              return (await sql`explain ${query}`.execute(trx)).rows;
            });

      const text = JSON.stringify(plan);
      expect(text).toContain('subscribers_state_frequency_id_idx');
      // The index returns rows in id order: no sort step.
      expect(text).not.toMatch(/TEMP B-TREE|Sort/);
    });

    it('counts subscribers by state', async () => {
      await confirmed('a@example.org');
      await confirmed('b@example.org');
      await kit.store.subscribe(input('c@example.org'), { now: T0 });
      await kit.store.unsubscribe((await kit.store.getByEmail('b@example.org'))!.id, T0);

      expect(await kit.store.countByState()).toEqual({ pending: 1, confirmed: 1, unsubscribed: 1, bounced: 0, complained: 0 });
    });

    it('records the last digest time', async () => {
      const id = await confirmed('ann@example.org');
      await kit.store.setLastDigestAt(id, later(MINUTE));
      expect((await kit.store.get(id))?.lastDigestAt).toEqual(later(MINUTE));
    });
  });

  it('deletes pending subscriptions older than seven days, and nothing else', async () => {
    await kit.store.subscribe(input('old@example.org'), { now: T0 });
    await kit.store.subscribe(input('recent@example.org'), { now: later(PENDING_TTL_MS) });
    await confirmed('confirmed@example.org');

    expect(await kit.store.deleteExpiredPending(later(PENDING_TTL_MS + 1))).toBe(1);
    expect(await kit.store.getByEmail('old@example.org')).toBeNull();
    expect(await kit.store.getByEmail('recent@example.org')).not.toBeNull();
    expect(await kit.store.getByEmail('confirmed@example.org')).not.toBeNull();
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
