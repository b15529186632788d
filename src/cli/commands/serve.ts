/** `start`, `api` and `worker`: the long-lived processes, running until SIGTERM or SIGINT. */
import type { Syndicate } from '../../app.js';
import type { Logger } from '../../logger.js';
import type { EmbeddedRedis } from '../../queue/embedded-redis.js';
import { UsageError, type CliCommand, type CliContext } from '../command.js';

async function serve(context: CliContext, roles: (app: Syndicate) => readonly string[], api: boolean): Promise<number> {
  const { config, logger } = context;
  const { ensureRedis } = await import('../../queue/embedded-redis.js');
  const embedded = await ensureRedis(config.redisUrl, config.dataDir, logger);
  const app = await context.open();
  await app.startWorkers(roles(app));
  if (api) {
    await app.startApi();
    logger.info(
      { url: config.publicBaseUrl, feeds: `${config.publicBaseUrl}/feed.xml` },
      `Syndicate is serving ${config.publicBaseUrl}/feed.xml`,
    );
  }
  return runUntilSignal(app, embedded, logger);
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully. */
function runUntilSignal(syndicate: Syndicate, embedded: EmbeddedRedis | null, logger: Logger): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      void syndicate
        .close()
        .then(() => embedded?.stop())
        .then(
          () => resolve(0),
          (error: unknown) => {
            logger.error({ err: (error as Error).message }, 'shutdown failed');
            resolve(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

export const startCommand: CliCommand = {
  name: 'start',
  usage: [['start', 'API and every worker in one process (what npm start runs)']],
  longLived: true,
  run: (_args, context) => serve(context, (app) => app.roles, true),
};

export const apiCommand: CliCommand = {
  name: 'api',
  usage: [['api', 'the HTTP API only']],
  longLived: true,
  run: (_args, context) => serve(context, () => [], true),
};

export const workerCommand: CliCommand = {
  name: 'worker',
  usage: [['worker <role>…|all', 'workers for publish and each enabled channel (feeds, newsletter, x…)']],
  longLived: true,
  run: (args, context) => {
    if (args.positionals.length === 0) throw new UsageError('name at least one role: publish, feeds…');
    return serve(context, (app) => (args.positionals.includes('all') ? app.roles : args.positionals), false);
  },
};
