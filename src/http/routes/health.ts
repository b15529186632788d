/** Liveness and readiness (SPEC §3): /readyz is 200 only when Redis and the database answer. */
import type { FastifyPluginAsync } from 'fastify';

export interface HealthChecks {
  redis(): Promise<void>;
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
    const [redis, database] = await Promise.all([check(checks.redis, 2000), check(checks.database, 2000)]);
    const ready = redis === 'ok' && database === 'ok';
    const channelsFailing = redis === 'ok' ? await checks.channels().catch(() => ({})) : {};
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', redis, database, channelsFailing });
  });
};
