import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

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

/** Path segments that are bearer tokens: the signed confirm and unsubscribe links. */
const TOKEN_PATH = /^(\/(?:confirm|unsubscribe)\/)[^/?#]+/;
/** Query parameters that carry a token or a signature. */
const TOKEN_PARAMETER = /([?&](?:token|signature|sig|key|access_token)=)[^&#]*/gi;

/** `url` (a request path) with its tokens replaced by `[redacted]`, for log lines. */
export function redactTokenPaths(url: string): string {
  return url.replace(TOKEN_PATH, '$1[redacted]').replace(TOKEN_PARAMETER, '$1[redacted]');
}

/** Any `url` or `req.url` field of a log line goes through {@link redactTokenPaths}. */
const serializers = {
  url: (value: unknown) => (typeof value === 'string' ? redactTokenPaths(value) : value),
  req: (value: unknown) => {
    const request = value as { url?: unknown } | null;
    return request && typeof request === 'object' && typeof request.url === 'string'
      ? { ...request, url: redactTokenPaths(request.url) }
      : value;
  },
};

/**
 * How log lines are written to `stream` (SPEC §7): readable, coloured lines (pino-pretty) when
 * it is a terminal; structured JSON, one object a line, otherwise (files, pipes, collectors).
 */
export function logFormatFor(stream: NodeJS.WritableStream | { isTTY?: boolean } | undefined): 'pretty' | 'json' {
  return stream !== undefined && 'isTTY' in stream && stream.isTTY === true ? 'pretty' : 'json';
}

/**
 * A structured logger (pino) that redacts secrets and token-bearing URLs, writing to
 * `destination` (standard output by default) as {@link logFormatFor} says.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'syndicate' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers };
  if (logFormatFor(destination ?? process.stdout) === 'pretty') return pino(options, prettyStream(destination ?? process.stdout));
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}

/** pino-pretty in this thread (no transport worker: nothing is lost at exit), loaded only for a terminal. */
function prettyStream(destination: NodeJS.WritableStream): pino.DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  // Redaction and serializers have run by then: pino-pretty formats the JSON line pino made.
  return pretty({ destination, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
}

export type { Logger };
