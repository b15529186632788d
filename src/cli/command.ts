/**
 * The CLI's command table entry. Each command is one file under `cli/commands/` (a channel's
 * own commands live in its folder and come through its module); usage is generated from the
 * table, so it never lists a command that does not exist.
 */
import type { Config } from '../../config/load.js';
import type { Syndicate } from '../app.js';
import type { Logger } from '../logger.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliContext {
  config: Config;
  logger: Logger;
  io: CliIo;
  /** Opens the configured Syndicate (database, Redis, queues, channels); closed after the command unless it is long-lived. */
  open(): Promise<Syndicate>;
}

/** Options a command's arguments may carry (node:util parseArgs). */
export type CliOptions = Record<string, { type: 'boolean' | 'string'; short?: string }>;

export interface CliArguments {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  /** The arguments as given, for commands that parse their own (subcommands). */
  raw: string[];
}

export interface CliCommand {
  name: string;
  /** One line per form: [synopsis, what it does]. */
  usage: ReadonlyArray<readonly [string, string]>;
  options?: CliOptions;
  /** Runs until a signal (start, api, worker): the secrets are printed and logs are at LOG_LEVEL. */
  longLived?: boolean;
  /** Parses its own arguments (subcommands with their own options). */
  ownArguments?: boolean;
  /** Returns the exit code: 0 ok, 1 failure, 2 usage. */
  run(args: CliArguments, context: CliContext): Promise<number>;
}

/** A mistake in how the command was called: exit code 2 with the usage. */
export class UsageError extends Error {}
