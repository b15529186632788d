/**
 * One Bluesky session per channel instance (SPEC §4: "refreshed, never re-created per post").
 *
 * `com.atproto.server.createSession` runs once, on first use; bsky.social allows about 30 of
 * them per 5 minutes per account, so a worker that logged in per post would lock itself out.
 * After that, `@atproto/api`'s `CredentialSession` sends the access token on every request and,
 * when the PDS answers `ExpiredToken` (or 401), calls `refreshSession` with the refresh token
 * and repeats the request. Only when the refresh token itself is refused (expired, revoked: the
 * library then drops the session) is a new session created, and the call made once more.
 *
 * Every request is bounded by `timeoutMs`, through the `fetch` the library is given.
 */
import { AtpAgent, XRPCError } from '@atproto/api';

/** Options of {@link createBlueskySession}. */
export interface BlueskySessionOptions {
  /** The PDS or entryway (`BLUESKY_SERVICE`), e.g. `https://bsky.social`. */
  service: string;
  /** The account's handle (or DID, or email). */
  handle: string;
  /** An app password, never the account's main password. */
  appPassword: string;
  /** Time-out of each request, in milliseconds (connection, answer and body). */
  timeoutMs: number;
  /** The `fetch` requests go through. @defaultValue globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/** A logged-in agent, made on demand and kept. */
export interface BlueskySession {
  /** Runs `call` with a logged-in agent; re-creates the session once if its tokens were refused. */
  run<T>(call: (agent: AtpAgent) => Promise<T>): Promise<T>;
  /** The account's DID (logging in first if need be). */
  did(): Promise<string>;
}

// What the PDS answers to a refused access or refresh token.
const TOKEN_ERRORS = new Set(['ExpiredToken', 'InvalidToken']);

/** Creates the session; no request is made until `run` or `did` is called. */
export function createBlueskySession(options: BlueskySessionOptions): BlueskySession {
  const agent = new AtpAgent({ service: options.service, fetch: timedFetch(options.fetch ?? globalThis.fetch, options.timeoutMs) });
  let login: Promise<void> | undefined;

  /** Logs in unless a session is there; concurrent callers share one `createSession`. */
  async function ensureSession(): Promise<void> {
    if (agent.hasSession) return;
    login ??= agent
      .login({ identifier: options.handle, password: options.appPassword })
      .then(() => undefined)
      .finally(() => {
        login = undefined;
      });
    await login;
  }

  return {
    async run(call) {
      await ensureSession();
      try {
        return await call(agent);
      } catch (error) {
        if (!isTokenRefused(error)) throw error;
        // The library refreshed (or tried to) and the token was still refused. If the refresh
        // failed on the network, the session is still there: refresh again here, so that a
        // network error (retried) rather than "ExpiredToken" (auth) is what surfaces.
        if (agent.hasSession) await agent.sessionManager.refreshSession().catch(rethrowUnlessTokenRefused);
        await ensureSession();
        return call(agent);
      }
    },
    async did() {
      await ensureSession();
      const did = agent.session?.did;
      if (!did) throw new Error('Bluesky session has no DID');
      return did;
    },
  };
}

function isTokenRefused(error: unknown): boolean {
  return error instanceof XRPCError && (error.status === 401 || TOKEN_ERRORS.has(error.error));
}

function rethrowUnlessTokenRefused(error: unknown): void {
  // A refused refresh token leaves no session: `ensureSession` then logs in again.
  if (!isTokenRefused(error)) throw error;
}

/** `fetch` with a time-out on every request, keeping the caller's own abort signal. */
function timedFetch(base: typeof globalThis.fetch, timeoutMs: number): typeof globalThis.fetch {
  return (input, init) => {
    const request = new Request(input, init);
    return base(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]) });
  };
}
