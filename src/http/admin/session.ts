/**
 * Admin sessions without server-side state: the cookie holds a random id and an expiry, signed
 * with HMAC-SHA256 under a key derived from SECRET_KEY and the admin token. The token itself never
 * leaves the login form; changing ADMIN_TOKEN (or SECRET_KEY) ends every session at once. Each
 * session has its own CSRF token, an HMAC of its id, so forms need no stored state either.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A session that verified: its id and when it ends. */
export interface AdminSession {
  id: string;
  expiresAt: Date;
}

export interface AdminSessionOptions {
  /** ADMIN_TOKEN: what the login form and the bearer header must present. */
  token: string;
  /** SECRET_KEY: signs sessions and CSRF tokens. */
  secretKey: string;
  /** How long a session lasts from login. @defaultValue 12 hours */
  ttlMs?: number;
  now?: () => Date;
}

/** @defaultValue for {@link AdminSessionOptions.ttlMs}: a working day, so a lost laptop's session ends overnight. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3600 * 1000;

const VALUE_PATTERN = /^([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$/;

// Hash first: timingSafeEqual needs equal lengths, and the length must not leak.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class AdminSessions {
  readonly ttlMs: number;
  private readonly key: Buffer;
  private readonly tokenDigest: Buffer;
  private readonly now: () => Date;

  constructor(options: AdminSessionOptions) {
    if (options.token.length === 0) throw new RangeError('the admin token must not be empty');
    this.ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.now = options.now ?? (() => new Date());
    this.tokenDigest = digest(options.token);
    this.key = createHmac('sha256', options.secretKey).update('syndicate/admin-session/v1\0').update(this.tokenDigest).digest();
  }

  /** Whether `candidate` is the admin token, compared in constant time. */
  isToken(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.tokenDigest);
  }

  /** A new session: the cookie value and when it expires. */
  issue(): { value: string; session: AdminSession } {
    const id = randomBytes(16).toString('base64url');
    const expires = Math.floor((this.now().getTime() + this.ttlMs) / 1000);
    const payload = `${id}.${expires}`;
    return { value: `${payload}.${this.mac('session', payload)}`, session: { id, expiresAt: new Date(expires * 1000) } };
  }

  /** The session a cookie value stands for, or null when it is malformed, forged or expired. */
  verify(value: string): AdminSession | null {
    const match = VALUE_PATTERN.exec(value);
    if (!match) return null;
    const [, id, expires, mac] = match as unknown as [string, string, string, string];
    const expected = Buffer.from(this.mac('session', `${id}.${expires}`), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const expiresAt = new Date(Number(expires) * 1000);
    if (expiresAt.getTime() <= this.now().getTime()) return null;
    return { id, expiresAt };
  }

  /** The CSRF token every form of this session carries. */
  csrfToken(session: AdminSession): string {
    return this.mac('csrf', session.id);
  }

  /** Whether `candidate` is this session's CSRF token. */
  isCsrfToken(session: AdminSession, candidate: unknown): boolean {
    if (typeof candidate !== 'string') return false;
    return timingSafeEqual(digest(candidate), digest(this.csrfToken(session)));
  }

  private mac(purpose: 'session' | 'csrf', payload: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\0${payload}`).digest('base64url');
  }
}
