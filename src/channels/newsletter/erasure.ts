/**
 * Erasure (SPEC §6 `subscribers forget <email>`): the address and the personal data that go
 * with it leave the subscribers table (consent record included), the ledger rows lose their
 * last error (the text may quote the address) but stay, so every article's counts stay right,
 * and the outbox loses the emails written for them. What stays is a keyed one-way hash of the
 * address (HMAC-SHA256 with a key derived from SECRET_KEY): no import adds the address again,
 * while a sign-up through the form — a new consent, confirmed by its own double opt-in — may.
 *
 * The hash is keyed so that the list of erased addresses cannot be tested against a list of
 * known addresses without SECRET_KEY. Changing SECRET_KEY forgets which addresses were erased.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { normaliseEmail } from '../../domain/subscriber.js';
import type { SubscriberStore } from '../../store/subscribers.js';

const ERASURE_KEY_INFO = 'syndicate/newsletter/erased-address/v1';

/** `hash(email)`: the keyed hash under which an erased address is kept. */
export function createAddressHasher(secretKey: string): (email: string) => string {
  if (secretKey.length === 0) throw new RangeError('SECRET_KEY must not be empty');
  const key = Buffer.from(hkdfSync('sha256', secretKey, '', ERASURE_KEY_INFO, 32));
  return (email) => createHmac('sha256', key).update(email.trim().toLowerCase()).digest('hex');
}

export interface ErasureDeps {
  subscribers: SubscriberStore;
  hashAddress: (email: string) => string;
  /** DATA_DIR/outbox: `.eml` files written for the subscriber are deleted. */
  outboxDir: string;
  logger: Logger;
  now?: () => Date;
}

/** What `forget` did. */
export interface ForgetResult {
  /** The address as stored (normalised). */
  email: string;
  /** False when no subscriber had it (its hash is kept all the same). */
  found: boolean;
  /** The subscriber's ledger rows, kept without personal data. */
  ledgerRows: number;
  /** Outbox emails deleted. */
  outboxFiles: number;
}

export class Erasure {
  constructor(private readonly deps: ErasureDeps) {}

  /**
   * Erases `email`.
   * @throws RangeError when `email` is not an address.
   */
  async forget(email: string): Promise<ForgetResult> {
    const normalised = normaliseEmail(email);
    if (!normalised.ok) throw new RangeError(`not an email address: ${normalised.message}`);
    const now = (this.deps.now ?? (() => new Date()))();
    const erased = await this.deps.subscribers.forget(normalised.email, this.deps.hashAddress(normalised.email), now);
    const outboxFiles = erased.subscriberId ? await this.deleteOutboxMail(erased.subscriberId) : 0;
    // The id only: the address is what is being erased.
    this.deps.logger.info({ subscriberId: erased.subscriberId, ledgerRows: erased.ledgerRows, outboxFiles }, 'subscriber erased');
    return { email: normalised.email, found: erased.subscriberId !== null, ledgerRows: erased.ledgerRows, outboxFiles };
  }

  /** Deletes outbox emails whose Message-ID (their file name) names the subscriber. */
  private async deleteOutboxMail(subscriberId: string): Promise<number> {
    const directory = path.join(this.deps.outboxDir, 'mail');
    let names: string[];
    try {
      names = await readdir(directory);
    } catch {
      return 0;
    }
    const mark = `.${subscriberId}@`;
    const theirs: string[] = [];
    for (const name of names) {
      if (!name.endsWith('.eml')) continue;
      // A long Message-ID makes a cut file name (with a hash): its header says whose it is.
      if (name.includes(mark) || (/-[0-9a-f]{12}\.eml$/.test(name) && (await headerContains(path.join(directory, name), mark))))
        theirs.push(name);
    }
    await Promise.all(theirs.map((name) => rm(path.join(directory, name), { force: true })));
    return theirs.length;
  }
}

/** Whether the first 16 KiB of a file (its header) contain `text`. */
async function headerContains(file: string, text: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(16 * 1024), position: 0 });
    return buffer.subarray(0, bytesRead).toString('latin1').includes(text);
  } finally {
    await handle.close();
  }
}
