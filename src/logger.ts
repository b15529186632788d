import { pino, type Logger } from 'pino';

/** Paths whose values never reach a log line: tokens, passwords, credentials. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.publisherToken',
  '*.adminToken',
  '*.secretKey',
  '*.smtpUrl',
  '*.credentials',
  '*.pageToken',
];

/** A structured JSON logger (pino) that redacts secrets. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'syndicate' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

export type { Logger };
