/**
 * Lingering close, as nginx does it: before answering a request whose body we refuse unread
 * (413), read and throw away what the client is still sending, up to a bound. A server that
 * answers and closes at once makes the client's remaining writes fail (EPIPE, ECONNRESET), and
 * most clients — Node's http.request among them — then report that instead of our answer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** How much of a refused body is read before answering anyway. */
export interface DiscardLimits {
  /** Bytes read at most; a body declared or found longer is not waited for. @defaultValue 10 MiB */
  maxBytes: number;
  /** Milliseconds waited at most (slow senders). @defaultValue 5000 */
  timeoutMs: number;
}

export const DEFAULT_DISCARD_LIMITS: Readonly<DiscardLimits> = Object.freeze({ maxBytes: 10 * 1024 * 1024, timeoutMs: 5000 });

/**
 * Reads the rest of `request`'s body and drops it.
 * @returns true when the body was read to its end (the connection can carry another request),
 * false when a limit was reached or the request failed (close the connection after answering).
 */
export function discardRequestBody(
  request: Readable & { headers?: IncomingHttpHeaders },
  limits: DiscardLimits = DEFAULT_DISCARD_LIMITS,
): Promise<boolean> {
  if (request.readableEnded) return Promise.resolve(true);
  if (request.destroyed) return Promise.resolve(false);
  const declared = Number(request.headers?.['content-length']);
  if (declared > limits.maxBytes) return Promise.resolve(false);

  return new Promise((resolve) => {
    let received = 0;
    let settled = false;
    const finish = (drained: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onFailure);
      request.off('close', onFailure);
      if (!drained) request.pause();
      resolve(drained);
    };
    const onData = (chunk: Buffer | string) => {
      received += chunk.length;
      if (received > limits.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFailure = () => finish(false);
    const timer = setTimeout(() => finish(false), limits.timeoutMs);
    timer.unref();
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onFailure);
    request.on('close', onFailure);
    request.resume();
  });
}
