/**
 * fetchImage against real HTTP servers on 127.0.0.1 (real: node:http, sockets, redirects,
 * streaming; faked: DNS answers for *.test names, through the `lookup` option). No test
 * connects anywhere but 127.0.0.1: refused addresses are refused before any socket opens,
 * which the connection counters prove, and a spy on Socket#connect stops (and fails) any
 * attempt to reach another address should the code under test ever regress.
 */
import type { LookupAddress } from 'node:dns';
import { type Server, createServer } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FetchImageOptions, fetchImage } from '../../../src/media/fetch-image.js';
import { type ImageFetchFailure, ImageFetchError } from '../../../src/media/image-fetch-error.js';
import { isPublicAddress } from '../../../src/media/ip-address.js';
import { HTML, SVG, solidJpeg } from '../../fixtures/images/make-images.js';

const MB = 1024 * 1024;
let jpeg: Buffer;
let png: Buffer;
let origin: Server;
let sentinel: Server;
let port: number;
let sentinelPort: number;
let originConnections = 0;
let sentinelConnections = 0;

/** Routes of the image origin; `port` values are read when a request arrives. */
function route(path: string): {
  status: number;
  headers?: Record<string, string | number>;
  body?: Buffer | 'stall' | 'trickle' | 'stream-25mb';
} {
  const image = (body: Buffer, type = 'image/jpeg') => ({
    status: 200,
    headers: { 'content-type': type, 'content-length': body.length },
    body,
  });
  const redirect = (location: string, status = 302) => ({ status, headers: { location } });
  const chain = /^\/chain\/(\d+)$/.exec(path);
  if (chain) {
    const left = Number(chain[1]);
    return left === 0 ? image(jpeg) : redirect(`/chain/${left - 1}`);
  }
  switch (path) {
    case '/good.jpg':
      return image(jpeg);
    case '/png-labelled-jpeg':
      return image(png, 'image/jpeg');
    case '/html-as-jpeg':
      return image(HTML, 'image/jpeg');
    case '/page.html':
      return image(HTML, 'text/html; charset=utf-8');
    case '/no-type':
      return { status: 200, body: jpeg };
    case '/drawing.svg':
      return image(SVG, 'image/svg+xml');
    case '/svg-as-png':
      return image(SVG, 'image/png');
    case '/picture.bmp':
      return image(Buffer.from('BM....'), 'image/bmp');
    case '/huge-declared':
      return { status: 200, headers: { 'content-type': 'image/jpeg', 'content-length': 25 * MB }, body: 'stream-25mb' };
    case '/huge-chunked':
      return { status: 200, headers: { 'content-type': 'image/jpeg' }, body: 'stream-25mb' };
    case '/slow-headers':
      return { status: 0, body: 'stall' };
    case '/slow-body':
      return { status: 200, headers: { 'content-type': 'image/jpeg', 'content-length': jpeg.length }, body: 'trickle' };
    case '/r1':
      return redirect('/r2', 301);
    case '/r2':
      return redirect(`http://images.test:${port}/good.jpg`, 307);
    case '/to-metadata':
      return redirect('http://169.254.169.254/latest/meta-data/iam/security-credentials/');
    case '/to-loopback':
      return redirect(`http://127.0.0.1:${sentinelPort}/good.jpg`);
    case '/to-mapped-loopback':
      return redirect(`http://[::ffff:127.0.0.1]:${sentinelPort}/good.jpg`);
    case '/to-internal-name':
      return redirect(`http://internal.test:${sentinelPort}/good.jpg`);
    case '/to-file':
      return redirect('file:///etc/passwd');
    case '/no-location':
      return { status: 302 };
    case '/unavailable':
      return { status: 503 };
    default:
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: Buffer.from('not found') };
  }
}

function startServer(onConnection: () => void): Promise<Server> {
  const server = createServer((request, response) => {
    response.on('error', () => undefined);
    const answer = route(new URL(request.url ?? '/', 'http://origin').pathname);
    if (answer.body === 'stall') return;
    response.writeHead(answer.status, answer.headers);
    if (answer.body === 'trickle') {
      response.write(jpeg.subarray(0, 100));
    } else if (answer.body === 'stream-25mb') {
      const chunk = Buffer.alloc(MB, 0xff);
      for (let sent = 0; sent < 25; sent += 1) response.write(chunk);
      response.end();
    } else {
      response.end(answer.body);
    }
  });
  server.on('connection', onConnection);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Test DNS: only *.test names, all on loopback. The policies below trust images.test by name
// (standing in for a public CDN), so internal.test is what a name of a private address looks like.
const TEST_ZONE: Record<string, LookupAddress[]> = {
  'images.test': [{ address: '127.0.0.1', family: 4 }],
  'internal.test': [{ address: '127.0.0.1', family: 4 }],
};

/** Hosts passed to Socket#connect: IP literals, or names resolved inside connect by our lookup. */
const connectAttempts: string[] = [];
const LOOPBACK_OR_TEST_NAME = /^(127\.0\.0\.1|localhost|[a-z]+\.test)$/;

function guardSockets(): void {
  const realConnect = Socket.prototype.connect;
  vi.spyOn(Socket.prototype, 'connect').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
    const host = typeof first === 'object' && first !== null && 'host' in first ? String(first.host) : 'unknown';
    connectAttempts.push(host);
    if (!LOOPBACK_OR_TEST_NAME.test(host)) throw new Error(`test safety net: refused to connect to ${host}`);
    return (realConnect as (...inner: unknown[]) => Socket).apply(this, args);
  });
}
const lookedUp: string[] = [];
async function testLookup(hostname: string): Promise<LookupAddress[]> {
  lookedUp.push(hostname);
  const answer = TEST_ZONE[hostname];
  if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return answer;
}

/** The front host images.test counts as public (it is our loopback origin); nothing else does. */
const trustImagesTest: FetchImageOptions = {
  allowPrivate: false,
  lookup: testLookup,
  isAllowedAddress: (address, hostname) => hostname === 'images.test' || isPublicAddress(address),
};
const allowPrivate: FetchImageOptions = { allowPrivate: true, lookup: testLookup };

const url = (path: string, host = '127.0.0.1') => `http://${host}:${port}${path}`;

async function failure(promise: Promise<unknown>, reason: ImageFetchFailure): Promise<ImageFetchError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageFetchError);
  expect((error as ImageFetchError).reason).toBe(reason);
  return error as ImageFetchError;
}

beforeAll(async () => {
  guardSockets();
  jpeg = await solidJpeg(64, 48);
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#00ff00' } })
    .png()
    .toBuffer();
  origin = await startServer(() => (originConnections += 1));
  sentinel = await startServer(() => (sentinelConnections += 1));
  port = (origin.address() as AddressInfo).port;
  sentinelPort = (sentinel.address() as AddressInfo).port;
});

afterAll(async () => {
  vi.restoreAllMocks();
  for (const server of [origin, sentinel]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

beforeEach(() => {
  originConnections = 0;
  sentinelConnections = 0;
  lookedUp.length = 0;
  connectAttempts.length = 0;
});

describe('fetchImage with MEDIA_ALLOW_PRIVATE', () => {
  it('fetches a JPEG and reports its type and final URL', async () => {
    const fetched = await fetchImage(url('/good.jpg'), allowPrivate);
    expect(fetched.data.equals(jpeg)).toBe(true);
    expect(fetched).toMatchObject({ contentType: 'image/jpeg', finalUrl: url('/good.jpg') });
  });

  it('reports the type the bytes are, not the one the server claims', async () => {
    const fetched = await fetchImage(url('/png-labelled-jpeg'), allowPrivate);
    expect(fetched.contentType).toBe('image/png');
  });

  it('follows up to three redirects and no more', async () => {
    expect((await fetchImage(url('/chain/3'), allowPrivate)).finalUrl).toBe(url('/chain/0'));
    const error = await failure(fetchImage(url('/chain/4'), allowPrivate), 'too_many_redirects');
    expect(error.message).toMatch(/more than 3/);
    await failure(fetchImage(url('/chain/2'), { ...allowPrivate, maxRedirects: 1 }), 'too_many_redirects');
  });

  it.each([
    ['/html-as-jpeg', 'not_an_image', /bytes are no image/],
    ['/page.html', 'not_an_image', /text\/html/],
    ['/no-type', 'not_an_image', /no Content-Type/],
    ['/drawing.svg', 'unsupported_type', /svg/],
    ['/svg-as-png', 'unsupported_type', /SVG/],
    ['/picture.bmp', 'unsupported_type', /image\/bmp/],
    ['/missing', 'http_status', /404/],
    ['/no-location', 'http_status', /without a Location/],
    ['/to-file', 'invalid_url', /not http\(s\)/],
  ] as const)('refuses %s (%s)', async (path, reason, message) => {
    const error = await failure(fetchImage(url(path), allowPrivate), reason);
    expect(error.message).toMatch(message);
    expect(error.retryable).toBe(false);
  });

  it('keeps credentials in the URL out of its messages', async () => {
    const error = await failure(fetchImage(url('/missing', 'editor:s3cret@127.0.0.1'), allowPrivate), 'http_status');
    expect(error.message).toContain('/missing');
    expect(error.message).not.toContain('s3cret');
  });

  it('marks a 503 as worth retrying', async () => {
    const error = await failure(fetchImage(url('/unavailable'), allowPrivate), 'http_status');
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
  });

  it('refuses a declared 25 MB body before reading it', async () => {
    const error = await failure(fetchImage(url('/huge-declared'), allowPrivate), 'too_large');
    expect(error.message).toMatch(String(20 * MB));
  });

  it('stops reading an undeclared body once it passes the limit', async () => {
    await failure(fetchImage(url('/huge-chunked'), allowPrivate), 'too_large');
    await failure(fetchImage(url('/good.jpg'), { ...allowPrivate, maxBytes: 100 }), 'too_large');
  });

  it.each(['/slow-headers', '/slow-body'])('gives up on %s after the time-out', async (path) => {
    const started = Date.now();
    const error = await failure(fetchImage(url(path), { ...allowPrivate, timeoutMs: 300 }), 'timeout');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.retryable).toBe(true);
  });

  it('reports a refused connection as a retryable network failure', async () => {
    const closed = await startServer(() => undefined);
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(fetchImage(`http://127.0.0.1:${closedPort}/good.jpg`, allowPrivate), 'network');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.retryable).toBe(true);
  });

  it.each(['not a url', '/relative.jpg', 'ftp://127.0.0.1/a.jpg', 'file:///etc/passwd', 'data:image/png;base64,AAAA'])(
    'refuses %s as an invalid URL',
    async (text) => {
      await failure(fetchImage(text, allowPrivate), 'invalid_url');
    },
  );
});

describe('fetchImage without MEDIA_ALLOW_PRIVATE', () => {
  it.each([
    ['127.0.0.1', () => url('/good.jpg')],
    ['localhost', () => url('/good.jpg', 'localhost')],
    ['[::1]', () => url('/good.jpg', '[::1]')],
    ['[::ffff:127.0.0.1]', () => url('/good.jpg', '[::ffff:127.0.0.1]')],
    ['2130706433 (127.0.0.1 as one number)', () => url('/good.jpg', '2130706433')],
    ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/'],
    ['10.0.0.1', () => 'http://10.0.0.1/image.jpg'],
    ['[fd00::1]', () => 'http://[fd00::1]/image.jpg'],
  ])('refuses %s without connecting', async (_host, target) => {
    // The system resolver answers for localhost; the others are IP literals and never resolved.
    const error = await failure(fetchImage(target(), { allowPrivate: false }), 'private_address');
    expect(error.message).toMatch(/not a public address/);
    expect(originConnections).toBe(0);
    // localhost reaches Socket#connect (the name is resolved there, by the guarded lookup).
    expect(connectAttempts.filter((host) => host !== 'localhost')).toEqual([]);
  });

  it('checks the resolved address, not the name: images.test → 127.0.0.1 is refused', async () => {
    await failure(fetchImage(url('/good.jpg', 'images.test'), { allowPrivate: false, lookup: testLookup }), 'private_address');
    expect(lookedUp).toEqual(['images.test']);
    expect(originConnections).toBe(0);
  });

  it('connects to a host the policy accepts (images.test, standing in for a public host)', async () => {
    const fetched = await fetchImage(url('/good.jpg', 'images.test'), trustImagesTest);
    expect(fetched.data.equals(jpeg)).toBe(true);
    expect(originConnections).toBe(1);
  });

  it('follows redirects between allowed hosts', async () => {
    const fetched = await fetchImage(url('/r1', 'images.test'), trustImagesTest);
    expect(fetched.finalUrl).toBe(url('/good.jpg', 'images.test'));
  });

  it.each(['/to-metadata', '/to-loopback', '/to-mapped-loopback', '/to-internal-name'])(
    'refuses a redirect from an allowed host to a private one (%s) before connecting to it',
    async (path) => {
      await failure(fetchImage(url(path, 'images.test'), trustImagesTest), 'private_address');
      expect(originConnections).toBe(1);
      expect(sentinelConnections).toBe(0);
      expect(connectAttempts.filter((host) => host !== 'images.test' && host !== 'internal.test')).toEqual([]);
    },
  );

  it('follows the same redirect to loopback when private addresses are allowed', async () => {
    const fetched = await fetchImage(url('/to-loopback', 'images.test'), allowPrivate);
    expect(fetched.finalUrl).toBe(`http://127.0.0.1:${sentinelPort}/good.jpg`);
    expect(sentinelConnections).toBe(1);
  });
});
