/**
 * Social channels: compose throughput (X, Facebook, Instagram) beside the floor of X's own
 * weighted count (`twitter-text` parseTweet on the same texts); and the p50 time from
 * POST /api/articles until the request reaches each local platform server, beside one raw
 * BullMQ hop. The latency part runs in a child process started with NODE_EXTRA_CA_CERTS, so
 * that X is reached over HTTPS exactly as in production.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import twitterText from '../src/domain/twitter-text.js';
import { composeFacebookPost } from '../src/channels/facebook/compose.js';
import { composeInstagramPost } from '../src/channels/instagram/compose.js';
import { composeXPost } from '../src/channels/x/compose.js';
import { createTestTls } from '../tests/helpers/tls.js';
import { benchArticles } from './articles.js';
import { fmt, type Row } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function opsPerSecond(run: () => void, minMs = 1000): number {
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    run();
    count++;
  }
  return (count * 1000) / (performance.now() - started);
}

function composeRows(): Row[] {
  const articles = benchArticles(200).map((article, i) => ({
    ...article,
    tags: Array.from({ length: 1 + (i % 40) }, (_, j) => `Tag number ${j}`),
  }));
  let i = 0;
  const next = () => articles[i++ % articles.length]!;
  const texts = articles.map((a) => `${a.title} ${a.url} ${a.tags.map((t) => `#${t.replace(/\s+/g, '')}`).join(' ')}`);
  const floor = opsPerSecond(() => twitterText.parseTweet(texts[i++ % texts.length]!));
  const rows: Row[] = [];
  for (const [name, compose] of [
    ['X', (a: ReturnType<typeof next>) => composeXPost(a, { template: '{title} {url} {hashtags}', linkMode: 'inline' })],
    ['Facebook', (a: ReturnType<typeof next>) => composeFacebookPost(a)],
    ['Instagram', (a: ReturnType<typeof next>) => composeInstagramPost({ ...a, image: { url: 'https://desk.example/i.jpg' } })],
  ] as const) {
    const ours = opsPerSecond(() => compose(next()));
    rows.push({
      benchmark: `compose ${name} (1–40 tags)`,
      ours: fmt(ours, 'posts/s', 0),
      baseline: `${fmt(floor, 'parseTweet/s', 0)} (one twitter-text count)`,
      ratio: (ours / floor).toFixed(2),
      target: 'informational',
    });
  }
  return rows;
}

async function latencyRows(): Promise<Row[]> {
  const tls = await createTestTls();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'social-latency.ts')], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.caFile, BENCH_TLS: JSON.stringify({ certPem: tls.certPem, keyPem: tls.keyPem }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`social-latency exited with ${code}`);
    return JSON.parse(out.trim().split('\n').pop() ?? '[]') as Row[];
  } finally {
    await tls.remove();
  }
}

export async function benchSocial(): Promise<Row[]> {
  return [...composeRows(), ...(await latencyRows())];
}
