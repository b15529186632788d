/**
 * Signing in to /admin: the login form's cookie, the bearer header, CSRF and origin checks on
 * every form, and the security headers. Real: the whole Syndicate (Redis, SQLite, Fastify through
 * inject()). Nothing is faked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminSessions } from '../../../src/http/admin/session.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { ADMIN_ENV, ADMIN_TOKEN, BROWSER, formBody, OWN_ORIGIN, SECRET_KEY, sessionCookieOf, signIn } from './admin-session.js';

const FORM = { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' };

describe('admin sign-in', () => {
  let t: TestSyndicate;
  beforeAll(async () => {
    t = await startTestSyndicate('admin-auth', { env: ADMIN_ENV, roles: [] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('sends a browser without a session to the login form, and answers a script 401', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/admin/articles?state=failed', headers: BROWSER });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe(`/admin/login?next=${encodeURIComponent('/admin/articles?state=failed')}`);

    const script = await t.app.inject({ method: 'GET', url: '/admin/articles' });
    expect(script.statusCode).toBe(401);
    expect(script.json().error.code).toBe('TOKEN_MISSING');
    expect(script.headers['www-authenticate']).toMatch(/^Bearer/);

    const write = await t.app.inject({
      method: 'POST',
      url: '/admin/articles/a/retract',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(write.statusCode).toBe(401);
  });

  it('shows a login form with a labelled password field, in a page with lang and a skip link', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/admin/login?next=/admin/subscribers', headers: BROWSER });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<html lang="en">/);
    expect(page.body).toContain('<a class="skip" href="#main">');
    expect(page.body).toContain('<label for="token">Admin token</label>');
    expect(page.body).toMatch(/<input type="password" id="token" name="token" required/);
    expect(page.body).toContain('name="next" value="/admin/subscribers"');
    expect(page.body).not.toMatch(/<script/i);
  });

  it('signs in with the token: an HttpOnly, SameSite=Strict cookie that is not the token, then the page asked for', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...FORM, origin: OWN_ORIGIN },
      payload: formBody({ token: ADMIN_TOKEN, next: '/admin/subscribers' }),
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/admin/subscribers');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^syndicate_admin=[^;]+; Path=\/admin; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain('Secure');
    expect(setCookie).not.toContain(ADMIN_TOKEN);

    const page = await t.app.inject({ method: 'GET', url: '/admin/subscribers', headers: { ...BROWSER, cookie: sessionCookieOf(login) } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Subscribers</h1>');
  });

  it('refuses a wrong token with the form again (401), and sets no cookie', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...FORM, origin: OWN_ORIGIN },
      payload: formBody({ token: `${ADMIN_TOKEN}x`, next: '/admin/articles' }),
    });
    expect(login.statusCode).toBe(401);
    expect(login.headers['set-cookie']).toBeUndefined();
    expect(login.body).toContain('That is not the admin token.');
    expect(login.body).toContain('aria-invalid="true"');
  });

  it('never sends a browser somewhere else after login', async () => {
    for (const next of [
      'https://evil.example/',
      '//evil.example/admin',
      '/\\evil.example/admin',
      '/admin/../api/articles',
      '/admin/%2e%2e/api',
      '/feed.xml',
      '/adminx',
    ]) {
      const login = await t.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { ...FORM, origin: OWN_ORIGIN },
        payload: formBody({ token: ADMIN_TOKEN, next }),
      });
      expect(login.headers.location, next).toBe('/admin/articles');
    }
  });

  it('accepts the admin token as a bearer header, for scripts; refuses any other', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/admin/articles', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');

    const wrong = await t.app.inject({
      method: 'GET',
      url: '/admin/articles',
      headers: { ...BROWSER, authorization: 'Bearer test-publisher-token-0123456789' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('TOKEN_INVALID');
  });

  it('refuses a cookie that is forged, altered, expired or signed under another token', async () => {
    const { cookie } = await signIn(t.app);
    const [name, value] = cookie.split('=') as [string, string];
    const altered = `${name}=${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
    const past = new AdminSessions({ token: ADMIN_TOKEN, secretKey: SECRET_KEY, now: () => new Date(Date.now() - 13 * 3600 * 1000) });
    const expired = `${name}=${past.issue().value}`;
    const other = new AdminSessions({ token: 'another-admin-token-0123456789', secretKey: SECRET_KEY });
    const foreign = `${name}=${other.issue().value}`;
    for (const bad of [altered, expired, foreign, `${name}=${ADMIN_TOKEN}`]) {
      const page = await t.app.inject({ method: 'GET', url: '/admin/articles', headers: { ...BROWSER, cookie: bad } });
      expect(page.statusCode, bad).toBe(303);
    }
  });

  it('refuses a form without the session’s CSRF token, with another session’s, or from another origin (403)', async () => {
    const admin = await signIn(t.app);
    const other = await signIn(t.app);
    const missing = await admin.post('/admin/logout', {}, { csrf: null });
    expect(missing.statusCode).toBe(403);
    expect(missing.body).toContain('This form has expired');
    expect(missing.headers['set-cookie']).toBeUndefined();

    expect((await admin.post('/admin/logout', {}, { csrf: other.csrf })).statusCode).toBe(403);
    expect((await admin.post('/admin/logout', {}, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await admin.post('/admin/logout', {}, { origin: 'null' })).statusCode).toBe(403);
    const opaque = await t.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { ...FORM, cookie: admin.cookie, origin: 'null', 'sec-fetch-site': 'cross-site' },
      payload: formBody({ _csrf: admin.csrf }),
    });
    expect(opaque.statusCode).toBe(403);

    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { ...FORM, cookie: admin.cookie, 'sec-fetch-site': 'cross-site' },
      payload: formBody({ _csrf: admin.csrf }),
    });
    expect(crossSite.statusCode).toBe(403);

    const login = await t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...FORM, origin: 'https://evil.example' },
      payload: formBody({ token: ADMIN_TOKEN }),
    });
    expect(login.statusCode).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
  });

  it('accepts a same-origin form whose Origin is null, as browsers send it under Referrer-Policy: no-referrer', async () => {
    const admin = await signIn(t.app);
    const logout = await t.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: { ...FORM, cookie: admin.cookie, origin: 'null', 'sec-fetch-site': 'same-origin' },
      payload: formBody({ _csrf: admin.csrf }),
    });
    expect(logout.statusCode).toBe(303);
  });

  it('logs out: the cookie is cleared and the browser is back at the login form', async () => {
    const admin = await signIn(t.app);
    const logout = await admin.post('/admin/logout');
    expect(logout.statusCode).toBe(303);
    expect(logout.headers.location).toBe('/admin/login');
    expect(String(logout.headers['set-cookie'])).toMatch(/^syndicate_admin=; Path=\/admin; Max-Age=0; HttpOnly; SameSite=Strict$/);
  });

  it('sends the public pages’ security headers on every admin page', async () => {
    const admin = await signIn(t.app);
    for (const response of [
      await t.app.inject({ method: 'GET', url: '/admin/login', headers: BROWSER }),
      await admin.get('/admin/articles'),
      await admin.get('/admin/subscribers'),
      await admin.get('/admin/nowhere'),
    ]) {
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('script-src');
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cache-control']).toBe('no-store');
    }
    const stylesheet = await t.app.inject({ method: 'GET', url: '/admin/assets/admin.css' });
    expect(stylesheet.statusCode).toBe(200);
    expect(stylesheet.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(stylesheet.body).toContain(':focus-visible');
  });

  it('answers an unknown admin page with a 404 page for people and JSON for scripts', async () => {
    const admin = await signIn(t.app);
    const page = await admin.get('/admin/nowhere');
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('There is no admin page at this address.');
    const script = await t.app.inject({ method: 'GET', url: '/admin/nowhere', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(script.statusCode).toBe(404);
    expect(script.json().error.code).toBe('NOT_FOUND');
  });
});

describe('admin sign-in behind https', () => {
  let t: TestSyndicate;
  beforeAll(async () => {
    t = await startTestSyndicate('admin-auth-https', { env: { ...ADMIN_ENV, PUBLIC_BASE_URL: 'https://news.test' }, roles: [] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('marks the cookie Secure', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...FORM, origin: 'https://news.test' },
      payload: formBody({ token: ADMIN_TOKEN }),
    });
    expect(login.statusCode).toBe(303);
    expect(String(login.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('allows ten refused sign-ins a minute from one address, then refuses even the right token (429)', async () => {
    const attempt = (token: string) =>
      t.app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { ...FORM, origin: 'https://news.test' },
        payload: formBody({ token }),
      });
    for (let index = 0; index < 10; index++) expect((await attempt('wrong')).statusCode).toBe(401);
    const refused = await attempt(ADMIN_TOKEN);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toMatch(/^[1-6]?[0-9]$/);
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(refused.body).toContain('Too many refused sign-ins');
  });
});
