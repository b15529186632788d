/**
 * `syndicate` — the command line (SPEC §6). A table of commands, one file each (a channel's own
 * commands come from its module); usage is generated from the table. Exit codes: 0 ok,
 * 1 failure, 2 usage.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../../config/load.js';
import type { Syndicate } from '../app.js';
import { CHANNEL_MODULES } from '../channels/modules.js';
import { AppError } from '../errors.js';
import { UsageError, type CliCommand, type CliIo } from './command.js';
import { doctorCommand } from './commands/doctor.js';
import { migrateCommand } from './commands/migrate.js';
import { previewCommand } from './commands/preview.js';
import { publishCommand } from './commands/publish.js';
import { retractCommand } from './commands/retract.js';
import { retryCommand } from './commands/retry.js';
import { apiCommand, startCommand, workerCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';

export type { CliIo } from './command.js';

/**
 * How long a one-shot command's SQLite statements wait for a running service's write lock
 * (the service's own wait is short: it must not freeze). Waiting here blocks nobody else.
 */
const CLI_BUSY_TIMEOUT_MS = 15_000;

/** Every command: the core ones, then each channel's. */
export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  apiCommand,
  workerCommand,
  publishCommand,
  previewCommand,
  statusCommand,
  retractCommand,
  retryCommand,
  ...CHANNEL_MODULES.flatMap((module) => module.commands ?? []),
  migrateCommand,
  doctorCommand,
];

function usageText(commands: readonly CliCommand[]): string {
  const lines = commands.flatMap((command) => command.usage);
  const width = Math.max(...lines.map(([synopsis]) => synopsis.length)) + 2;
  const body = lines
    .map(([synopsis, description]) =>
      synopsis.length + 2 > 40 ? `  ${synopsis}\n  ${' '.repeat(width)}${description}` : `  ${synopsis.padEnd(width)}${description}`,
    )
    .join('\n');
  return `Usage: syndicate <command> [options]\n\nCommands:\n${body}\n\nExit codes: 0 ok, 1 failure, 2 usage.`;
}

export const USAGE = usageText(COMMANDS);

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

/**
 * Only the publisher token is shown: a newsroom needs it to publish. SECRET_KEY never leaves the
 * file; ADMIN_TOKEN is read from it when needed (it would otherwise sit in terminal scrollback and logs).
 */
function printSecrets(generated: Partial<Record<string, string>>, config: Config, io: CliIo): void {
  const names = Object.keys(generated);
  if (names.length === 0) return;
  io.stderr(`Generated ${names.join(', ')} into ${config.dataDir}/secrets.json (mode 0600).`);
  if (generated.PUBLISHER_TOKEN) io.stderr(`  PUBLISHER_TOKEN=${generated.PUBLISHER_TOKEN}`);
}

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    (name ? io.stdout : io.stderr)(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr(`syndicate ${name}: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  let parsed: { positionals: string[]; values: Record<string, string | boolean | undefined> };
  try {
    parsed = command.ownArguments
      ? { positionals: rest, values: {} }
      : parseArgs({ args: rest, allowPositionals: true, options: command.options ?? {} });
  } catch (error) {
    io.stderr(`syndicate ${name}: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }

  let syndicate: Syndicate | undefined;
  try {
    const { config, generated } = loadConfig(io.env, { cwd: io.cwd });
    const { createLogger } = await import('../logger.js');
    const logger = createLogger(command.longLived ? config.logLevel : 'warn', command.longLived ? undefined : process.stderr);
    if (command.longLived) printSecrets(generated, config, io);
    const open = async (): Promise<Syndicate> => {
      const [{ createSyndicate }, { waitForLocks }] = await Promise.all([import('../app.js'), import('../store/database.js')]);
      if (!syndicate) {
        syndicate = await createSyndicate(config, logger);
        // `subscribers import` while the service sends used to fail with "database is locked".
        if (!command.longLived) await waitForLocks(syndicate.database, CLI_BUSY_TIMEOUT_MS);
      }
      return syndicate;
    };
    return await command.run({ ...parsed, raw: rest }, { config, logger, io, open });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`syndicate ${name}: ${error.message}\n\n${USAGE}`);
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
    io.stderr(`syndicate ${name}: ${(error as Error).message}`);
    return 1;
  } finally {
    if (!command.longLived) await syndicate?.close();
  }
}
