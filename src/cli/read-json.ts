import { readFileSync } from 'node:fs';
import { AppError } from '../errors.js';
import { UsageError, type CliIo } from './command.js';

/** An article from a file or standard input (`-`). */
export async function readJson(source: string | undefined, io: CliIo): Promise<unknown> {
  if (!source) throw new UsageError('a file name (or - for standard input) is required');
  const text = source === '-' ? await io.readStdin() : readFileSync(source, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('BODY_INVALID', `${source === '-' ? 'standard input' : source} is not valid JSON: ${(error as Error).message}`);
  }
}
