/**
 * What strangers' malformed requests get: our error shape (never Fastify's), never a 5xx, and a
 * 413 a real client can read even when it sends its whole oversized body first.
 * Real: Redis, SQLite, Fastify (inject, and a listening node:http server), Node's HTTP clients.
 */
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';

let t: TestSyndicate;
let port: number;
beforeAll(async () => {
  t = await startTestSyndicate('http-errors', { env: { CHANNELS: 'feeds,newsletter' }, roles: [] });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t?.stop();
});

function expectOurShape(body: string, code: string): void {
  const parsed = JSON.parse(body) as { error: { code: string; message: string; details: unknown[] } };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(parsed.error.code).toBe(code);
  expect(typeof parsed.error.message).toBe('string');
  expect(Array.isArray(parsed.error.details)).toBe(true);
}

describe('router errors', () => {
  it('answers malformed percent-encoding with 404 NOT_FOUND in our shape', async () => {
    for (const url of ['/%ZZ', '/feed.xml%ZZ', '/categories/%ZZ/feed.xml', '/api/articles/%E0%A4%A', '/confirm/%ZZ', '/media/%ZZ/x.jpg']) {
      const response = await t.app.inject({ method: 'GET', url, headers: t.auth });
      expect(response.statusCode, url).toBe(404);
      expectOurShape(response.body, 'NOT_FOUND');
    }
  });

  it('answers a path parameter past the router limit with 404 NOT_FOUND in our shape, not 414', async () => {
    for (const url of [`/confirm/${'a'.repeat(3000)}`, `/unsubscribe/${'a'.repeat(3000)}`, `/api/articles/${'a'.repeat(3000)}`]) {
      const response = await t.app.inject({ method: 'GET', url, headers: t.auth });
      expect(response.statusCode, url.slice(0, 20)).toBe(404);
      expectOurShape(response.body, 'NOT_FOUND');
    }
  });

  it('answers the same over a real socket', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/categories/%ZZ/feed.json`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expectOurShape(await response.text(), 'NOT_FOUND');
  });
});

describe('413 for an oversized body', () => {
  const CHUNK = Buffer.alloc(64 * 1024, 'x');
  const CHUNKS = 48; // 3 MiB, over the 2 MiB limit

  it('reaches a Node fetch client posting 3 MB as JSON in our shape', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/articles`, {
      method: 'POST',
      headers: { ...t.auth, 'content-type': 'application/json' },
      body: Buffer.alloc(CHUNK.length * CHUNKS, 'x'),
    });
    expect(response.status).toBe(413);
    expectOurShape(await response.text(), 'BODY_TOO_LARGE');
  });

  /**
   * A client on a real network is still sending when the server decides; over loopback the
   * kernel buffers 3 MB at once, so the body goes out in chunks after the server could already
   * have answered (as on a slow uplink). Closing without reading made the next write fail with
   * EPIPE or ECONNRESET, and http.request reported that instead of the answer.
   */
  it('reaches a node:http client still sending its body, without a broken pipe', async () => {
    const outcome = await new Promise<{ status?: number; body?: string; error?: string }>((resolve) => {
      const result: { status?: number; body?: string; error?: string } = {};
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/articles',
          method: 'POST',
          headers: { ...t.auth, 'content-type': 'application/json', 'content-length': String(CHUNK.length * CHUNKS) },
        },
        (response) => {
          result.status = response.statusCode;
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => {
            result.body = body;
            // Let a late socket error (the server closing before reading) surface before judging.
            setTimeout(() => resolve(result), 50);
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        result.error = error.code ?? error.message;
        resolve(result);
      });
      let sent = 0;
      const sendNext = () => {
        if (request.destroyed) return;
        if (sent++ === CHUNKS) return void request.end();
        request.write(CHUNK);
        setTimeout(sendNext, 2);
      };
      sendNext();
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe(413);
    expectOurShape(outcome.body ?? '', 'BODY_TOO_LARGE');
  });

  it('reaches a client that sends its whole request before reading, over a raw socket', async () => {
    const socket: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const failures: string[] = [];
    socket.on('error', (error: NodeJS.ErrnoException) => failures.push(error.code ?? error.message));
    const write = (data: Buffer | string) =>
      new Promise<void>((resolve) => {
        socket.write(data, (error?: Error | null) => {
          if (error) failures.push((error as NodeJS.ErrnoException).code ?? error.message);
          resolve();
        });
      });
    await write(
      `POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${t.auth.authorization}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${CHUNK.length * CHUNKS}\r\n\r\n`,
    );
    // Every byte of the body, paced like a slow uplink, before looking at any answer.
    for (let i = 0; i < CHUNKS; i++) {
      await write(CHUNK);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(failures.slice(0, 1), 'the body could not be sent').toEqual([]);
    // Until the server has answered in full (or hung up).
    await new Promise<void>((resolve) => {
      const answered = () => {
        const text = Buffer.concat(received).toString('utf8');
        const split = text.indexOf('\r\n\r\n');
        const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
        return split >= 0 && length !== undefined && Buffer.byteLength(text.slice(split + 4)) >= Number(length);
      };
      if (socket.destroyed || answered()) return resolve();
      socket.on('data', () => answered() && resolve());
      socket.once('close', () => resolve());
    });
    socket.destroy();
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expectOurShape(text.slice(text.indexOf('\r\n\r\n') + 4), 'BODY_TOO_LARGE');
  });
});
