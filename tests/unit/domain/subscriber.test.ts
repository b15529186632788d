import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPendingExpired, normaliseEmail, parseSubscription, PENDING_TTL_MS, wantsArticle } from '../../../src/domain/subscriber.js';

const accepted = (raw: string) => {
  const result = normaliseEmail(raw);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be accepted: ${result.message}`);
  return result.email;
};
const refusal = (raw: string) => {
  const result = normaliseEmail(raw);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${result.email}`);
  return result.message;
};

describe('normaliseEmail', () => {
  it('trims and lower-cases the whole address, so one person is one subscriber', () => {
    expect(accepted('  Ann.Lee+News@Example.ORG ')).toBe('ann.lee+news@example.org');
  });

  it('converts an IDN domain to its ASCII form', () => {
    expect(accepted('leser@bücher.de')).toBe('leser@xn--bcher-kva.de');
    expect(accepted('user@例え.テスト')).toBe('user@xn--r8jz45g.xn--zckzah');
  });

  it.each([
    ['', /required/],
    ['   ', /required/],
    ['ann', /exactly one @/],
    ['ann@@example.org', /exactly one @/],
    ['a@b@example.org', /exactly one @/],
    ['@example.org', /nothing before/],
    ['ann@', /no domain/],
    ['ann@localhost', /dot/],
    ['ann@example..org', /domain/],
    ['ann@example.org.', /domain/],
    ['ann@-example.org', /hyphen/],
    ['ann@example-.org', /hyphen/],
    ['ann@exa_mple.org', /domain/],
    ['ann@[192.0.2.1]', /domain/],
    ['.ann@example.org', /before the @/],
    ['ann.@example.org', /before the @/],
    ['an..n@example.org', /before the @/],
    ['"ann"@example.org', /before the @/],
    ['ánn@example.org', /before the @/],
    ['ann lee@example.org', /spaces/],
  ])('refuses %j', (raw, message) => {
    expect(refusal(raw)).toMatch(message);
  });

  it('refuses display-name forms', () => {
    expect(refusal('Ann Lee <ann@example.org>')).toMatch(/bare address/);
    expect(refusal('<ann@example.org>')).toMatch(/bare address/);
  });

  it('refuses addresses longer than 254 characters', () => {
    const domain = `${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(63)}.${'d'.repeat(48)}.org`;
    const at254 = `${'a'.repeat(254 - domain.length - 1)}@${domain}`;
    expect(at254).toHaveLength(254);
    expect(accepted(at254)).toBe(at254);
    expect(refusal(`a${at254}`)).toBe('email is longer than 254 characters');
  });

  it('refuses a local part longer than 64 characters', () => {
    expect(accepted(`${'a'.repeat(64)}@example.org`)).toHaveLength(64 + 12);
    expect(refusal(`${'a'.repeat(65)}@example.org`)).toMatch(/more than 64 characters before the @/);
  });

  it('refuses a domain label longer than 63 characters', () => {
    expect(refusal(`ann@${'d'.repeat(64)}.org`)).toMatch(/domain/);
  });

  it.each([
    'ann@example.org\r\nBcc: victim@example.org',
    'ann@example.org\n',
    '\rann@example.org',
    'ann\u0000@example.org',
    'ann@exa\tmple.org',
    'ann@example.org\u2028',
  ])('refuses control characters and line breaks anywhere (%j): header injection', (raw) => {
    expect(refusal(raw)).toMatch(/control characters/);
  });

  it('never throws, and what it accepts is one clean address', () => {
    const addressLike = fc
      .tuple(fc.string(), fc.constantFrom('@', '@@', ''), fc.string(), fc.constantFrom('', '.org', '.例え'))
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), addressLike, fc.emailAddress()), (raw) => {
        const result = normaliseEmail(raw);
        if (!result.ok) return;
        expect(result.email).not.toMatch(/[\u0000-\u001F\u007F-\u009F]/);
        expect(result.email).not.toMatch(/\s/u);
        expect(result.email.split('@')).toHaveLength(2);
        expect(result.email.length).toBeLessThanOrEqual(254);
        expect(normaliseEmail(result.email)).toEqual(result);
        expect(isIP(result.email.split('@')[1] ?? '')).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts the dot-atom addresses fast-check generates', () => {
    fc.assert(
      fc.property(fc.emailAddress({ size: 'small' }), (raw) => {
        expect(normaliseEmail(raw).ok).toBe(true);
      }),
    );
  });
});

describe('normaliseEmail refuses addresses that reach no public mail domain (issue #9, finding 15)', () => {
  it.each([
    ['x@127.0.0.1', /IP address/],
    ['x@192.0.2.1', /IP address/],
    ['x@10.0.0.1', /IP address/],
    ['x@[127.0.0.1]', /IP address/],
    ['x@[IPv6:::1]', /IP address/],
    ['x@[IPv6:2001:db8::1]', /IP address/],
    ['x@[::1]', /IP address/],
    // Forms a URL parser reads as 127.0.0.1.
    ['x@2130706433', /IP address/],
    ['x@0x7f.1', /IP address/],
    ['x@127.1', /IP address/],
    ['x@0177.0.0.1', /IP address/],
    ['x@１２７.０.０.１', /IP address/],
    ['x@localhost', /dot/],
    ['x@LOCALHOST', /dot/],
    ['x@mail.localhost', /localhost/],
    ['x@intranet', /dot/],
  ])('refuses %j with a message naming the domain', (raw, message) => {
    const text = refusal(raw);
    expect(text).toMatch(message);
    expect(text).toMatch(/^email /);
    expect(text).toMatch(/domain/);
  });

  it('names the email field in a sign-up', () => {
    for (const email of ['x@127.0.0.1', 'x@[127.0.0.1]', 'x@[IPv6:::1]', 'x@localhost']) {
      expect(parseSubscription({ email })).toMatchObject({ ok: false, problems: [{ field: 'email' }] });
    }
  });

  it('still accepts domains with digits, and the reserved test and example domains', () => {
    expect(accepted('x@123.example.org')).toBe('x@123.example.org');
    expect(accepted('x@1.2.3.example')).toBe('x@1.2.3.example');
    expect(accepted('x@a.b.c1')).toBe('x@a.b.c1');
    expect(accepted('ann@example.test')).toBe('ann@example.test');
    expect(accepted('ann@localhost.example.org')).toBe('ann@localhost.example.org');
  });
});

describe('parseSubscription', () => {
  it('takes an address alone, with immediate frequency and every category', () => {
    expect(parseSubscription({ email: 'Ann@Example.org' })).toEqual({
      ok: true,
      value: { email: 'ann@example.org', frequency: 'immediate', categories: [], name: null },
    });
  });

  it('takes every field, trimmed and slugged, ignoring unknown ones', () => {
    expect(
      parseSubscription({
        email: 'ann@example.org',
        frequency: ' Weekly ',
        categories: ['Transport & Roads', 'Sport'],
        name: '  Ann Lee ',
        submit: 'Subscribe',
      }),
    ).toEqual({
      ok: true,
      value: { email: 'ann@example.org', frequency: 'weekly', categories: ['transport-roads', 'sport'], name: 'Ann Lee' },
    });
  });

  it('takes categories as one string, a ;-separated string, or a list, without duplicates', () => {
    const categories = (value: unknown) => {
      const result = parseSubscription({ email: 'a@example.org', categories: value });
      return result.ok ? result.value.categories : result.problems;
    };
    expect(categories('Sport')).toEqual(['sport']);
    expect(categories('Sport; Arts;;')).toEqual(['sport', 'arts']);
    expect(categories(['Sport', 'sport', 'Arts;Transport & Roads'])).toEqual(['sport', 'arts', 'transport-roads']);
    expect(categories('国际')).toEqual(['国际']);
    expect(categories('')).toEqual([]);
    expect(categories(null)).toEqual([]);
    expect(categories([1, 2])).toEqual([{ field: 'categories', message: 'must be a category name or a list of them' }]);
    expect(categories(Array.from({ length: 51 }, (_, i) => `c${i}`))).toEqual([
      { field: 'categories', message: 'must be at most 50 categories' },
    ]);
    expect(categories(Array.from({ length: 50 }, (_, i) => `c${i}`))).toHaveLength(50);
    expect(categories('x'.repeat(65))).toEqual([{ field: 'categories', message: 'each category must be at most 64 characters' }]);
  });

  it('refuses an unknown frequency', () => {
    expect(parseSubscription({ email: 'a@example.org', frequency: 'hourly' })).toEqual({
      ok: false,
      problems: [{ field: 'frequency', message: 'must be one of immediate, daily, weekly' }],
    });
    expect(parseSubscription({ email: 'a@example.org', frequency: 7 })).toMatchObject({ ok: false, problems: [{ field: 'frequency' }] });
  });

  it.each(['Ann\r\nBcc: victim@example.org', 'Ann\nLee', 'Ann\u0000'])(
    'refuses a name with control characters (%j): header injection',
    (name) => {
      expect(parseSubscription({ email: 'a@example.org', name })).toEqual({
        ok: false,
        problems: [{ field: 'name', message: 'must not contain control characters or line breaks' }],
      });
    },
  );

  it('refuses a name over 200 characters and treats a blank one as none', () => {
    expect(parseSubscription({ email: 'a@example.org', name: 'n'.repeat(201) })).toMatchObject({
      ok: false,
      problems: [{ field: 'name' }],
    });
    expect(parseSubscription({ email: 'a@example.org', name: 'n'.repeat(200) })).toMatchObject({ ok: true });
    expect(parseSubscription({ email: 'a@example.org', name: '   ' })).toMatchObject({ ok: true, value: { name: null } });
  });

  it('reports every problem at once, by field', () => {
    const result = parseSubscription({ email: 'Ann <a@example.org>', frequency: 'hourly', name: 'A\nB', categories: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((problem) => problem.field)).toEqual(['email', 'frequency', 'categories', 'name']);
  });

  it('refuses a missing or non-string email', () => {
    expect(parseSubscription({})).toEqual({ ok: false, problems: [{ field: 'email', message: 'email is required' }] });
    expect(parseSubscription({ email: ['a@example.org'] })).toEqual({
      ok: false,
      problems: [{ field: 'email', message: 'email must be a string' }],
    });
  });

  it.each([null, 'a@example.org', 42, ['a@example.org']])('refuses %j as a whole', (input) => {
    expect(parseSubscription(input)).toEqual({ ok: false, problems: [{ field: '', message: 'must be an object with an email field' }] });
  });
});

describe('wantsArticle', () => {
  it('sends everything to a subscriber without categories', () => {
    expect(wantsArticle({ categories: [] }, [])).toBe(true);
    expect(wantsArticle({ categories: [] }, ['sport'])).toBe(true);
  });

  it('sends an article in at least one of the subscriber’s categories', () => {
    expect(wantsArticle({ categories: ['sport', 'arts'] }, ['arts', 'politics'])).toBe(true);
    expect(wantsArticle({ categories: ['sport'] }, ['politics'])).toBe(false);
    expect(wantsArticle({ categories: ['sport'] }, [])).toBe(false);
  });
});

describe('isPendingExpired', () => {
  const requestedAt = new Date('2030-01-01T00:00:00Z');
  const after = (ms: number) => new Date(requestedAt.getTime() + ms);

  it('expires a pending subscription seven days after its latest request', () => {
    expect(isPendingExpired({ state: 'pending', requestedAt }, after(PENDING_TTL_MS))).toBe(false);
    expect(isPendingExpired({ state: 'pending', requestedAt }, after(PENDING_TTL_MS + 1))).toBe(true);
  });

  it('never expires other states', () => {
    expect(isPendingExpired({ state: 'confirmed', requestedAt }, after(PENDING_TTL_MS * 10))).toBe(false);
  });
});
