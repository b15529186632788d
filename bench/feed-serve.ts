/**
 * Serving /feed.xml: requests per second of our API (Fastify, feed from the in-memory cache)
 * against a bare node:http server holding the same bytes, for 200s and for 304s. Each server
 * runs in its own process; autocannon runs in this one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { fmt, type Row } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DURATION_S = Number(process.env.BENCH_SERVE_SECONDS ?? 5);

function startServer(script: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'servers', script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function load(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url, connections: 50, duration: DURATION_S, headers });
  if (result.non2xx > 0 && !headers['if-none-match']) throw new Error(`${url}: ${result.non2xx} non-2xx answers`);
  return result.requests.average;
}

function getRaw(url: string): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

export async function benchFeedServe(): Promise<Row[]> {
  const ours = await startServer('syndicate-server.ts', []);
  try {
    const oursUrl = `http://127.0.0.1:${ours.port}/feed.xml`;
    // The exact gzip bytes and headers we serve, for the bare server to hold.
    const sample = await getRaw(oursUrl);
    const etag = String(sample.headers.etag ?? '');
    const contentType = String(sample.headers['content-type'] ?? '');
    const bodyFile = path.join(tmpdir(), `syndicate-bench-${process.pid}.gz`);
    writeFileSync(bodyFile, sample.body);
    const bare = await startServer('bare-server.ts', [bodyFile, etag, contentType]);
    try {
      const bareUrl = `http://127.0.0.1:${bare.port}/feed.xml`;
      const plain = { 'accept-encoding': 'gzip' };
      const conditional = { 'accept-encoding': 'gzip', 'if-none-match': etag };
      await load(oursUrl, plain); // warm-up
      const ours200 = await load(oursUrl, plain);
      const bare200 = await load(bareUrl, plain);
      const ours304 = await load(oursUrl, conditional);
      const bare304 = await load(bareUrl, conditional);
      return [
        {
          benchmark: '/feed.xml 200 (gzip, 50 items)',
          ours: fmt(ours200, 'req/s', 0),
          baseline: `${fmt(bare200, 'req/s', 0)} (bare node:http)`,
          ratio: (ours200 / bare200).toFixed(2),
          target: '≥ 0.70',
        },
        {
          benchmark: '/feed.xml 304 (If-None-Match)',
          ours: fmt(ours304, 'req/s', 0),
          baseline: `${fmt(bare304, 'req/s', 0)} (bare node:http)`,
          ratio: (ours304 / bare304).toFixed(2),
          target: '≥ 0.70',
        },
      ];
    } finally {
      await stop(bare.child);
    }
  } finally {
    await stop(ours.child);
  }
}
