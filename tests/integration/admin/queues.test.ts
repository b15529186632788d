/**
 * /admin/queues: Bull Board over every queue, behind the admin sign-in, read-only, under a CSP
 * of its own. Real: Redis with the deployment's queues, Bull Board, Fastify through inject().
 * That its scripts actually run under that CSP is shown in a browser (tests/browser/admin.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_BOARD_CSP } from '../../../src/http/admin/queue-board.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { ADMIN_ENV, ADMIN_TOKEN, BROWSER, OWN_ORIGIN, signIn, type AdminBrowser } from './admin-session.js';

describe('admin queues (Bull Board)', () => {
  let t: TestSyndicate;
  let admin: AdminBrowser;
  beforeAll(async () => {
    t = await startTestSyndicate('admin-queues', { env: { ...ADMIN_ENV, CHANNELS: 'feeds,newsletter' }, roles: [] });
    admin = await signIn(t.app);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves the board to a signed-in browser under its own CSP: scripts from itself only, no framing', async () => {
    const page = await admin.get('/admin/queues');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<base href="/admin/queues/" />');
    expect(page.body).toContain('<title>Syndicate queues</title>');
    expect(page.headers['content-security-policy']).toBe(QUEUE_BOARD_CSP);
    expect(QUEUE_BOARD_CSP).toContain("script-src 'self';");
    expect(QUEUE_BOARD_CSP).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    const script = /<script defer src="(static\/js\/main\.[^"]+\.js)"><\/script>/.exec(page.body);
    expect(script).not.toBeNull();
    const asset = await admin.get(`/admin/queues/${script![1]}`);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
  });

  it('lists every queue, read-only', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    const queues = (response.json() as { queues: Array<{ name: string; readOnlyMode: boolean }> }).queues;
    expect(queues.map((queue) => queue.name).sort()).toEqual(['feeds', 'newsletter', 'publish']);
    expect(queues.every((queue) => queue.readOnlyMode)).toBe(true);
  });

  it('refuses every change (405), from a session or a script', async () => {
    const fromPage = await t.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/publish/pause',
      headers: { cookie: admin.cookie, origin: OWN_ORIGIN, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(fromPage.statusCode).toBe(405);
    expect(fromPage.headers.allow).toBe('GET, HEAD');
    const fromScript = await t.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/pause',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(fromScript.statusCode).toBe(405);
    expect(await t.syndicate.queues.publish.isPaused()).toBe(false);
  });

  it('keeps the board and its API behind the sign-in', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/admin/queues', headers: BROWSER });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/admin/login?next=%2Fadmin%2Fqueues');
    const api = await t.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(401);
    expect(api.json().error.code).toBe('TOKEN_MISSING');
    const asset = await t.app.inject({ method: 'GET', url: '/admin/queues/static/images/logo.svg' });
    expect(asset.statusCode).toBe(401);
  });
});
