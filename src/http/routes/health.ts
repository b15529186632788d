/**
 * Liveness and readiness (SPEC §3): /readyz is 200 only when Redis answers and the database
 * would take a write (a SQLite file locked by another process is not ready), within 2 s.
 */
import type { FastifyPluginAsync } from 'fastify';

/** Each check's bound: both run at once, so /readyz answers within SPEC §7's 2 s. */
const CHECK_TIMEOUT_MS = 1500;
/** Retry-After of a 503 from /readyz, as the API's. */
const RETRY_AFTER_SECONDS = 5;

export interface HealthChecks {
  redis(): Promise<void>;
  /** Rejects when the database would not take a write now (not only when reads fail). */
  database(): Promise<void>;
  /** Channels whose credentials failed, with the reason. */
  channels(): Promise<Record<string, string>>;
}

async function check(probe: () => Promise<void>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return (error as Error).message || 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsync<{ checks: HealthChecks }> = async (app, { checks }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [redis, database] = await Promise.all([check(checks.redis, CHECK_TIMEOUT_MS), check(checks.database, CHECK_TIMEOUT_MS)]);
    const ready = redis === 'ok' && database === 'ok';
    const channelsFailing = redis === 'ok' ? await checks.channels().catch(() => ({})) : {};
    if (!ready) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', redis, database, channelsFailing });
  });
};
