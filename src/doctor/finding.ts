/**
 * `syndicate doctor`'s findings (SPEC §6): one line each, `fail` when it blocks delivery
 * (exit 1), `warn` when it deserves attention but does not (a token expiring within 30 days,
 * Redis without persistence), `skip` when it could not be looked at.
 */
import { renderTable } from '../cli/table.js';

export type FindingStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  status: FindingStatus;
  /** What was checked: `redis`, `database`, `x`… */
  check: string;
  /** What was found, for a person. */
  detail: string;
  /** The same, for scripts (`--json`): the account, the expiry, the version… */
  facts?: Record<string, string | number | boolean | null>;
}

export const FINDING_SYMBOLS: Record<FindingStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '·' };

/** 1 when any finding blocks delivery, else 0. */
export function doctorExitCode(findings: readonly Finding[]): 0 | 1 {
  return findings.some((finding) => finding.status === 'fail') ? 1 : 0;
}

/** The table, then one line that sums it up. */
export function renderFindings(findings: readonly Finding[]): string {
  const table = renderTable(
    [{ header: '' }, { header: '' }, { header: '' }],
    findings.map((finding) => [FINDING_SYMBOLS[finding.status], finding.check, finding.detail]),
    { indent: 2 },
  );
  const count = (status: FindingStatus) => findings.filter((finding) => finding.status === status).length;
  const failures = count('fail');
  const warnings = count('warn');
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const summary =
    failures > 0
      ? `${plural(failures, 'problem')} ${failures === 1 ? 'blocks' : 'block'} delivery${warnings ? `; ${plural(warnings, 'warning')}` : ''}.`
      : warnings > 0
        ? `Nothing blocks delivery; ${plural(warnings, 'warning')}.`
        : 'All good.';
  return `${table}\n\n${summary}`;
}

/** `--json`: `{ ok, findings }`, `ok` false exactly when the exit code is 1. */
export function findingsJson(findings: readonly Finding[]) {
  return { ok: doctorExitCode(findings) === 0, findings };
}
