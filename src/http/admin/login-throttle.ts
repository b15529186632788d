/**
 * Refused sign-ins per client address, in this process: after `max` refusals within the window
 * the address must wait for the window to end. Only refusals count, so an operator who signs in
 * often is never locked out, and a guesser gets `max` guesses a window.
 */
export interface LoginThrottleOptions {
  /** Refusals allowed per address and window. @defaultValue 10 */
  max?: number;
  /** @defaultValue 60000 */
  windowMs?: number;
  now?: () => number;
}

/** Addresses remembered at most: past it, windows that ended are forgotten first, then the oldest. */
const MAX_ADDRESSES = 10_000;

export class LoginThrottle {
  private readonly refusals = new Map<string, { count: number; endsAt: number }>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.max = options.max ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  waitFor(address: string): number {
    const entry = this.refusals.get(address);
    if (!entry) return 0;
    const left = entry.endsAt - this.now();
    if (left <= 0) {
      this.refusals.delete(address);
      return 0;
    }
    return entry.count >= this.max ? left : 0;
  }

  /** Counts a refused sign-in from `address`. */
  refused(address: string): void {
    const now = this.now();
    const entry = this.refusals.get(address);
    if (entry && entry.endsAt > now) {
      entry.count++;
      return;
    }
    this.refusals.delete(address);
    if (this.refusals.size >= MAX_ADDRESSES) this.forget(now);
    this.refusals.set(address, { count: 1, endsAt: now + this.windowMs });
  }

  private forget(now: number): void {
    for (const [address, entry] of this.refusals) if (entry.endsAt <= now) this.refusals.delete(address);
    // Map order is insertion order: the first entries are the oldest windows.
    for (const address of this.refusals.keys()) {
      if (this.refusals.size < MAX_ADDRESSES) break;
      this.refusals.delete(address);
    }
  }
}
