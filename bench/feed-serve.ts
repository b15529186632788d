/**
 * Serving /feed.xml: requests per second of our API (a real Syndicate process, feed from its
 * in-memory cache) against a bare node:http server holding the same bytes and headers, for 200s
 * (gzip) and 304s (If-None-Match). Each server runs in its own process and `wrk` loads it
 * (autocannon, in Node, saturated below a bare server's rate and hid the gap). The two servers
 * are loaded alternately, several rounds; the row gives the median of the per-round ratios.
 *
 * BENCH_SERVE_SECONDS (default 5) per load, BENCH_SERVE_ROUNDS (default 3),
 * BENCH_SERVE_CPU_PROF=dir writes a --cpu-prof profile of our server process there.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fmt, percentile, type Row } from './stats.js';
import { startServer, stop } from './child-server.js';

const DURATION_S = Number(process.env.BENCH_SERVE_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 3);
const CONNECTIONS = 50;
/** One wrk thread: it drives 50 connections far past a single Node process's rate, and leaves the other core to the server. */
const WRK_THREADS = 1;
const TARGET = 0.9;

/** Headers Node writes itself; the bare server lets Node write them too. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** wrk, installed from Debian's package when missing (says so: it changes the machine). */
function ensureWrk(): void {
  if (onPath('wrk')) return;
  console.log('feed-serve: `wrk` is not installed; running `apt-get install -y wrk`');
  const asRoot = process.getuid?.() === 0;
  const run = (args: string[]) =>
    asRoot ? spawnSync('apt-get', args, { stdio: 'inherit' }) : spawnSync('sudo', ['apt-get', ...args], { stdio: 'inherit' });
  run(['update']);
  const result = run(['install', '-y', 'wrk']);
  if (result.status !== 0 || !onPath('wrk')) throw new Error('feed-serve needs wrk: `apt-get install -y wrk` failed');
}

/** CPU time (user + system) the process `pid` has used, in milliseconds; NaN where /proc is missing. */
export function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  bytesRead: number;
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses"). */
  errors: number;
  socketErrors: number;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Reads wrk's report; throws when a figure it always prints is missing. */
export function parseWrk(output: string): WrkResult {
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in [\d.]+\w+, ([\d.]+)(\w+) read/m.exec(output);
  if (!rate || !total) throw new Error(`cannot read wrk's output:\n${output}`);
  const errors = /^\s*Non-2xx or 3xx responses: (\d+)/m.exec(output);
  const socket = /^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/m.exec(output);
  return {
    requestsPerSecond: Number(rate[1]),
    requests: Number(total[1]),
    bytesRead: Number(total[2]) * (UNITS[total[3]!] ?? Number.NaN),
    errors: errors ? Number(errors[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/**
 * Loads `url` with wrk and checks the answers were the expected ones: no errors, and as many
 * bytes per response as the sample answer has (a 304 that turned into a 200 would show).
 */
function load(
  server: Server,
  headers: Record<string, string>,
  expectedBytes: number,
  seconds = DURATION_S,
): WrkResult & { cpuMicrosPerAnswer: number } {
  const { url } = server;
  const cpuBefore = cpuMs(server.child.pid);
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  const output = execFileSync('wrk', ['-t', String(WRK_THREADS), '-c', String(CONNECTIONS), '-d', `${seconds}s`, ...headerArgs, url], {
    encoding: 'utf8',
  });
  const result = parseWrk(output);
  const cpuMicrosPerAnswer = ((cpuMs(server.child.pid) - cpuBefore) * 1000) / result.requests;
  if (result.errors > 0 || result.socketErrors > 0) {
    throw new Error(`${url}: ${result.errors} error answers, ${result.socketErrors} socket errors under load\n${output}`);
  }
  const perResponse = result.bytesRead / result.requests;
  // wrk prints bytes to two decimals of its unit: ±3 % covers the rounding.
  if (Math.abs(perResponse - expectedBytes) > expectedBytes * 0.03 + 2) {
    throw new Error(`${url}: ${perResponse.toFixed(0)} bytes per answer under load, expected ${expectedBytes}\n${output}`);
  }
  return { ...result, cpuMicrosPerAnswer };
}

interface Server {
  child: ChildProcess;
  url: string;
}

interface Sample {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Status line, headers and body as sent. */
  bytes: number;
}

function getRaw(url: string, headers: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        const raw = response.rawHeaders;
        let head = `HTTP/1.1 ${response.statusCode} ${response.statusMessage}\r\n`;
        for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body,
          bytes: Buffer.byteLength(`${head}\r\n`) + body.length,
        });
      });
    }).on('error', reject);
  });
}

/** The headers our app chose (not Node's transport ones), for the bare server to send as they are. */
function appHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (TRANSPORT_HEADERS.has(name) ? [] : [[name, String(value)]])),
  );
}

function checkSame(what: string, ours: Sample, bare: Sample): void {
  if (ours.status !== bare.status || !ours.body.equals(bare.body))
    throw new Error(`${what}: the bare server answers differently from ours`);
  // Date and Keep-Alive may differ by a few bytes; anything more is a different answer.
  if (Math.abs(ours.bytes - bare.bytes) > 16) throw new Error(`${what}: ours sends ${ours.bytes} bytes, the bare server ${bare.bytes}`);
}

interface Kind {
  label: string;
  headers: Record<string, string>;
  status: number;
}

export async function benchFeedServe(): Promise<Row[]> {
  ensureWrk();
  const profileDir = process.env.BENCH_SERVE_CPU_PROF;
  const ours = await startServer('syndicate-server.ts', [], profileDir);
  const scratch = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-serve-'));
  try {
    const oursUrl = `http://127.0.0.1:${ours.port}/feed.xml`;
    const oursServer: Server = { child: ours.child, url: oursUrl };
    const gzip = { 'accept-encoding': 'gzip' };
    // The exact gzip bytes and headers we serve, 200 and 304, for the bare server to hold.
    const sample200 = await getRaw(oursUrl, gzip);
    const etag = String(sample200.headers.etag ?? '');
    const conditional = { ...gzip, 'if-none-match': etag };
    const sample304 = await getRaw(oursUrl, conditional);
    if (sample200.status !== 200 || sample304.status !== 304)
      throw new Error(`ours answered ${sample200.status} and ${sample304.status}, not 200 and 304`);
    const spec = path.join(scratch, 'answers.json');
    writeFileSync(spec, JSON.stringify({ etag, headers200: appHeaders(sample200.headers), headers304: appHeaders(sample304.headers) }));
    writeFileSync(path.join(scratch, 'body.gz'), sample200.body);
    const bare = await startServer('bare-server.ts', [spec, path.join(scratch, 'body.gz')]);
    try {
      const bareUrl = `http://127.0.0.1:${bare.port}/feed.xml`;
      const bareServer: Server = { child: bare.child, url: bareUrl };
      checkSame('200', sample200, await getRaw(bareUrl, gzip));
      checkSame('304', sample304, await getRaw(bareUrl, conditional));
      const kinds: Kind[] = [
        { label: '/feed.xml 200 (gzip, 50 items)', headers: gzip, status: 200 },
        { label: '/feed.xml 304 (If-None-Match)', headers: conditional, status: 304 },
      ];
      const expected = (kind: Kind) => (kind.status === 200 ? sample200.bytes : sample304.bytes);
      // Warm-up: JIT both servers on both answers.
      for (const kind of kinds) for (const server of [oursServer, bareServer]) load(server, kind.headers, expected(kind), 2);
      const rows: Row[] = [];
      for (const kind of kinds) {
        const oursRates: number[] = [];
        const bareRates: number[] = [];
        const ratios: number[] = [];
        const oursCpu: number[] = [];
        const bareCpu: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Alternate which goes first, so a drift in the machine's load does not favour one.
          const first = round % 2 === 0;
          const a = load(first ? oursServer : bareServer, kind.headers, expected(kind));
          const b = load(first ? bareServer : oursServer, kind.headers, expected(kind));
          const [oursRun, bareRun] = first ? [a, b] : [b, a];
          oursRates.push(oursRun.requestsPerSecond);
          bareRates.push(bareRun.requestsPerSecond);
          ratios.push(oursRun.requestsPerSecond / bareRun.requestsPerSecond);
          oursCpu.push(oursRun.cpuMicrosPerAnswer);
          bareCpu.push(bareRun.cpuMicrosPerAnswer);
        }
        const ratio = percentile(ratios, 50);
        const oursMedian = percentile(oursRates, 50);
        const bareMedian = percentile(bareRates, 50);
        // CPU per answer does not depend on how much of the machine each server got.
        const cpu = (values: number[]) => `${percentile(values, 50).toFixed(1)} µs CPU/answer`;
        rows.push({
          benchmark: `${kind.label}, wrk ${CONNECTIONS} conn`,
          ours: `${fmt(oursMedian, 'req/s', 0)}, ${cpu(oursCpu)}`,
          baseline: `${fmt(bareMedian, 'req/s', 0)}, ${cpu(bareCpu)} (bare node:http)`,
          ratio: `${ratio.toFixed(2)} (median of ${ROUNDS} alternating rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
          target: `≥ ${TARGET}`,
          figures: { ours: oursMedian, baseline: bareMedian, ratio, unit: 'req/s' },
          met: ratio >= TARGET,
        });
      }
      return rows;
    } finally {
      await stop(bare.child);
    }
  } finally {
    await stop(ours.child);
    rmSync(scratch, { recursive: true, force: true });
  }
}
