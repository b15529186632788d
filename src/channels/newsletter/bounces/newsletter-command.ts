/**
 * `syndicate newsletter status` and `syndicate newsletter resume`: whether the newsletter queue
 * is paused (by the spam-rate guard, with its reason) and the operator's way to resume it.
 */
import type { SpamGuard } from './spam-guard.js';

export const NEWSLETTER_USAGE = `Usage:
  syndicate newsletter status   whether the newsletter queue is paused, and why
  syndicate newsletter resume   resume a newsletter paused by spam complaints`;

export interface NewsletterCommandIo {
  /** Opens the configured Syndicate's spam guard; the caller closes it. */
  open: () => Promise<Pick<SpamGuard, 'status' | 'resume'>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Runs `newsletter <args…>`.
 * @returns the exit code: 0 ok (`status` of a paused queue included: it is a report), 2 usage.
 */
export async function runNewsletterCommand(args: readonly string[], io: NewsletterCommandIo): Promise<number> {
  const [action, ...rest] = args;
  if ((action !== 'status' && action !== 'resume') || rest.length > 0) {
    io.stderr(
      `syndicate newsletter: ${action ? `unknown or malformed command "${args.join(' ')}"` : 'name status or resume'}\n\n${NEWSLETTER_USAGE}`,
    );
    return 2;
  }
  const guard = await io.open();
  if (action === 'status') {
    const status = await guard.status();
    if (!status.paused) io.stdout('newsletter: running');
    else
      io.stdout(
        `newsletter: paused${status.since ? ` since ${status.since.toISOString()}` : ''}${status.reason ? `: ${status.reason}` : ''}`,
      );
    return 0;
  }
  const before = await guard.resume();
  io.stdout(
    before.paused
      ? `newsletter resumed${before.reason ? ` (it was paused: ${before.reason})` : ''}`
      : 'newsletter was not paused; nothing to resume',
  );
  return 0;
}
