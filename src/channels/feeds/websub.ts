/**
 * WebSub publishing: tell each hub that topics changed (`hub.mode=publish`), so that
 * subscribers get pushed the new feed instead of polling for it.
 */

export interface PingOptions {
  fetch?: typeof fetch;
  /** Per-request time-out in milliseconds. @defaultValue 10000 */
  timeoutMs?: number;
}

/** Thrown when a hub refuses or cannot be reached; the caller retries later. */
export class HubPingError extends Error {
  constructor(
    readonly hub: string,
    message: string,
  ) {
    super(`WebSub hub ${hub}: ${message}`);
    this.name = 'HubPingError';
  }
}

/** Pings every hub for every topic; throws HubPingError naming the first hub that failed. */
export async function pingHubs(hubs: readonly string[], topics: readonly string[], options: PingOptions = {}): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const failures: HubPingError[] = [];
  for (const hub of hubs) {
    for (const topic of topics) {
      try {
        const response = await doFetch(hub, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }).toString(),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await response.arrayBuffer();
        if (!response.ok) failures.push(new HubPingError(hub, `answered ${response.status} for ${topic}`));
      } catch (error) {
        failures.push(new HubPingError(hub, (error as Error).message));
      }
    }
  }
  if (failures[0]) throw failures[0];
}
