/**
 * SubscriberImporter (the `subscribers import` command's writer) against real SQLite and
 * PostgreSQL. Nothing faked; time is passed in. SubscriberStore reads back what it wrote.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubscriberImporter } from '../../../../src/channels/newsletter/subscriber-import.js';
import type { Frequency, SubscriptionInput } from '../../../../src/domain/subscriber.js';
import type { Database } from '../../../../src/store/database.js';
import { CONFIRMATION_THROTTLE_MS, SubscriberStore } from '../../../../src/store/subscribers.js';
import { databaseTargets } from '../../../helpers/database.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;

function input(email: string, overrides: Partial<SubscriptionInput> = {}): SubscriptionInput {
  return { email, frequency: 'immediate', categories: [], name: null, ...overrides };
}

describe.each(databaseTargets())('SubscriberImporter on $name', (target) => {
  let database: Database;
  let store: SubscriberStore;
  let importer: SubscriberImporter;

  beforeEach(async () => {
    database = await target.open();
    store = new SubscriberStore(database);
    importer = new SubscriberImporter(database);
  });

  afterEach(async () => {
    await database.close();
  });

  /** Subscribes and confirms `email`. */
  async function confirmed(email: string, overrides: Partial<SubscriptionInput> = {}) {
    const { subscriber } = await store.subscribe(input(email, overrides), { now: T0 });
    expect(await store.confirm(subscriber.id, T0)).toBe('confirmed');
    return subscriber.id;
  }

  describe('importMany', () => {
    const rows = [
      input('a@example.org', { frequency: 'daily', categories: ['sport'], name: 'A' }),
      input('b@example.org'),
      input('c@example.org', { frequency: 'weekly' }),
    ];

    it('creates confirmed subscribers with an import-confirmed consent record', async () => {
      const result = await importer.importMany(rows, { confirmed: true, now: T0 });

      expect(result).toEqual({ created: 3, updated: 0, unchanged: 0, pending: [] });
      expect(await store.getByEmail('a@example.org')).toMatchObject({
        state: 'confirmed',
        frequency: 'daily',
        categories: ['sport'],
        name: 'A',
        consentSource: 'import-confirmed',
        confirmedAt: T0,
        consentAt: T0,
      });
    });

    it('creates pending subscribers and returns them for confirmation', async () => {
      const result = await importer.importMany(rows, { confirmed: false, now: T0 });

      expect(result).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
      expect(result.pending.map((s) => s.email).sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
      expect(result.pending.every((s) => s.state === 'pending' && s.consentSource === 'import' && s.consentAt === null)).toBe(true);
    });

    it('changes nothing and mails nobody when the same rows are imported again minutes later', async () => {
      const first = await importer.importMany(rows, { confirmed: false, now: T0 });
      for (const subscriber of first.pending) await store.markConfirmationSent(subscriber.id, T0);
      const before = await collect(store.pages());

      const again = await importer.importMany(rows, { confirmed: false, now: later(5 * MINUTE) });

      expect(again).toEqual({ created: 0, updated: 0, unchanged: 3, pending: [] });
      expect(await collect(store.pages())).toEqual(before);
    });

    it('asks again for confirmation of still-pending rows once the throttle has passed', async () => {
      const first = await importer.importMany(rows, { confirmed: false, now: T0 });
      for (const subscriber of first.pending) await store.markConfirmationSent(subscriber.id, T0);

      const again = await importer.importMany(rows, { confirmed: false, now: later(CONFIRMATION_THROTTLE_MS) });

      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
      expect(again.pending).toHaveLength(3);
      expect(again.pending[0]?.requestedAt).toEqual(later(CONFIRMATION_THROTTLE_MS));
    });

    it('is idempotent for confirmed imports', async () => {
      await importer.importMany(rows, { confirmed: true, now: T0 });
      const before = await collect(store.pages());

      expect(await importer.importMany(rows, { confirmed: true, now: later(MINUTE) })).toEqual({
        created: 0,
        updated: 0,
        unchanged: 3,
        pending: [],
      });
      expect(await collect(store.pages())).toEqual(before);
    });

    it('takes preferences from the file and confirms pending addresses with --confirmed', async () => {
      await importer.importMany(rows, { confirmed: false, now: T0 });
      const changed = [input('a@example.org', { frequency: 'weekly', categories: ['arts', 'sport'], name: null }), rows[1]!, rows[2]!];

      const result = await importer.importMany(changed, { confirmed: true, now: later(MINUTE) });

      expect(result).toEqual({ created: 0, updated: 3, unchanged: 0, pending: [] });
      expect(await store.getByEmail('a@example.org')).toMatchObject({
        state: 'confirmed',
        frequency: 'weekly',
        categories: ['arts', 'sport'],
        name: null,
        consentSource: 'import-confirmed',
        confirmedAt: later(MINUTE),
      });
    });

    it('never resurrects unsubscribed or bounced addresses', async () => {
      await importer.importMany(rows, { confirmed: true, now: T0 });
      const a = (await store.getByEmail('a@example.org'))!;
      const b = (await store.getByEmail('b@example.org'))!;
      await store.unsubscribe(a.id, T0);
      await store.markBounced(b.id, '550', T0);

      for (const confirmed of [true, false]) {
        const result = await importer.importMany(rows, { confirmed, now: later(CONFIRMATION_THROTTLE_MS * 2) });
        expect(result.pending).toEqual([]);
      }

      expect((await store.get(a.id))?.state).toBe('unsubscribed');
      expect((await store.get(b.id))?.state).toBe('bounced');
    });

    it('leaves confirmed subscribers confirmed when imported without --confirmed', async () => {
      const id = await confirmed('a@example.org', { frequency: 'daily', categories: ['sport'], name: 'A' });

      const result = await importer.importMany([rows[0]!], { confirmed: false, now: later(MINUTE) });

      expect(result).toEqual({ created: 0, updated: 0, unchanged: 1, pending: [] });
      expect((await store.get(id))?.state).toBe('confirmed');
    });

    it('counts an address given twice once, the first row winning', async () => {
      const result = await importer.importMany(
        [input('a@example.org', { frequency: 'daily' }), input('a@example.org', { frequency: 'weekly' })],
        {
          confirmed: true,
          now: T0,
        },
      );

      expect(result.created).toBe(1);
      expect((await store.getByEmail('a@example.org'))?.frequency).toBe<Frequency>('daily');
    });
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
