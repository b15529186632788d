/**
 * The instance's status limits (`configuration.statuses` of `GET /api/v2/instance`), read once
 * and kept: refreshed at most every hour, because an admin rarely changes them and every status
 * needs them. A failed read keeps what was read before; with nothing read yet it falls back to
 * Mastodon's defaults (500 and 23) and tries again after a few minutes, so an instance that is
 * briefly down does not cost a request on every status.
 */
import { MastodonResponseError } from './errors.js';
import { DEFAULT_MASTODON_LIMITS, type MastodonLimits } from './fit.js';
import type { MastodonAnswer, MastodonRequester } from './http.js';

/** How long limits read from the instance are kept. */
export const MASTODON_LIMITS_TTL_MS = 60 * 60_000;

/** How long after a failed read the next one is tried. */
export const MASTODON_LIMITS_RETRY_MS = 5 * 60_000;

/** The limits of one instance, as last read. */
export interface InstanceLimits {
  /** What is known now, without a request: the last limits read, or the defaults. */
  current(): MastodonLimits;
  /** Reads the limits when they are due (never more than one read at a time) and returns them. Never throws. */
  ensure(): Promise<MastodonLimits>;
}

/** Limits read through `request`; `now` decides when they are due. */
export function createInstanceLimits(request: MastodonRequester, now: () => Date): InstanceLimits {
  let limits: MastodonLimits = DEFAULT_MASTODON_LIMITS;
  let dueAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<MastodonLimits> | null = null;

  async function refresh(): Promise<MastodonLimits> {
    try {
      limits = await readInstanceLimits(request);
      dueAt = now().getTime() + MASTODON_LIMITS_TTL_MS;
    } catch {
      // Keep the last limits read (or the defaults) and try again soon.
      dueAt = now().getTime() + MASTODON_LIMITS_RETRY_MS;
    }
    return limits;
  }

  return {
    current: () => limits,
    ensure() {
      if (now().getTime() < dueAt) return Promise.resolve(limits);
      reading ??= refresh().finally(() => {
        reading = null;
      });
      return reading;
    },
  };
}

/**
 * The instance's limits: `/api/v2/instance` (Mastodon 4.0 and later), else `/api/v1/instance`
 * (older Mastodon, and servers that speak its API, some of which say `max_toot_chars`). Fields
 * the answer lacks take Mastodon's defaults. Throws when neither can be read.
 */
export async function readInstanceLimits(request: MastodonRequester): Promise<MastodonLimits> {
  let path = '/api/v2/instance';
  let answer: MastodonAnswer;
  try {
    answer = await request('GET', path);
  } catch (error) {
    if (!(error instanceof MastodonResponseError && error.status === 404)) throw error;
    path = '/api/v1/instance';
    answer = await request('GET', path);
  }
  const instance = record(answer.body);
  // An HTML page (MASTODON_URL pointing at a website) is not "no limits": do not keep it.
  if (Object.keys(instance).length === 0) {
    throw new MastodonResponseError({ method: 'GET', path }, answer.status, answer.headers, answer.body, 'not an instance description');
  }
  const statuses = record(record(instance.configuration).statuses);
  return {
    maxCharacters:
      positiveInteger(statuses.max_characters) ?? positiveInteger(instance.max_toot_chars) ?? DEFAULT_MASTODON_LIMITS.maxCharacters,
    charactersReservedPerUrl: nonNegativeInteger(statuses.characters_reserved_per_url) ?? DEFAULT_MASTODON_LIMITS.charactersReservedPerUrl,
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
