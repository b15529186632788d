import type { Config } from '../../../config/load.js';

/**
 * The Graph API settings Facebook and Instagram share. 10 s per request keeps an Instagram send
 * (quota, container, polls, publish) well inside the ledger's 120 s lease.
 */
export function graphOptions(config: Config) {
  return { baseUrl: config.graph.baseUrl, version: config.graph.version, timeoutMs: 10_000 };
}
