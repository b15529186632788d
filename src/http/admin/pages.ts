/** The admin pages outside the sections: login, and the pages that explain a refusal or an error. */
import { markup } from './html.js';
import { notice, renderPage } from './layout.js';

export interface LoginPageOptions {
  siteTitle: string;
  /** Where to go after signing in (already checked by `safeNext`). */
  next: string;
  /** Shown above the form after a refused token. */
  error?: string;
}

export function renderLoginPage(options: LoginPageOptions): string {
  const invalid = options.error ? markup` aria-invalid="true" aria-describedby="token-error"` : '';
  return renderPage(
    { title: 'Sign in', siteTitle: options.siteTitle },
    markup`<div class="login">
<h1>Sign in</h1>
${options.error ? markup`<p class="alert" id="token-error" role="alert">${options.error}</p>` : ''}
<form class="stack" method="post" action="/admin/login">
<input type="hidden" name="next" value="${options.next}">
<p><label for="token">Admin token</label>
<input type="password" id="token" name="token" required autocomplete="current-password" spellcheck="false"${invalid}></p>
<p><button type="submit">Sign in</button></p>
</form>
<p class="meta">The token is ADMIN_TOKEN from the server's environment. Scripts can send it as <code>Authorization: Bearer …</code> instead.</p>
</div>`,
  );
}

export interface ProblemPageOptions {
  siteTitle: string;
  title: string;
  message: string;
  signedIn: boolean;
  csrfToken?: string;
  /** A way on from here. @defaultValue the articles page */
  back?: { href: string; label: string };
}

/** A refusal or an error, in words, with a way back. */
export function renderProblemPage(options: ProblemPageOptions): string {
  const back = options.back ?? { href: '/admin/articles', label: 'Back to the articles' };
  return renderPage(
    { title: options.title, siteTitle: options.siteTitle, signedIn: options.signedIn, csrfToken: options.csrfToken },
    markup`<h1>${options.title}</h1>
${notice(options.message, 'alert')}
<p><a href="${back.href}">${back.label}</a></p>`,
  );
}
