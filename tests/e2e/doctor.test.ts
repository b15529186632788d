/**
 * `syndicate doctor` as an operator runs it, and the same credentials checks in the workers:
 * the CLI in child processes against local servers that speak X's API v2 (HTTPS, trusted
 * through NODE_EXTRA_CA_CERTS), the Graph API (debug_token included), Mastodon, a Bluesky PDS
 * and SMTP, with `syndicate start` answering at PUBLIC_BASE_URL.
 * Real: the CLI, the service, Redis, SQLite, SMTP (smtp-server). Faked: the platforms.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBluesky, type FakeBluesky } from '../helpers/fake-bluesky-server.js';
import { startFakeGraphServer, type FakeGraphServer } from '../helpers/fake-graph-server.js';
import { startFakeMastodon, type FakeMastodon } from '../helpers/fake-mastodon-server.js';
import { FAKE_X_ACCOUNT, FakeXServer } from '../helpers/fake-x-server.js';
import { freePort } from '../helpers/ports.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { createTestTls, type TestTls } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const bin = fileURLToPath(new URL('../../bin/syndicate.js', import.meta.url));
const X_CREDENTIALS = { apiKey: 'x-key', apiSecret: 'x-secret', accessToken: 'x-token', accessSecret: 'x-access-secret' };
const DAY_MS = 24 * 3600_000;

/** The process env without any platform setting the developer's shell may carry. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(X|FACEBOOK|INSTAGRAM|GRAPH|MASTODON|BLUESKY|SMTP|MAIL|WEBHOOK)_/.test(name)),
  );
}

/** Runs `syndicate doctor`; asynchronously, so that the fake platforms in this process can answer it. */
function doctor(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'doctor', ...args], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

/** The table line of one check: `  ✓  x  @syndicate_news · does not expire`. */
function line(output: string, check: string): string {
  return output.split('\n').find((text) => new RegExp(`^ {2}[✓!✗·] {2}${check}\\s`).test(text)) ?? `(no line for ${check})`;
}

describe('syndicate doctor', () => {
  let tls: TestTls;
  let x: FakeXServer;
  let graph: FakeGraphServer;
  let mastodon: FakeMastodon;
  let bluesky: FakeBluesky;
  let smtp: SmtpSink;
  let service: ChildProcess;
  let serviceOutput = '';
  let env: Record<string, string>;
  let base: string;
  const prefix = uniquePrefix('doctor');

  beforeAll(async () => {
    tls = await createTestTls();
    x = await FakeXServer.start({ tls, credentials: X_CREDENTIALS });
    graph = await startFakeGraphServer({ accessTokens: ['page-token', 'ig-token'] });
    graph.setAccount('1001', { name: 'Coastal Daily' });
    graph.setAccount('2002', { username: 'coastaldaily' });
    graph.setTokenInfo('page-token', { dataAccessExpiresAt: new Date(Date.now() + 80 * DAY_MS) });
    graph.setTokenInfo('ig-token', { type: 'USER', expiresAt: new Date(Date.now() + 55 * DAY_MS) });
    mastodon = await startFakeMastodon();
    bluesky = await startFakeBluesky();
    smtp = await startSmtpSink();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      NODE_EXTRA_CA_CERTS: tls.caFile,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: base,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-doctor-')),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      CHANNELS: 'feeds,newsletter,x,facebook,instagram,mastodon,bluesky',
      SMTP_URL: `smtp://newsroom:mail-password@127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'Coastal Daily <news@coastaldaily.example>',
      X_API_KEY: X_CREDENTIALS.apiKey,
      X_API_SECRET: X_CREDENTIALS.apiSecret,
      X_ACCESS_TOKEN: X_CREDENTIALS.accessToken,
      X_ACCESS_SECRET: X_CREDENTIALS.accessSecret,
      X_API_BASE_URL: x.url,
      FACEBOOK_PAGE_ID: '1001',
      FACEBOOK_PAGE_TOKEN: 'page-token',
      INSTAGRAM_USER_ID: '2002',
      INSTAGRAM_TOKEN: 'ig-token',
      GRAPH_API_BASE_URL: graph.url,
      MASTODON_URL: mastodon.url,
      MASTODON_TOKEN: mastodon.token,
      BLUESKY_SERVICE: bluesky.url,
      BLUESKY_HANDLE: bluesky.handle,
      BLUESKY_APP_PASSWORD: bluesky.appPassword,
      LOG_LEVEL: 'info',
    };
    const migrated = spawnSync(process.execPath, [bin, 'migrate'], { env: { ...baseEnv(), ...env }, encoding: 'utf8', timeout: 120_000 });
    expect(migrated.status, migrated.stderr).toBe(0);
    // The service answers at PUBLIC_BASE_URL; its workers hold a wrong X key, which their own checks must notice.
    service = spawn(process.execPath, [bin, 'start'], {
      env: { ...baseEnv(), ...env, X_API_KEY: 'revoked-key' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk: Buffer) => (serviceOutput += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (serviceOutput += chunk.toString()));
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok, 90_000, 'the service').catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${serviceOutput.slice(-3000)}`);
    });
  }, 150_000);

  afterAll(async () => {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    await x?.close();
    await graph?.close();
    await mastodon?.close();
    await bluesky?.close();
    await smtp?.close();
    await tls?.remove();
    await deletePrefix(prefix);
  }, 30_000);

  it('passes with working credentials: exit 0, each account named, nothing blocking', async () => {
    const result = await doctor(env);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const output = result.stdout;
    expect(output).not.toContain('✗');
    expect(line(output, 'redis')).toMatch(/✓ {2}redis\s+Redis \d+\.\d+\.\d+ at redis:\/\//);
    expect(line(output, 'redis maxmemory-policy')).toMatch(/✓.*noeviction/);
    expect(line(output, 'database')).toMatch(/✓ {2}database\s+sqlite:.*, \d+ migrations applied, none pending/);
    expect(line(output, 'newsletter')).toMatch(new RegExp(`✓ {2}newsletter\\s+newsroom at 127\\.0\\.0\\.1:${smtp.port}`));
    expect(line(output, 'x')).toMatch(new RegExp(`✓ {2}x\\s+@${FAKE_X_ACCOUNT.username} · does not expire`));
    expect(line(output, 'facebook')).toMatch(/✓ {2}facebook\s+Coastal Daily \(Page 1001\) · expires \d{4}-\d{2}-\d{2} \(in (79|80) days\)/);
    expect(line(output, 'instagram')).toMatch(/✓ {2}instagram\s+@coastaldaily \(2002\) · expires .* \(in (54|55) days\)/);
    expect(line(output, 'mastodon')).toMatch(/✓ {2}mastodon\s+@newsroom@127\.0\.0\.1:\d+/);
    expect(line(output, 'bluesky')).toMatch(new RegExp(`✓ {2}bluesky\\s+@${bluesky.handle.replace(/\./g, '\\.')} \\(did:plc:`));
    expect(line(output, 'public url')).toMatch(new RegExp(`✓ {2}public url\\s+${base.replace(/\./g, '\\.')} answers`));
    // No secret reaches the output.
    for (const secret of ['mail-password', 'page-token', 'ig-token', mastodon.token, bluesky.appPassword, X_CREDENTIALS.accessSecret]) {
      expect(output).not.toContain(secret);
    }

    const json = await doctor(env, '--json');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      findings: Array<{ status: string; check: string; facts?: Record<string, unknown> }>;
    };
    expect(report.ok).toBe(true);
    expect(report.findings.find((finding) => finding.check === 'x')).toMatchObject({
      status: 'ok',
      facts: { state: 'valid', account: `@${FAKE_X_ACCOUNT.username}`, expiresAt: null },
    });
  }, 240_000);

  it('exits 1 and names X when its key is wrong', async () => {
    const result = await doctor({ ...env, X_API_KEY: 'wrong-key' });
    expect(result.status, result.stdout + result.stderr).toBe(1);
    expect(line(result.stdout, 'x')).toMatch(/✗ {2}x\s+credentials refused: .*401/);
    expect(result.stdout).toMatch(/1 problem blocks delivery/);
    expect(line(result.stdout, 'facebook')).toMatch(/^ {2}✓/);
  }, 120_000);

  it('warns, without failing, of an Instagram token that expires in 20 days', async () => {
    graph.setTokenInfo('ig-token', { type: 'USER', expiresAt: new Date(Date.now() + 20 * DAY_MS + 3600_000) });
    try {
      const result = await doctor(env);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(line(result.stdout, 'instagram')).toMatch(
        /! {2}instagram\s+@coastaldaily \(2002\) · expires \d{4}-\d{2}-\d{2} \(in 20 days\): renew them/,
      );
      expect(result.stdout).toMatch(/Nothing blocks delivery; \d+ warnings?\./);
    } finally {
      graph.setTokenInfo('ig-token', { type: 'USER', expiresAt: new Date(Date.now() + 55 * DAY_MS) });
    }
  }, 120_000);

  it('has the workers check credentials from the start: /readyz lists X, refused', async () => {
    const failing = await waitFor(
      async () => {
        const body = (await (await fetch(`${base}/readyz`)).json()) as { channelsFailing: Record<string, string> };
        return body.channelsFailing.x ? body.channelsFailing : null;
      },
      20_000,
      'x among the failing channels',
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${serviceOutput.slice(-3000)}`);
    });
    expect(failing.x).toMatch(/credentials check: .*401/);
    expect(Object.keys(failing)).toEqual(['x']);
    expect(serviceOutput).toMatch(/x refused its credentials/);
  }, 60_000);

  it('blocks on pending migrations and applies none of them', async () => {
    const fresh = { ...env, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syndicate-doctor-fresh-')) };
    for (let run = 0; run < 2; run++) {
      const result = await doctor(fresh);
      expect(result.status).toBe(1);
      expect(line(result.stdout, 'database')).toMatch(
        /✗ {2}database\s+.*\d+ migrations pending \(001-initial, .*\); run syndicate migrate/,
      );
      expect(line(result.stdout, 'channels')).toMatch(/· {2}channels\s+credentials not checked until the database is ready/);
    }
  }, 240_000);
});
