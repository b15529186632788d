/**
 * Every enabled channel's credentials: whether they work, whose they are, when they expire.
 * A refusal or a platform that cannot be asked blocks delivery; credentials that expire within
 * 30 days warn; a channel writing to the outbox (no credentials) warns that nothing is sent.
 */
import type { CredentialFinding } from '../channels/channel.js';
import type { ChannelMode } from '../channels/module.js';
import { describeExpiry, EXPIRY_WARNING_MS, runCredentialCheck } from '../credentials/credential-check.js';
import type { Finding } from './finding.js';

/** A channel as this process built it. */
export interface ChannelToCheck {
  name: string;
  mode: ChannelMode;
  /** Absent for a channel with nothing to check (the feeds) or not live. */
  check?: () => Promise<CredentialFinding>;
}

/** What `finding` means for delivery, on `now`. */
export function credentialFinding(channel: string, finding: CredentialFinding, now: Date): Finding {
  if (finding.state !== 'valid') {
    const what = finding.state === 'refused' ? 'credentials refused' : 'could not check';
    return { status: 'fail', check: channel, detail: `${what}: ${finding.message}`, facts: { state: finding.state } };
  }
  const { account, expiresAt } = finding;
  const left = expiresAt === null ? null : expiresAt.getTime() - now.getTime();
  const status = left === null || left > EXPIRY_WARNING_MS ? 'ok' : left > 0 ? 'warn' : 'fail';
  const expiry = describeExpiry(expiresAt, now);
  const parts = [account ?? 'credentials accepted', status === 'warn' ? `${expiry}: renew them` : expiry, finding.note ?? ''];
  return {
    status,
    check: channel,
    detail: parts.filter(Boolean).join(' · '),
    facts: { state: 'valid', account, expiresAt: expiresAt?.toISOString() ?? null },
  };
}

/** A channel that is enabled but sends nothing (outbox, off); null for a live one. */
export function modeFinding(channel: string, mode: ChannelMode, outboxDir: string): Finding | null {
  if (mode === 'outbox') {
    return { status: 'warn', check: channel, detail: `no credentials: writes to ${outboxDir} instead of sending`, facts: { mode } };
  }
  if (mode === 'off') return { status: 'warn', check: channel, detail: 'no credentials and OUTBOX=false: off', facts: { mode } };
  return null;
}

/** Checks every channel at once, each bounded in time. */
export async function checkChannels(
  channels: readonly ChannelToCheck[],
  options: { now: Date; outboxDir: string; timeoutMs?: number },
): Promise<Finding[]> {
  const findings = await Promise.all(
    channels.map(async (channel) => {
      const byMode = modeFinding(channel.name, channel.mode, options.outboxDir);
      if (byMode) return byMode;
      const check = channel.check;
      if (!check) return null;
      return credentialFinding(channel.name, await runCredentialCheck({ name: channel.name, check }, options.timeoutMs), options.now);
    }),
  );
  return findings.filter((finding): finding is Finding => finding !== null);
}
