/**
 * Subscription tokens: round trips, every way a token can be wrong, and properties over
 * arbitrary strings. Real HMAC; `emailOf` is a map standing in for the subscriber store.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONFIRM_TOKEN_LIFETIME_MS, createTokenSigner, type TokenPurpose } from '../../../../src/channels/newsletter/tokens.js';

const SECRET = 'test-secret-key-0123456789abcdef';
const NOW = new Date('2026-03-02T08:00:00.000Z');
const signer = createTokenSigner(SECRET);

const subscribers = new Map([
  ['sub-1', 'ana@example.net'],
  ['sub-2', 'tom@example.net'],
]);
const emailOf = async (id: string) => subscribers.get(id) ?? null;

function confirmToken(overrides: { subscriberId?: string; email?: string; expiresAt?: Date } = {}): string {
  return signer.sign({
    purpose: 'confirm',
    subscriberId: 'sub-1',
    email: 'ana@example.net',
    expiresAt: new Date(NOW.getTime() + CONFIRM_TOKEN_LIFETIME_MS),
    ...overrides,
  });
}

describe('createTokenSigner', () => {
  it('verifies its own token for the same purpose and subscriber', async () => {
    await expect(signer.verify(confirmToken(), 'confirm', emailOf, NOW)).resolves.toEqual({ ok: true, subscriberId: 'sub-1' });
    const unsubscribe = signer.sign({ purpose: 'unsubscribe', subscriberId: 'sub-2', email: 'tom@example.net' });
    await expect(signer.verify(unsubscribe, 'unsubscribe', emailOf, new Date('2099-01-01'))).resolves.toEqual({
      ok: true,
      subscriberId: 'sub-2',
    });
  });

  it('writes compact, URL-safe tokens with purpose, id and expiry readable', () => {
    const token = confirmToken();
    expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(token.length).toBeLessThan(60);
    const [purpose, id, expiry] = token.split('.');
    expect(purpose).toBe('c');
    expect(Buffer.from(id!, 'base64url').toString()).toBe('sub-1');
    expect(parseInt(expiry!, 36) * 1000).toBe(NOW.getTime() + CONFIRM_TOKEN_LIFETIME_MS);
    expect(signer.sign({ purpose: 'unsubscribe', subscriberId: 'sub-1', email: 'ana@example.net' })).toMatch(/^u\.[^.]+\.\.[^.]+$/);
  });

  it('refuses a token with any one character changed', async () => {
    const token = confirmToken();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < token.length; i++) {
      const original = token[i]!;
      const replacement = alphabet[(alphabet.indexOf(original) + 1) % alphabet.length]!;
      const flipped = token.slice(0, i) + replacement + token.slice(i + 1);
      const result = await signer.verify(flipped, 'confirm', emailOf, NOW);
      expect(result.ok, `position ${i}: ${flipped}`).toBe(false);
    }
  });

  it('calls a token with a changed signature forged', async () => {
    const token = confirmToken();
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.slice(-1)}`;
    await expect(signer.verify(tampered, 'confirm', emailOf, NOW)).resolves.toEqual({ ok: false, reason: 'forged' });
  });

  it('calls a token signed with another secret forged', async () => {
    const other = createTokenSigner('another-secret');
    const token = other.sign({ purpose: 'confirm', subscriberId: 'sub-1', email: 'ana@example.net' });
    await expect(signer.verify(token, 'confirm', emailOf, NOW)).resolves.toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses a token used for another purpose, only once the signature holds', async () => {
    await expect(signer.verify(confirmToken(), 'unsubscribe', emailOf, NOW)).resolves.toEqual({ ok: false, reason: 'wrong_purpose' });
    // Relabelling the purpose breaks the signature: forgers learn nothing about purposes.
    const relabelled = `u${confirmToken().slice(1)}`;
    await expect(signer.verify(relabelled, 'unsubscribe', emailOf, NOW)).resolves.toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses an expired token, and accepts it until the last second', async () => {
    const expiresAt = new Date(NOW.getTime() + 60_000);
    const token = confirmToken({ expiresAt });
    await expect(signer.verify(token, 'confirm', emailOf, new Date(expiresAt.getTime() - 1))).resolves.toMatchObject({ ok: true });
    await expect(signer.verify(token, 'confirm', emailOf, expiresAt)).resolves.toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token once the subscriber has another address', async () => {
    const token = confirmToken();
    const changed = async (id: string) => (id === 'sub-1' ? 'someone-else@example.net' : null);
    await expect(signer.verify(token, 'confirm', changed, NOW)).resolves.toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses a token for a subscriber that does not exist', async () => {
    const token = confirmToken({ subscriberId: 'sub-404' });
    await expect(signer.verify(token, 'confirm', emailOf, NOW)).resolves.toEqual({ ok: false, reason: 'unknown' });
  });

  it('calls garbage, empty and huge strings malformed without asking the store', async () => {
    let asked = 0;
    const counting = async (id: string) => {
      asked++;
      return emailOf(id);
    };
    const token = confirmToken();
    const garbage = [
      '',
      '.',
      '...',
      'c...',
      'x.c3ViLTE.abc.AAAAAAAAAAAAAAAAAAAAAA',
      `${token}.`,
      `${token}=`,
      token.replace(/\./g, '%2E'),
      'c.c3ViLTE=.abc.AAAAAAAAAAAAAAAAAAAAAA',
      'c.c3ViLTE.ABC.AAAAAAAAAAAAAAAAAAAAAA',
      'c.c3ViLTE..AAAA',
      'c.c3ViLTE..AAAAAAAAAAAAAAAAAAAAAB',
      'c.__8.abc.AAAAAAAAAAAAAAAAAAAAAA',
      'x'.repeat(1_000_000),
      `${'c.'.repeat(300_000)}`,
      '\u0000\ud800',
    ];
    for (const input of garbage) {
      await expect(signer.verify(input, 'confirm', counting, NOW), JSON.stringify(input.slice(0, 40))).resolves.toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
    expect(asked).toBe(0);
  });

  it('accepts ids of any characters', async () => {
    const id = 'ünïcødé/+= 😀';
    const token = signer.sign({ purpose: 'unsubscribe', subscriberId: id, email: 'x@example.net' });
    expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
    await expect(signer.verify(token, 'unsubscribe', async () => 'x@example.net', NOW)).resolves.toEqual({ ok: true, subscriberId: id });
  });

  it('never verifies or throws on random strings', async () => {
    const purposes: TokenPurpose[] = ['confirm', 'unsubscribe'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc
            .tuple(fc.constantFrom('c', 'u', 'x', ''), fc.base64String(), fc.stringMatching(/^[0-9a-z]{0,10}$/), fc.base64String())
            .map((parts) => parts.join('.').replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')),
        ),
        fc.constantFrom(...purposes),
        async (token, purpose) => {
          const result = await signer.verify(token, purpose, async () => 'ana@example.net', NOW);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
