/**
 * Running one channel's credentials check, bounded in time, and reading what it found against
 * the calendar: shared by `syndicate doctor` and the workers' hourly checks.
 */
import type { CredentialFinding } from '../channels/channel.js';

/** A channel that can check its credentials (a live `BuiltChannel` with `check`). */
export interface CheckableChannel {
  name: string;
  check(): Promise<CredentialFinding>;
}

/** How long one check may take before it counts as `unknown`. @defaultValue 15 s */
export const CREDENTIAL_CHECK_TIMEOUT_MS = 15_000;

/** `doctor` warns of credentials that expire within this. @defaultValue 30 days */
export const EXPIRY_WARNING_MS = 30 * 24 * 3600_000;

/** The workers' log warns of credentials that expire within this. @defaultValue 7 days */
export const EXPIRY_LOG_WARNING_MS = 7 * 24 * 3600_000;

const DAY_MS = 24 * 3600_000;

/** Runs `channel`'s check; no answer within `timeoutMs` (or a throw) is `unknown`. Never throws. */
export async function runCredentialCheck(channel: CheckableChannel, timeoutMs = CREDENTIAL_CHECK_TIMEOUT_MS): Promise<CredentialFinding> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CredentialFinding>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'unknown', message: `no answer within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
  });
  try {
    return await Promise.race([
      channel.check().catch((error: unknown): CredentialFinding => ({ state: 'unknown', message: (error as Error).message })),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whole days from `now` until `expiresAt`, rounded down (negative once past). */
export function daysLeft(expiresAt: Date, now: Date): number {
  return Math.floor((expiresAt.getTime() - now.getTime()) / DAY_MS);
}

/** True when `finding` says the credentials expire within `withinMs` of `now` (or have). */
export function expiresWithin(finding: CredentialFinding, withinMs: number, now: Date): boolean {
  return finding.state === 'valid' && finding.expiresAt !== null && finding.expiresAt.getTime() - now.getTime() <= withinMs;
}

/** "expires 2026-05-01 (in 20 days)", "does not expire", "expired 2026-04-01". */
export function describeExpiry(expiresAt: Date | null, now: Date): string {
  if (expiresAt === null) return 'does not expire';
  const day = expiresAt.toISOString().slice(0, 10);
  const days = daysLeft(expiresAt, now);
  if (expiresAt.getTime() <= now.getTime()) return `expired ${day}`;
  return `expires ${day} (${days === 0 ? 'within a day' : days === 1 ? 'in 1 day' : `in ${days} days`})`;
}
