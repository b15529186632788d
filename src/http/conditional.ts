/**
 * HTTP caching helpers for stored feeds: content-coding negotiation and conditional requests
 * (RFC 9110 §13: If-None-Match wins over If-Modified-Since).
 */

export type Coding = 'br' | 'gzip' | 'identity';

// Clients send a handful of distinct Accept-Encoding values; parse each once.
const chosen = new Map<string, Coding>();
const MAX_REMEMBERED = 256;

/** Picks brotli, then gzip, then identity, honouring `q=0` exclusions in Accept-Encoding. */
export function chooseCoding(acceptEncoding: string | undefined): Coding {
  if (!acceptEncoding) return 'identity';
  let coding = chosen.get(acceptEncoding);
  if (coding === undefined) {
    coding = parseAcceptEncoding(acceptEncoding);
    if (chosen.size >= MAX_REMEMBERED) chosen.clear();
    chosen.set(acceptEncoding, coding);
  }
  return coding;
}

function parseAcceptEncoding(acceptEncoding: string): Coding {
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    accepted.set(name.trim(), Number.isNaN(weight) ? 0 : weight);
  }
  const ok = (coding: string) => (accepted.get(coding) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip') || (accepted.get('x-gzip') ?? 0) > 0) return 'gzip';
  return 'identity';
}

/** The ETag of one representation: a strong validator must differ per content-coding. */
export function representationEtag(etag: string, coding: Coding): string {
  return coding === 'identity' ? etag : `${etag.slice(0, -1)}-${coding}"`;
}

/** Strips W/, quotes and our coding suffix so any representation of the same bytes matches. */
function opaque(tag: string): string {
  return tag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"|"$/g, '')
    .replace(/-(br|gzip)$/, '');
}

/** True when the client's cached copy is current (answer 304). */
export function isNotModified(
  headers: { 'if-none-match'?: string | undefined; 'if-modified-since'?: string | undefined },
  etag: string,
  lastModified: Date,
): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // Fast path: a reader echoing the ETag we sent (nearly every conditional request).
    if (
      ifNoneMatch === etag ||
      (ifNoneMatch.length > etag.length &&
        ifNoneMatch.startsWith(etag.slice(0, -1)) &&
        /^-(br|gzip)"$/.test(ifNoneMatch.slice(etag.length - 1)))
    )
      return true;
    if (ifNoneMatch.trim() === '*') return true;
    const mine = opaque(etag);
    return ifNoneMatch.split(',').some((tag) => opaque(tag) === mine);
  }
  const ifModifiedSince = headers['if-modified-since'];
  if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}
