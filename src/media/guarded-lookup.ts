/**
 * A DNS lookup for node:http(s) that refuses non-public addresses. Because the socket connects
 * to exactly the addresses this lookup returns, a hostname cannot pass the check with one
 * answer and then connect to another (DNS rebinding).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { ImageFetchError } from './image-fetch-error.js';

/** Resolves a hostname to every address it has (as `dns.lookup` with `all: true`). */
export type ResolveHostname = (hostname: string) => Promise<LookupAddress[]>;

/**
 * Decides whether an address may be connected to. `hostname` is the name it was resolved from
 * (or the IP literal itself), so a deployment can trust one internal image host by name.
 */
export type AddressPolicy = (address: string, hostname: string) => boolean;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every address, in its order. */
export const resolveWithSystem: ResolveHostname = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A `lookup` for `http.request` that resolves with `resolve`, then fails with an
 * {@link ImageFetchError} (`private_address`) when any address is refused by `isAllowed`, or
 * (`network`) when the name does not resolve. A name with one private address is refused as a
 * whole: mixing public and private answers is what rebinding attacks look like.
 */
export function createGuardedLookup(resolve: ResolveHostname, isAllowed: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, resolve, isAllowed).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        const first = wanted[0];
        if (!first) {
          callback(networkError(hostname, `has no IPv${String(options.family)} address`), options.all ? [] : '', 0);
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all ? [] : '', 0),
    );
  };
}

async function resolveChecked(hostname: string, resolve: ResolveHostname, isAllowed: AddressPolicy): Promise<LookupAddress[]> {
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw networkError(hostname, `does not resolve${code ? ` (${code})` : ''}`, error);
  }
  if (addresses.length === 0) throw networkError(hostname, 'does not resolve');
  const refused = addresses.find((entry) => !isAllowed(entry.address, hostname));
  if (refused) {
    throw new ImageFetchError('private_address', `image host ${hostname} resolves to ${refused.address}, which is not a public address`);
  }
  return addresses;
}

function networkError(hostname: string, problem: string, cause?: unknown): ImageFetchError {
  return new ImageFetchError('network', `image host ${hostname} ${problem}`, undefined, { cause });
}
