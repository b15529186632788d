/**
 * `syndicate` — the command line (SPEC §6). Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../../config/load.js';
import { ARTICLE_CHANNEL_NAMES } from '../../config/schema.js';
import type { Syndicate } from '../app.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EmbeddedRedis } from '../queue/embedded-redis.js';
import { TERMINAL_STATES } from '../domain/delivery.js';

// Heavy modules (BullMQ, Fastify, Kysely…) load only for the commands that need them, so that
// `syndicate --help` and usage errors answer at once.
const load = {
  app: () => import('../app.js'),
  logger: () => import('../logger.js'),
  redis: () => import('../queue/embedded-redis.js'),
  present: () => import('../http/present.js'),
  preview: () => import('../services/preview.js'),
  database: () => import('../store/database.js'),
  migrate: () => import('../store/migrate.js'),
  registry: () => import('../channels/registry.js'),
  subscribers: () => import('../channels/newsletter/cli.js'),
};

export const USAGE = `Usage: syndicate <command> [options]

Commands:
  start                          API and every worker in one process (what npm start runs)
  api                            the HTTP API only
  worker <role>…|all             workers for: publish, feeds (newsletter, x, facebook, instagram when built)
  publish <file.json|->          publish an article (validated, stored, queued)
  preview <file.json|->          render an article for every channel; nothing stored or sent
  status [id] [--watch]          an article and its deliveries, or the newest articles
  retract <id>                   retract an article everywhere
  retry <id> [--channel c]       re-queue failed deliveries
  subscribers import <file.csv> [--confirmed]
                                 add or update subscribers from a CSV (bad rows reported, skipped)
  subscribers export             every subscriber as CSV on standard output
  migrate                        apply database migrations

Exit codes: 0 ok, 1 failure, 2 usage.`;

class UsageError extends Error {}

const KNOWN_COMMANDS = ['start', 'api', 'worker', 'publish', 'preview', 'status', 'retract', 'retry', 'subscribers', 'migrate'];

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
  cwd: process.cwd(),
};

async function readJson(source: string | undefined, io: CliIo): Promise<unknown> {
  if (!source) throw new UsageError('a file name (or - for standard input) is required');
  const text = source === '-' ? await io.readStdin() : readFileSync(source, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('BODY_INVALID', `${source === '-' ? 'standard input' : source} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Runs a long-lived process until SIGTERM/SIGINT, then shuts down gracefully. */
async function runService(syndicate: Syndicate, embedded: EmbeddedRedis | null, logger: Logger): Promise<number> {
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

function printSecrets(generated: Partial<Record<string, string>>, config: Config, io: CliIo): void {
  const names = Object.keys(generated);
  if (names.length === 0) return;
  io.stderr(`Generated ${names.join(', ')} into ${config.dataDir}/secrets.json (shown once):`);
  for (const [name, value] of Object.entries(generated)) io.stderr(`  ${name}=${value}`);
}

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    (command ? io.stdout : io.stderr)(USAGE);
    return command ? 0 : 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { watch: { type: 'boolean' }, channel: { type: 'string' }, limit: { type: 'string' }, confirmed: { type: 'boolean' } },
    });
  } catch (error) {
    io.stderr(`syndicate ${command}: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const positionals = parsed.positionals;
  const longLived = command === 'start' || command === 'api' || command === 'worker';

  let syndicate: Syndicate | undefined;
  try {
    if (!KNOWN_COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"`);
    const { config, generated } = loadConfig(io.env, { cwd: io.cwd });
    const { createLogger } = await load.logger();
    const logger = createLogger(longLived ? config.logLevel : 'warn', longLived ? undefined : process.stderr);
    if (longLived) printSecrets(generated, config, io);

    const open = async (): Promise<Syndicate> => {
      const { createSyndicate } = await load.app();
      syndicate = await createSyndicate(config, logger);
      return syndicate;
    };

    switch (command) {
      case 'start':
      case 'api':
      case 'worker': {
        if (command === 'worker' && positionals.length === 0) throw new UsageError('name at least one role: publish, feeds…');
        const { ensureRedis } = await load.redis();
        const embedded = await ensureRedis(config.redisUrl, config.dataDir, logger);
        const app = await open();
        const roles = command === 'start' || positionals.includes('all') ? app.roles : command === 'worker' ? positionals : [];
        await app.startWorkers(roles);
        if (command !== 'worker') {
          await app.startApi();
          logger.info(
            { url: config.publicBaseUrl, feeds: `${config.publicBaseUrl}/feed.xml` },
            `Syndicate is serving ${config.publicBaseUrl}/feed.xml`,
          );
        }
        return await runService(app, embedded, logger);
      }
      case 'publish': {
        const input = await readJson(positionals[0], io);
        const app = await open();
        const result = await app.service.submit(input);
        io.stdout(
          JSON.stringify({ id: result.record.id, revision: result.record.revision, result: result.status, state: result.record.state }),
        );
        return 0;
      }
      case 'preview': {
        const input = await readJson(positionals[0], io);
        const [{ createPreviewRenderer }, { feedSite, emailSiteOf }] = await Promise.all([load.preview(), load.app()]);
        const { platformEntries } = await load.registry();
        const composers = (await platformEntries(config)).map((entry) => entry.composer);
        const render = createPreviewRenderer({
          site: feedSite(config),
          channelNames: ARTICLE_CHANNEL_NAMES,
          composers,
          ...(config.channels.includes('newsletter') ? { email: emailSiteOf(config) } : {}),
        });
        io.stdout(JSON.stringify(await render(input), null, 2));
        return 0;
      }
      case 'status': {
        const { presentArticle, presentDeliveries } = await load.present();
        const app = await open();
        const id = positionals[0];
        if (!id) {
          const page = await app.service.list(Number(parsed.values.limit ?? 20), null);
          for (const record of page.items) {
            io.stdout(`${record.publishedAt.toISOString()}  ${record.state.padEnd(9)}  ${record.id}  ${record.title}`);
          }
          return 0;
        }
        for (;;) {
          const view = await app.service.view(id);
          io.stdout(
            JSON.stringify({ ...presentArticle(view.article), deliveries: presentDeliveries(view.deliveries, view.newsletter) }, null, 2),
          );
          const done =
            view.deliveries.every((d) => TERMINAL_STATES.includes(d.state)) &&
            (view.newsletter?.pending ?? 0) === 0 &&
            view.article.state !== 'scheduled';
          if (!parsed.values.watch || done) return 0;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
      case 'retract': {
        if (!positionals[0]) throw new UsageError('retract needs an article id');
        const { presentDeliveries } = await load.present();
        const app = await open();
        const view = await app.service.retract(positionals[0]);
        io.stdout(
          JSON.stringify({
            id: view.article.id,
            state: view.article.state,
            deliveries: presentDeliveries(view.deliveries, view.newsletter),
          }),
        );
        return 0;
      }
      case 'retry': {
        if (!positionals[0]) throw new UsageError('retry needs an article id');
        const app = await open();
        const channel = parsed.values.channel;
        const requeued = await app.service.retry(positionals[0], typeof channel === 'string' ? channel : undefined);
        io.stdout(JSON.stringify({ id: positionals[0], requeued }));
        return 0;
      }
      case 'subscribers': {
        const { runSubscribersCommand } = await load.subscribers();
        return await runSubscribersCommand(rest, {
          open,
          output: process.stdout,
          stderr: io.stderr,
          terminal: process.stderr.isTTY ? process.stderr : null,
        });
      }
      case 'migrate': {
        const [{ openDatabase }, { migrateToLatest }] = await Promise.all([load.database(), load.migrate()]);
        const database = await openDatabase(config.databaseUrl);
        try {
          const applied = await migrateToLatest(database);
          io.stdout(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        } finally {
          await database.close();
        }
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`syndicate ${command}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(error.message);
      return 1;
    }
    if (error instanceof AppError) {
      io.stderr(JSON.stringify(error.toJSON()));
      return 1;
    }
    io.stderr(`syndicate ${command}: ${(error as Error).message}`);
    return 1;
  } finally {
    if (!longLived) await syndicate?.close();
  }
}
