/**
 * Meta's usage headers: how much of a rate limit the calls so far have used, as percentages,
 * and (for Business Use Case limits) how many minutes until a throttled caller may call again.
 *
 * - `X-App-Usage`: `{"call_count":28,"total_time":25,"total_cputime":25}` (platform limits).
 * - `X-Business-Use-Case-Usage`: `{"<business-object-id>":[{"type":"pages","call_count":100,
 *   "total_cputime":25,"total_time":25,"estimated_time_to_regain_access":19}]}` (Page and
 *   Instagram tokens are under these).
 *
 * Absent or malformed headers mean "unknown", never "no usage".
 */

/** Usage percentages (0–100, may exceed 100) of one rate limit. */
export interface UsagePercentages {
  callCount: number;
  totalCputime: number;
  totalTime: number;
}

/** One entry of `X-Business-Use-Case-Usage`. */
export interface BusinessUseCaseUsage extends UsagePercentages {
  /** The business object (Page, Instagram account…) the limit applies to. */
  businessObjectId: string;
  /** The use case: `pages`, `instagram`, `ads_management`… */
  type: string;
  /** Minutes until calls are no longer throttled; 0 when not throttled. */
  estimatedTimeToRegainAccessMinutes: number;
}

/** What a response's usage headers said. */
export interface GraphUsage {
  /** `X-App-Usage`, or null when absent or unreadable. */
  app: UsagePercentages | null;
  /** `X-Business-Use-Case-Usage` entries (empty when absent or unreadable). */
  businessUseCase: BusinessUseCaseUsage[];
}

function parseJson(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function percentage(record: Record<string, unknown>, key: string): number {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function percentages(record: Record<string, unknown>): UsagePercentages {
  return {
    callCount: percentage(record, 'call_count'),
    totalCputime: percentage(record, 'total_cputime'),
    totalTime: percentage(record, 'total_time'),
  };
}

/** Reads the usage headers of a Graph API response. */
export function parseUsageHeaders(headers: Headers): GraphUsage {
  const appJson = parseJson(headers.get('x-app-usage'));
  const app = isRecord(appJson) ? percentages(appJson) : null;

  const businessUseCase: BusinessUseCaseUsage[] = [];
  const bucJson = parseJson(headers.get('x-business-use-case-usage'));
  if (isRecord(bucJson)) {
    for (const [businessObjectId, entries] of Object.entries(bucJson)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!isRecord(entry)) continue;
        businessUseCase.push({
          businessObjectId,
          type: typeof entry.type === 'string' ? entry.type : '',
          ...percentages(entry),
          estimatedTimeToRegainAccessMinutes: percentage(entry, 'estimated_time_to_regain_access'),
        });
      }
    }
  }
  return { app, businessUseCase };
}

/**
 * When a throttled caller may call again, from the headers alone: now plus the longest
 * `estimated_time_to_regain_access`. Null when the headers give no estimate (the caller
 * then backs off by its own rule).
 */
export function backoffUntil(usage: GraphUsage, now: Date): Date | null {
  const minutes = Math.max(0, ...usage.businessUseCase.map((entry) => entry.estimatedTimeToRegainAccessMinutes));
  return minutes > 0 ? new Date(now.getTime() + minutes * 60_000) : null;
}
