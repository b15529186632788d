import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type ResolveHostname, createGuardedLookup } from '../../../src/media/guarded-lookup.js';
import { ImageFetchError } from '../../../src/media/image-fetch-error.js';
import { isPublicAddress } from '../../../src/media/ip-address.js';

// Test DNS: nothing here is connected to; the lookup only answers or refuses.
const ZONE: Record<string, LookupAddress[]> = {
  'cdn.test': [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
  ],
  'images.test': [{ address: '127.0.0.1', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'mapped.test': [{ address: '::ffff:10.0.0.1', family: 6 }],
  'rebind.test': [
    { address: '93.184.216.34', family: 4 },
    { address: '10.0.0.1', family: 4 },
  ],
};

const resolveFromZone: ResolveHostname = async (hostname) => {
  const addresses = ZONE[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses;
};

const publicOnly = createGuardedLookup(resolveFromZone, (address) => isPublicAddress(address));

/** Calls a node-style lookup as net.connect does and returns what it answered. */
function callLookup(
  lookup: LookupFunction,
  hostname: string,
  options: { all?: boolean; family?: number },
): Promise<string | LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, options, (error, address) => (error ? reject(error) : resolve(address)));
  });
}

async function refusal(promise: Promise<unknown>): Promise<ImageFetchError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageFetchError);
  return error as ImageFetchError;
}

describe('createGuardedLookup', () => {
  it('answers with the public addresses of a public host', async () => {
    expect(await callLookup(publicOnly, 'cdn.test', {})).toBe('93.184.216.34');
    expect(await callLookup(publicOnly, 'cdn.test', { all: true })).toEqual(ZONE['cdn.test']);
    expect(await callLookup(publicOnly, 'cdn.test', { family: 6 })).toBe('2606:2800:220:1:248:1893:25c8:1946');
  });

  it.each(['images.test', 'metadata.test', 'mapped.test'])(
    'refuses %s, whose name looks public but whose address is not',
    async (hostname) => {
      const error = await refusal(callLookup(publicOnly, hostname, { all: true }));
      expect(error.reason).toBe('private_address');
      expect(error.message).toContain(hostname);
    },
  );

  it('refuses a name with one private address among public ones', async () => {
    const error = await refusal(callLookup(publicOnly, 'rebind.test', {}));
    expect(error.reason).toBe('private_address');
    expect(error.message).toContain('10.0.0.1');
  });

  it('reports a name that does not resolve as a network failure', async () => {
    const error = await refusal(callLookup(publicOnly, 'nowhere.test', {}));
    expect(error.reason).toBe('network');
    expect(error.message).toMatch(/ENOTFOUND/);
  });

  it('passes the hostname to the policy, so one internal host can be trusted by name', async () => {
    const trustImages = createGuardedLookup(resolveFromZone, (address, hostname) => hostname === 'images.test' || isPublicAddress(address));
    expect(await callLookup(trustImages, 'images.test', {})).toBe('127.0.0.1');
    expect((await refusal(callLookup(trustImages, 'metadata.test', {}))).reason).toBe('private_address');
  });
});
