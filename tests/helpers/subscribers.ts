/**
 * What the subscriber store and importer tests share: a fixed clock, sign-up input, and a fresh
 * database per test (SQLite or PostgreSQL, see database.ts) with the store and importer on it.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { SubscriberImporter } from '../../src/channels/newsletter/subscriber-import.js';
import type { SubscriptionInput } from '../../src/domain/subscriber.js';
import type { Database } from '../../src/store/database.js';
import { SubscriberStore } from '../../src/store/subscribers.js';
import type { DatabaseTarget } from './database.js';

export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const later = (ms: number) => new Date(T0.getTime() + ms);
export const MINUTE = 60_000;

export function input(email: string, overrides: Partial<SubscriptionInput> = {}): SubscriptionInput {
  return { email, frequency: 'immediate', categories: [], name: null, ...overrides };
}

export interface SubscriberKit {
  database: Database;
  store: SubscriberStore;
  /** Writes many subscribers at once (the newsletter's bulk import). */
  importer: SubscriberImporter;
  /** Subscribes and confirms `email` at T0; returns the subscriber's id. */
  confirmed(email: string, overrides?: Partial<SubscriptionInput>): Promise<string>;
}

/** Opens `target` before each test of the calling `describe` and closes it after. */
export function useSubscriberKit(target: DatabaseTarget): SubscriberKit {
  const kit = {
    async confirmed(email: string, overrides: Partial<SubscriptionInput> = {}) {
      const { subscriber } = await kit.store.subscribe(input(email, overrides), { now: T0 });
      expect(await kit.store.confirm(subscriber.id, T0)).toBe('confirmed');
      return subscriber.id;
    },
  } as SubscriberKit;
  beforeEach(async () => {
    kit.database = await target.open();
    kit.store = new SubscriberStore(kit.database);
    kit.importer = new SubscriberImporter(kit.database);
  });
  afterEach(async () => {
    await kit.database.close();
  });
  return kit;
}
