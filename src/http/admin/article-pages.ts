/**
 * /admin/articles pages: the list (one badge per channel), the timeline of one article (each
 * channel's delivery, its post on the network, Retry, Retract, the email) and the retraction's
 * confirmation. Pure: data in, HTML out.
 */
import type { ArticleRecord } from '../../domain/article.js';
import { DELIVERY_STATES, type Delivery } from '../../domain/delivery.js';
import { markup, type SafeHtml } from './html.js';
import { badge, channelLabel, csrfField, notice, renderPage, time, webUrl } from './layout.js';

/** What every signed-in page knows. */
export interface PageContext {
  siteTitle: string;
  /** The session's CSRF token; undefined for bearer-token requests. */
  csrfToken?: string;
}

export interface ArticleListView {
  articles: ArticleRecord[];
  /** Each article's rows without a target, by article id then channel. */
  deliveries: ReadonlyMap<string, ReadonlyMap<string, Delivery>>;
  /** The enabled channels, in order: one column each. */
  channels: readonly string[];
  /** The delivery state filtered on, if any. */
  state?: string;
  nextCursor: string | null;
  /** Whether this is a later page (offers the way back to the newest). */
  paged: boolean;
}

const NONE = markup`<span class="none">—</span>`;

function articleHref(id: string, suffix = ''): string {
  return `/admin/articles/${encodeURIComponent(id)}${suffix}`;
}

function listHref(state: string | undefined, cursor?: string): string {
  const query = new URLSearchParams();
  if (state) query.set('state', state);
  if (cursor) query.set('cursor', cursor);
  const text = query.toString();
  return `/admin/articles${text ? `?${text}` : ''}`;
}

function stateWords(state: string): string {
  return state.replace(/_/g, ' ');
}

export function renderArticleList(context: PageContext, view: ArticleListView): string {
  const options = [markup`<option value="">Any</option>`].concat(
    DELIVERY_STATES.map(
      (state) => markup`<option value="${state}"${view.state === state ? ' selected' : ''}>${stateWords(state)}</option>`,
    ),
  );
  const heads = view.channels.map((channel) => markup`<th scope="col">${channelLabel(channel)}</th>`);
  const rows = view.articles.map((article) => {
    const byChannel = view.deliveries.get(article.id);
    const cells = view.channels.map((channel) => {
      const delivery = byChannel?.get(channel);
      return markup`<td>${delivery ? badge(delivery.state) : markup`<span class="none" aria-hidden="true">—</span><span class="visually-hidden">no delivery</span>`}</td>`;
    });
    return markup`<tr>
<th scope="row"><a href="${articleHref(article.id)}">${article.title}</a><br><code class="meta">${article.id}</code></th>
<td>${time(article.publishedAt)}</td>
<td>${badge(article.state)}</td>
${cells}
</tr>`;
  });
  const empty = markup`<tr><td colspan="${3 + view.channels.length}">${
    view.state ? `No article has a delivery in the state “${stateWords(view.state)}”.` : 'No articles yet.'
  }</td></tr>`;
  const pages = [
    view.paged ? markup`<a href="${listHref(view.state)}">Newest articles</a>` : '',
    view.nextCursor ? markup`<a rel="next" href="${listHref(view.state, view.nextCursor)}">Older articles</a>` : '',
  ];
  const caption = view.state
    ? `Articles with a delivery in the state “${stateWords(view.state)}”, newest first`
    : 'Recent articles, newest first';
  return renderPage(
    { title: 'Articles', siteTitle: context.siteTitle, section: 'articles', signedIn: true, csrfToken: context.csrfToken },
    markup`<h1>Articles</h1>
<form class="filter" method="get" action="/admin/articles">
<div><label for="state">Any delivery in state</label>
<select id="state" name="state">${options}</select></div>
<button type="submit">Filter</button>
</form>
<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Article</th><th scope="col">Published</th><th scope="col">Article state</th>${heads}</tr></thead>
<tbody>
${rows.length > 0 ? rows : empty}
</tbody>
</table>
<nav class="pages" aria-label="Pages">${pages}</nav>`,
  );
}

export interface TimelineView {
  article: ArticleRecord;
  /** The rows without a target, one per channel. */
  deliveries: Delivery[];
  /** Per channel, the counts its queue side adds (the newsletter's per-subscriber states). */
  summaries: Record<string, Record<string, number>>;
  /** The email as subscribers get it, when the newsletter is on here. */
  email?: { subject: string };
  /** A message about what just happened (after Retry or Retract). */
  done?: string;
}

function summaryText(summary: Record<string, number> | undefined): string {
  if (!summary) return '';
  return Object.entries(summary)
    .map(([name, count]) => `${name} ${count}`)
    .join(' · ');
}

function postCell(delivery: Delivery): SafeHtml {
  const link = webUrl(delivery.externalUrl);
  if (link) return markup`<a href="${link}" rel="noreferrer">View on ${channelLabel(delivery.channel)}</a>`;
  if (delivery.externalUrl) return markup`<code>${delivery.externalUrl}</code>`;
  if (delivery.externalId) return markup`<code>${delivery.externalId}</code>`;
  return NONE;
}

/** The last error; on a delivery that went out after all, marked as an earlier attempt's. */
function errorCell(delivery: Delivery): SafeHtml {
  if (!delivery.lastError) return NONE;
  if (delivery.state === 'sent') return markup`<span class="earlier">An earlier attempt failed:</span>${delivery.lastError}`;
  return markup`${delivery.lastError}`;
}

function canRetry(article: ArticleRecord, delivery: Delivery, summary: Record<string, number> | undefined): boolean {
  return article.state !== 'retracted' && (delivery.state === 'failed' || (summary?.failed ?? 0) > 0);
}

export function renderTimeline(context: PageContext, view: TimelineView): string {
  const { article } = view;
  const rows = view.deliveries.map((delivery) => {
    const summary = view.summaries[delivery.channel];
    const counts = summaryText(summary);
    const retry = canRetry(article, delivery, summary)
      ? markup`<form class="inline" method="post" action="${articleHref(article.id, '/retry')}">${csrfField(context.csrfToken)}<input type="hidden" name="channel" value="${delivery.channel}"><button type="submit">Retry<span class="visually-hidden"> ${channelLabel(delivery.channel)}</span></button></form>`
      : NONE;
    return markup`<tr>
<th scope="row">${channelLabel(delivery.channel)}</th>
<td>${badge(delivery.state)}${counts ? markup`<span class="counts">${counts}</span>` : ''}</td>
<td>${delivery.attempts}</td>
<td class="error">${errorCell(delivery)}</td>
<td>${time(delivery.updatedAt)}</td>
<td>${postCell(delivery)}</td>
<td>${retry}</td>
</tr>`;
  });
  const page = webUrl(article.url);
  const retract =
    article.state === 'retracted'
      ? markup`<p>Retracted ${time(article.retractedAt)}.</p>`
      : markup`<p>Retracting removes the article from every feed, cancels what has not been sent and deletes its posts where the network allows.</p>
<p><a class="button danger" href="${articleHref(article.id, '/retract')}">Retract this article…</a></p>`;
  const email = view.email
    ? markup`<section aria-labelledby="email-heading">
<h2 id="email-heading">The email as subscribers see it</h2>
<p>Subject: <strong>${view.email.subject}</strong></p>
<iframe class="email" src="${articleHref(article.id, '/email')}" sandbox="" title="The email for ${article.title}"></iframe>
<p><a href="${articleHref(article.id, '/email')}">Open the email on its own</a></p>
</section>`
    : '';
  const noRows = `No deliveries yet${article.state === 'scheduled' ? ': the article is scheduled.' : '.'}`;
  return renderPage(
    { title: article.title, siteTitle: context.siteTitle, section: 'articles', signedIn: true, csrfToken: context.csrfToken },
    markup`<p class="meta"><a href="/admin/articles">Articles</a> › <code>${article.id}</code></p>
<h1>${article.title}</h1>
${notice(view.done)}
<dl class="record">
<dt>State</dt><dd>${badge(article.state)}</dd>
<dt>Published</dt><dd>${time(article.publishedAt)}</dd>
<dt>Stored</dt><dd>${time(article.createdAt)}</dd>
<dt>Last changed</dt><dd>${time(article.updatedAt)} (revision ${article.revision})</dd>
<dt>Page</dt><dd>${page ? markup`<a href="${page}" rel="noreferrer">${article.url}</a>` : markup`<code>${article.url}</code>`}</dd>
</dl>
<section aria-labelledby="deliveries-heading">
<h2 id="deliveries-heading">Deliveries</h2>
<p class="meta">States change as workers deliver: <a href="${articleHref(article.id)}">reload this page</a> to see the latest.</p>
<table>
<caption class="visually-hidden">One row per channel: state, attempts, last error, when it last changed, the post, and Retry for a failed delivery</caption>
<thead><tr><th scope="col">Channel</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">When</th><th scope="col">Post</th><th scope="col">Action</th></tr></thead>
<tbody>
${rows.length > 0 ? rows : markup`<tr><td colspan="7">${noRows}</td></tr>`}
</tbody>
</table>
</section>
<section aria-labelledby="retract-heading">
<h2 id="retract-heading">Retract</h2>
${retract}
</section>
${email}`,
  );
}

/** The confirmation step of a retraction (forms cannot ask "are you sure?" without script). */
export function renderRetractConfirmation(context: PageContext, article: ArticleRecord): string {
  return renderPage(
    { title: `Retract ${article.title}`, siteTitle: context.siteTitle, section: 'articles', signedIn: true, csrfToken: context.csrfToken },
    markup`<p class="meta"><a href="/admin/articles">Articles</a> › <a href="${articleHref(article.id)}"><code>${article.id}</code></a></p>
<h1>Retract “${article.title}”?</h1>
<ul>
<li>It leaves every feed at once.</li>
<li>Deliveries that have not left are cancelled; no email goes out after this.</li>
<li>Its posts are deleted where the network's API allows; the others are marked for deleting by hand.</li>
</ul>
<p><strong>This cannot be undone.</strong> To publish it again, submit it under a new id.</p>
<div class="actions">
<form class="inline" method="post" action="${articleHref(article.id, '/retract')}">${csrfField(context.csrfToken)}<button class="danger" type="submit">Retract the article</button></form>
<a href="${articleHref(article.id)}">Cancel</a>
</div>`,
  );
}
