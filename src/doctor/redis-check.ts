/**
 * Redis as BullMQ needs it: version 6.2 or newer, `maxmemory-policy noeviction` (any other
 * policy may evict queued jobs under memory pressure: blocking), and persistence (AOF or RDB
 * snapshots; without, a restart loses delays, rate-limit pauses and webhook retries — the
 * reconciler re-enqueues deliveries from the ledger, so it is a warning).
 */
import { Redis } from 'ioredis';
import { redactRedisUrl } from '../queue/redis.js';
import type { Finding } from './finding.js';

/** The oldest Redis BullMQ is run on here. */
export const MINIMUM_REDIS_VERSION = '6.2.0';

/** What Redis says of itself. */
export interface RedisFacts {
  version: string;
  /** null when INFO does not say. */
  maxmemoryPolicy: string | null;
  aof: boolean;
  /** `CONFIG GET save` ('' when snapshots are off); null when CONFIG is refused (managed Redis). */
  rdbSave: string | null;
}

/** The `key:value` lines of an INFO answer. */
export function parseRedisInfo(info: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** Negative, zero or positive as version `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [left, right] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The findings for what Redis said. */
export function redisFindings(facts: RedisFacts, url: string): Finding[] {
  const where = redactRedisUrl(url);
  const recent = compareVersions(facts.version, MINIMUM_REDIS_VERSION) >= 0;
  const policy = facts.maxmemoryPolicy;
  const snapshots = facts.rdbSave !== null && facts.rdbSave.trim() !== '';
  const persistence: Finding =
    facts.aof || snapshots
      ? {
          status: 'ok',
          check: 'redis persistence',
          detail: [facts.aof ? 'AOF on' : '', snapshots ? `RDB snapshots (save ${facts.rdbSave})` : ''].filter(Boolean).join(', '),
        }
      : {
          status: 'warn',
          check: 'redis persistence',
          detail:
            facts.rdbSave === null
              ? 'AOF off, and CONFIG GET save was refused: snapshots unknown'
              : 'off (no AOF, no RDB snapshots): a restart loses delayed jobs, rate-limit pauses and webhook retries; the reconciler re-queues deliveries from the ledger',
        };
  return [
    {
      status: recent ? 'ok' : 'fail',
      check: 'redis',
      detail: recent
        ? `Redis ${facts.version} at ${where}`
        : `Redis ${facts.version} at ${where}: BullMQ needs ${MINIMUM_REDIS_VERSION} or newer`,
      facts: { version: facts.version },
    },
    {
      status: policy === 'noeviction' ? 'ok' : policy === null ? 'warn' : 'fail',
      check: 'redis maxmemory-policy',
      detail:
        policy === 'noeviction'
          ? 'noeviction'
          : policy === null
            ? 'unknown (INFO memory does not say): BullMQ needs noeviction'
            : `${policy}: Redis may evict queued jobs when memory runs short; set maxmemory-policy noeviction`,
      facts: { maxmemoryPolicy: policy },
    },
    { ...persistence, facts: { aof: facts.aof, rdbSave: facts.rdbSave } },
  ];
}

/** Connects to `url` (once, no retries) and reads what the findings need. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<Finding[]> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const [server, memory, persistence] = await Promise.all([redis.info('server'), redis.info('memory'), redis.info('persistence')]);
    const rdbSave = await redis
      .config('GET', 'save')
      .then((answer) => (Array.isArray(answer) ? String(answer[1] ?? '') : null))
      .catch(() => null);
    return redisFindings(
      {
        version: parseRedisInfo(server).redis_version ?? '0',
        maxmemoryPolicy: parseRedisInfo(memory).maxmemory_policy ?? null,
        aof: parseRedisInfo(persistence).aof_enabled === '1',
        rdbSave,
      },
      url,
    );
  } catch (error) {
    return [{ status: 'fail', check: 'redis', detail: `no answer at ${redactRedisUrl(url)}: ${(error as Error).message}` }];
  } finally {
    redis.disconnect();
  }
}
