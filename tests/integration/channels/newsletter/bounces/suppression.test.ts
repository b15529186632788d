/**
 * Suppression, consent records and erasure in the store, on SQLite and PostgreSQL: bounced and
 * complained addresses stay suppressed whatever the form or an import says; soft bounces
 * harden; every change lands in the consent record; `forget` erases the address and its
 * personal data but keeps a keyed hash, so no import adds it again while the form may.
 * Real: both databases, the importer, the erasure with its outbox; nothing is faked.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAddressHasher, Erasure } from '../../../../../src/channels/newsletter/erasure.js';
import { SubscriberImporter } from '../../../../../src/channels/newsletter/subscriber-import.js';
import { SOFT_BOUNCE_WINDOW_MS, type SubscriptionInput } from '../../../../../src/domain/subscriber.js';
import { ArticleStore } from '../../../../../src/store/articles.js';
import type { Database } from '../../../../../src/store/database.js';
import { DeliveryStore } from '../../../../../src/store/deliveries.js';
import { ERASED_ERROR, SubscriberStore } from '../../../../../src/store/subscribers.js';
import { databaseTargets } from '../../../../helpers/database.js';
import { articleRecord } from '../../../store/article-records.js';

const T0 = new Date('2026-03-01T08:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const DAY = 24 * 3600 * 1000;
const input = (email: string, extra: Partial<SubscriptionInput> = {}): SubscriptionInput => ({
  email,
  frequency: 'immediate',
  categories: [],
  name: null,
  ...extra,
});

describe.each(databaseTargets())('suppression and erasure on $name', (target) => {
  let database: Database;
  let store: SubscriberStore;
  let deliveries: DeliveryStore;
  let importer: SubscriberImporter;
  let erasure: Erasure;
  let outboxDir: string;
  const hashAddress = createAddressHasher('test-secret-key-0123456789abcdef-0123');

  beforeEach(async () => {
    database = await target.open();
    store = new SubscriberStore(database);
    deliveries = new DeliveryStore(database);
    importer = new SubscriberImporter(database, { hashAddress });
    outboxDir = await mkdtemp(path.join(tmpdir(), 'syndicate-erasure-'));
    erasure = new Erasure({ subscribers: store, hashAddress, outboxDir, logger: pino({ level: 'silent' }), now: () => later(DAY) });
  });
  afterEach(async () => {
    await database.close();
    await rm(outboxDir, { recursive: true, force: true });
  });

  async function confirmed(email: string): Promise<string> {
    const { subscriber } = await store.subscribe(input(email), { now: T0, ip: '192.0.2.7' });
    await store.confirm(subscriber.id, T0);
    return subscriber.id;
  }

  it.each(['bounced', 'complained'] as const)('leaves a %s address alone when the form asks for it again', async (state) => {
    const id = await confirmed('ann@example.org');
    if (state === 'bounced') await store.markBounced(id, '550 5.1.1 user unknown', later(1000));
    else await store.markComplained(id, later(1000), { source: 'arf' });
    const before = await store.get(id);

    const result = await store.subscribe(input('ann@example.org', { frequency: 'weekly' }), { now: later(2000), ip: '192.0.2.8' });

    expect(result).toEqual({ subscriber: before, sendConfirmation: false });
    expect(await store.get(id)).toEqual(before);
  });

  it('lets an unsubscribed address sign up again through the form (double opt-in)', async () => {
    const id = await confirmed('ann@example.org');
    await store.unsubscribe(id, later(1000));

    const result = await store.subscribe(input('ann@example.org'), { now: later(2000) });

    expect(result).toMatchObject({ sendConfirmation: true, subscriber: { id, state: 'pending' } });
  });

  it('never brings a bounced or complained address back by import, with or without --confirmed', async () => {
    const bounced = await confirmed('b@example.org');
    const complained = await confirmed('c@example.org');
    await store.markBounced(bounced, '550', later(1000));
    await store.markComplained(complained, later(1000), { source: 'mailgun' });

    for (const confirmedImport of [true, false]) {
      const result = await importer.importMany([input('b@example.org'), input('c@example.org')], {
        confirmed: confirmedImport,
        now: later(DAY),
      });
      expect(result).toMatchObject({ created: 0, pending: [] });
    }

    expect([(await store.get(bounced))?.state, (await store.get(complained))?.state]).toEqual(['bounced', 'complained']);
  });

  it('keeps a complained subscriber complained when they also unsubscribe, and a complaint outranks a bounce', async () => {
    const id = await confirmed('ann@example.org');
    await store.markBounced(id, '550', later(1000));
    expect(await store.markComplained(id, later(2000), { source: 'ses' })).toBe('changed');
    await store.unsubscribe(id, later(3000));
    await store.unsubscribe(id, later(4000));

    expect(await store.get(id)).toMatchObject({ state: 'complained', unsubscribedAt: later(2000) });
    expect(await store.markBounced(id, '550 again', later(5000))).toBe('unchanged');
    expect((await store.get(id))?.state).toBe('complained');
  });

  it('records a report once per dedupe key', async () => {
    const id = await confirmed('ann@example.org');
    const record = { source: 'mailgun' as const, dedupeKey: 'mailgun:evt-1:hard_bounce:x' };

    expect(await store.markBounced(id, '550', later(1000), record)).toBe('changed');
    expect(await store.markBounced(id, '550', later(2000), record)).toBe('duplicate');
    expect((await store.events(id)).filter((event) => event.kind === 'bounced')).toHaveLength(1);
    expect(await store.markBounced(randomUUID(), '550', later(2000))).toBe('missing');
  });

  it('makes the fifth soft bounce within 30 days a hard bounce, not counting older ones', async () => {
    const id = await confirmed('ann@example.org');
    const soft = (n: number, at: Date) =>
      store.recordSoftBounce(id, at, { source: 'dsn', dedupeKey: `soft:${id}:message-${n}`, evidence: { status: '4.2.2' } });

    // One long ago, then four within the window: not yet.
    await soft(0, later(0));
    for (let n = 1; n <= 4; n++) expect(await soft(n, later(SOFT_BOUNCE_WINDOW_MS + n * DAY))).toMatchObject({ count: n, hardened: false });
    expect(await soft(4, later(SOFT_BOUNCE_WINDOW_MS + 5 * DAY))).toMatchObject({ result: 'duplicate' });
    expect((await store.get(id))?.state).toBe('confirmed');

    expect(await soft(5, later(SOFT_BOUNCE_WINDOW_MS + 6 * DAY))).toEqual({ result: 'changed', count: 5, hardened: true });
    expect(await store.get(id)).toMatchObject({ state: 'bounced', bounceReason: '5 soft bounces within 30 days (last: 4.2.2)' });
  });

  it('keeps a consent record: how the address came, was confirmed, and what ended it, with the evidence', async () => {
    const { subscriber } = await store.subscribe(input('form@example.org'), { now: T0, ip: '192.0.2.7' });
    await store.confirm(subscriber.id, later(60_000));
    await store.markComplained(subscriber.id, later(DAY), {
      source: 'arf',
      channel: 'newsletter',
      evidence: { reportType: 'arf:abuse', eventId: 'fbl-1@feedback.example.net', articleId: 'harbour-bridge' },
    });
    await importer.forFile('march-list.csv').importMany([input('imported@example.org')], { confirmed: true, now: T0 });
    await importer.forFile('april-list.csv').importMany([input('pending@example.org')], { confirmed: false, now: T0 });
    const imported = (await store.getByEmail('imported@example.org'))!;
    const pending = (await store.getByEmail('pending@example.org'))!;

    expect(await store.events(subscriber.id)).toEqual([
      { kind: 'requested', at: T0, source: 'form', channel: null, evidence: { ip: '192.0.2.7' } },
      { kind: 'confirmed', at: later(60_000), source: 'link', channel: null, evidence: { note: expect.stringMatching(/double opt-in/) } },
      {
        kind: 'complained',
        at: later(DAY),
        source: 'arf',
        channel: 'newsletter',
        evidence: { reportType: 'arf:abuse', eventId: 'fbl-1@feedback.example.net', articleId: 'harbour-bridge' },
      },
    ]);
    expect(await store.events(imported.id)).toEqual([
      {
        kind: 'confirmed',
        at: T0,
        source: 'import',
        channel: null,
        evidence: { file: 'march-list.csv', note: expect.stringMatching(/--confirmed/) },
      },
    ]);
    expect(await store.events(pending.id)).toEqual([
      { kind: 'requested', at: T0, source: 'import', channel: null, evidence: { file: 'april-list.csv' } },
    ]);
  });

  it('forgets an address: subscriber and record gone, ledger rows kept without personal data, outbox emails deleted', async () => {
    const id = await confirmed('gone@example.org');
    const other = await confirmed('stays@example.org');
    const articles = new ArticleStore(database);
    for (const article of ['sent-one', 'failed-one', 'queued-one']) await articles.insert(articleRecord(article));
    await deliveries.ensure(
      ['sent-one', 'failed-one', 'queued-one'].flatMap((articleId) => [
        { articleId, channel: 'newsletter', target: id, state: 'queued' as const },
        { articleId, channel: 'newsletter', target: other, state: 'queued' as const },
      ]),
      T0,
    );
    await deliveries.setState({ articleId: 'sent-one', channel: 'newsletter', target: id }, 'sent', T0);
    await deliveries.setState(
      { articleId: 'failed-one', channel: 'newsletter', target: id },
      'failed',
      T0,
      'bounced: 550 <gone@example.org>: no such user',
    );
    await mkdir(path.join(outboxDir, 'mail'), { recursive: true });
    await writeFile(path.join(outboxDir, 'mail', `sent-one.${id}@news.test.eml`), 'To: gone@example.org\r\n\r\nHello');
    await writeFile(path.join(outboxDir, 'mail', `sent-one.${other}@news.test.eml`), 'To: stays@example.org\r\n\r\nHello');

    const result = await erasure.forget('Gone@Example.org');

    expect(result).toEqual({ email: 'gone@example.org', found: true, ledgerRows: 3, outboxFiles: 1 });
    expect(await store.getByEmail('gone@example.org')).toBeNull();
    expect(await store.events(id)).toEqual([]);
    expect((await deliveries.get({ articleId: 'sent-one', channel: 'newsletter', target: id }))?.state).toBe('sent');
    expect(await deliveries.get({ articleId: 'failed-one', channel: 'newsletter', target: id })).toMatchObject({
      state: 'failed',
      lastError: ERASED_ERROR,
    });
    expect((await deliveries.get({ articleId: 'queued-one', channel: 'newsletter', target: id }))?.state).toBe('cancelled');
    expect(await deliveries.countByState('sent-one', 'newsletter')).toEqual({ sent: 1, queued: 1 });
    expect(await readdir(path.join(outboxDir, 'mail'))).toEqual([`sent-one.${other}@news.test.eml`]);
    expect((await store.get(other))?.state).toBe('confirmed');
    expect(await store.erasedAmong([hashAddress('gone@example.org'), hashAddress('stays@example.org')])).toEqual(
      new Set([hashAddress('gone@example.org')]),
    );
  });

  it('does not let an import add a forgotten address again, while a form sign-up is a new consent', async () => {
    await confirmed('gone@example.org');
    await erasure.forget('gone@example.org');

    for (const confirmedImport of [true, false]) {
      const result = await importer.importMany([input('gone@example.org'), input('new@example.org')], {
        confirmed: confirmedImport,
        now: later(2 * DAY),
      });
      expect(result.created + result.updated).toBeLessThanOrEqual(1);
    }
    expect(await store.getByEmail('gone@example.org')).toBeNull();
    expect(await store.getByEmail('new@example.org')).not.toBeNull();

    const signUp = await store.subscribe(input('gone@example.org'), { now: later(3 * DAY) });
    expect(signUp).toMatchObject({ sendConfirmation: true, subscriber: { state: 'pending' } });
    // The newsroom's list cannot confirm them in their place; only their own link can.
    await importer.importMany([input('gone@example.org')], { confirmed: true, now: later(3 * DAY) });
    expect((await store.getByEmail('gone@example.org'))?.state).toBe('pending');
    expect(await store.confirm(signUp.subscriber.id, later(3 * DAY + 60_000))).toBe('confirmed');
  });

  it('keeps the hash of an address nobody had, and refuses what is no address', async () => {
    expect(await erasure.forget('never@example.org')).toEqual({ email: 'never@example.org', found: false, ledgerRows: 0, outboxFiles: 0 });
    expect((await importer.importMany([input('never@example.org')], { confirmed: true, now: T0 })).created).toBe(0);
    await expect(erasure.forget('not an address')).rejects.toThrow(RangeError);
  });
});
