import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

// Hash both sides first: timingSafeEqual needs equal lengths, and the length must not leak.
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A preHandler that requires `Authorization: Bearer <token>`, compared in constant time. */
export function requireBearer(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) throw new AppError('TOKEN_MISSING', 'send Authorization: Bearer <PUBLISHER_TOKEN>');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new AppError('TOKEN_INVALID', 'the bearer token is not valid');
    }
  };
}
