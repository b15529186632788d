/**
 * The SQLite file locked by another process (SPEC §7 "Dependencies down"): the API answers
 * 503 with Retry-After quickly instead of freezing, and a bulk import waits for the lock
 * instead of failing with "database is locked".
 * Real: SQLite (the service's file, and a second connection to it holding the write lock, as
 * another process would), Redis, the workers, Fastify (inject). Faked: nothing.
 */
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newsletterModule } from '../../../src/channels/newsletter/module.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';

/** The bound SPEC §7 sets for a 503. */
const ANSWER_WITHIN_MS = 2000;

describe('with the SQLite file locked by another process', () => {
  let t: TestSyndicate;
  let locker: SQLite.Database;

  beforeAll(async () => {
    t = await startTestSyndicate('locked');
    locker = new SQLite(path.join(t.dataDir, 'syndicate.db'));
  });

  afterEach(() => {
    if (locker.inTransaction) locker.exec('ROLLBACK');
  });

  afterAll(async () => {
    locker?.close();
    await t?.stop();
  });

  const article = (id: string) => ({ id, url: `https://news.test/${id}`, title: `Story ${id}` });

  it('answers the publisher API with 503 and Retry-After quickly, and takes the article once the lock is gone', async () => {
    locker.exec('BEGIN IMMEDIATE');

    const started = Date.now();
    const refused = await t.app.inject({ method: 'POST', url: '/api/articles', headers: t.auth, payload: article('while-locked') });
    const elapsedMs = Date.now() - started;
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('SERVICE_UNAVAILABLE');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(ANSWER_WITHIN_MS);

    locker.exec('ROLLBACK');
    const accepted = await t.app.inject({ method: 'POST', url: '/api/articles', headers: t.auth, payload: article('while-locked') });
    expect(accepted.statusCode).toBe(202);
  });

  it('does not stop the process while a request waits for the lock', async () => {
    locker.exec('BEGIN IMMEDIATE');
    // The longest the event loop stood still while a write waited for the lock.
    let longestGapMs = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 10);
    try {
      const responses = await Promise.all(
        ['a', 'b', 'c'].map((id) =>
          t.app.inject({ method: 'POST', url: '/api/articles', headers: t.auth, payload: article(`frozen-${id}`) }),
        ),
      );
      expect(responses.map((response) => response.statusCode)).toEqual([503, 503, 503]);
    } finally {
      clearInterval(ticker);
    }
    expect(longestGapMs).toBeLessThan(1000);
  });

  it('imports subscribers once the lock is released, instead of failing with "database is locked"', async () => {
    const { importer } = t.syndicate.channel(newsletterModule).services;
    locker.exec('BEGIN IMMEDIATE');
    // The other process finishes its write a moment later.
    setTimeout(() => locker.inTransaction && locker.exec('ROLLBACK'), 700);

    const rows = Array.from({ length: 50 }, (_, index) => ({
      email: `imported-${index}@example.org`,
      frequency: 'immediate' as const,
      categories: [],
      name: null,
    }));
    const result = await importer.importMany(rows, { confirmed: true, now: new Date() });

    expect(result.created).toBe(50);
  });
});
