/**
 * SubscriberImporter (the `subscribers import` command's writer) against real SQLite and
 * PostgreSQL. Nothing faked; time is passed in. SubscriberStore reads back what it wrote.
 */
import { describe, expect, it } from 'vitest';
import type { Frequency } from '../../../../src/domain/subscriber.js';
import { CONFIRMATION_THROTTLE_MS } from '../../../../src/store/subscribers.js';
import { databaseTargets } from '../../../helpers/database.js';
import { input, later, MINUTE, T0, useSubscriberKit } from '../../../helpers/subscribers.js';

describe.each(databaseTargets())('SubscriberImporter on $name', (target) => {
  const kit = useSubscriberKit(target);
  const { confirmed } = kit;

  describe('importMany', () => {
    const rows = [
      input('a@example.org', { frequency: 'daily', categories: ['sport'], name: 'A' }),
      input('b@example.org'),
      input('c@example.org', { frequency: 'weekly' }),
    ];

    it('creates confirmed subscribers with an import-confirmed consent record', async () => {
      const result = await kit.importer.importMany(rows, { confirmed: true, now: T0 });

      expect(result).toEqual({ created: 3, updated: 0, unchanged: 0, pending: [] });
      expect(await kit.store.getByEmail('a@example.org')).toMatchObject({
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
      const result = await kit.importer.importMany(rows, { confirmed: false, now: T0 });

      expect(result).toMatchObject({ created: 3, updated: 0, unchanged: 0 });
      expect(result.pending.map((s) => s.email).sort()).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
      expect(result.pending.every((s) => s.state === 'pending' && s.consentSource === 'import' && s.consentAt === null)).toBe(true);
    });

    it('changes nothing and mails nobody when the same rows are imported again minutes later', async () => {
      const first = await kit.importer.importMany(rows, { confirmed: false, now: T0 });
      for (const subscriber of first.pending) await kit.store.markConfirmationSent(subscriber.id, T0);
      const before = await collect(kit.store.pages());

      const again = await kit.importer.importMany(rows, { confirmed: false, now: later(5 * MINUTE) });

      expect(again).toEqual({ created: 0, updated: 0, unchanged: 3, pending: [] });
      expect(await collect(kit.store.pages())).toEqual(before);
    });

    it('asks again for confirmation of still-pending rows once the throttle has passed', async () => {
      const first = await kit.importer.importMany(rows, { confirmed: false, now: T0 });
      for (const subscriber of first.pending) await kit.store.markConfirmationSent(subscriber.id, T0);

      const again = await kit.importer.importMany(rows, { confirmed: false, now: later(CONFIRMATION_THROTTLE_MS) });

      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
      expect(again.pending).toHaveLength(3);
      expect(again.pending[0]?.requestedAt).toEqual(later(CONFIRMATION_THROTTLE_MS));
    });

    it('is idempotent for confirmed imports', async () => {
      await kit.importer.importMany(rows, { confirmed: true, now: T0 });
      const before = await collect(kit.store.pages());

      expect(await kit.importer.importMany(rows, { confirmed: true, now: later(MINUTE) })).toEqual({
        created: 0,
        updated: 0,
        unchanged: 3,
        pending: [],
      });
      expect(await collect(kit.store.pages())).toEqual(before);
    });

    it('takes preferences from the file and confirms pending addresses with --confirmed', async () => {
      await kit.importer.importMany(rows, { confirmed: false, now: T0 });
      const changed = [input('a@example.org', { frequency: 'weekly', categories: ['arts', 'sport'], name: null }), rows[1]!, rows[2]!];

      const result = await kit.importer.importMany(changed, { confirmed: true, now: later(MINUTE) });

      expect(result).toEqual({ created: 0, updated: 3, unchanged: 0, pending: [] });
      expect(await kit.store.getByEmail('a@example.org')).toMatchObject({
        state: 'confirmed',
        frequency: 'weekly',
        categories: ['arts', 'sport'],
        name: null,
        consentSource: 'import-confirmed',
        confirmedAt: later(MINUTE),
      });
    });

    it('never resurrects unsubscribed or bounced addresses', async () => {
      await kit.importer.importMany(rows, { confirmed: true, now: T0 });
      const a = (await kit.store.getByEmail('a@example.org'))!;
      const b = (await kit.store.getByEmail('b@example.org'))!;
      await kit.store.unsubscribe(a.id, T0);
      await kit.store.markBounced(b.id, '550', T0);

      for (const confirmed of [true, false]) {
        const result = await kit.importer.importMany(rows, { confirmed, now: later(CONFIRMATION_THROTTLE_MS * 2) });
        expect(result.pending).toEqual([]);
      }

      expect((await kit.store.get(a.id))?.state).toBe('unsubscribed');
      expect((await kit.store.get(b.id))?.state).toBe('bounced');
    });

    it('leaves confirmed subscribers confirmed when imported without --confirmed', async () => {
      const id = await confirmed('a@example.org', { frequency: 'daily', categories: ['sport'], name: 'A' });

      const result = await kit.importer.importMany([rows[0]!], { confirmed: false, now: later(MINUTE) });

      expect(result).toEqual({ created: 0, updated: 0, unchanged: 1, pending: [] });
      expect((await kit.store.get(id))?.state).toBe('confirmed');
    });

    it('counts an address given twice once, the first row winning', async () => {
      const result = await kit.importer.importMany(
        [input('a@example.org', { frequency: 'daily' }), input('a@example.org', { frequency: 'weekly' })],
        {
          confirmed: true,
          now: T0,
        },
      );

      expect(result.created).toBe(1);
      expect((await kit.store.getByEmail('a@example.org'))?.frequency).toBe<Frequency>('daily');
    });
  });
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
