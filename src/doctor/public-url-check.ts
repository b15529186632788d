/**
 * Whether PUBLIC_BASE_URL answers: readers' feeds, the links in every email and the images
 * Instagram fetches are all there. Asked like a stranger would, with a short time-out.
 */
import type { Finding } from './finding.js';

/** How long the answer may take. @defaultValue 5 s */
export const PUBLIC_URL_TIMEOUT_MS = 5000;

export async function checkPublicUrl(publicBaseUrl: string, timeoutMs = PUBLIC_URL_TIMEOUT_MS): Promise<Finding> {
  const url = `${publicBaseUrl}/healthz`;
  const started = Date.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    const body = (await response.json().catch(() => null)) as { status?: unknown } | null;
    const ms = Date.now() - started;
    if (response.ok && body?.status === 'ok') {
      return { status: 'ok', check: 'public url', detail: `${publicBaseUrl} answers (/healthz in ${ms} ms)`, facts: { url, ms } };
    }
    const what = response.ok ? 'an answer that is not Syndicate’s' : `HTTP ${response.status}`;
    return { status: 'fail', check: 'public url', detail: `${url} gave ${what}: readers, mail clients and Meta reach Syndicate there` };
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : describeFetchError(error);
    return { status: 'fail', check: 'public url', detail: `${url}: ${reason} (readers, mail clients and Meta reach Syndicate there)` };
  }
}

function describeFetchError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : null;
  return cause ?? (error as Error).message;
}
