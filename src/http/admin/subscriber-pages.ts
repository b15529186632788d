/**
 * /admin/subscribers pages: counts by state, search by address, and one subscriber's consent
 * record and deliveries. Pure: data in, HTML out.
 */
import type { Delivery } from '../../domain/delivery.js';
import type { Subscriber } from '../../domain/subscriber.js';
import type { PageContext } from './article-pages.js';
import { markup } from './html.js';
import { badge, channelLabel, renderPage, time } from './layout.js';

export interface SubscriberSearch {
  /** What was searched for, as typed. */
  query: string;
  /** The matches, in address order, at most the bound. */
  found: Subscriber[];
  /** Whether more matched than are shown. */
  more: boolean;
  /** Why the query was not run (too long…), if it was not. */
  problem?: string;
}

export interface SubscriberOverview {
  counts: Record<string, number>;
  search?: SubscriberSearch;
}

const NONE = markup`<span class="none">—</span>`;

function subscriberHref(id: string): string {
  return `/admin/subscribers/${encodeURIComponent(id)}`;
}

function searchResults(search: SubscriberSearch | undefined) {
  if (!search) return markup``;
  if (search.problem) return markup`<p class="alert" role="alert">${search.problem}</p>`;
  const rows = search.found.map(
    (subscriber) => markup`<tr>
<th scope="row"><a href="${subscriberHref(subscriber.id)}">${subscriber.email}</a></th>
<td>${badge(subscriber.state)}</td>
<td>${subscriber.frequency}</td>
<td>${time(subscriber.requestedAt)}</td>
<td>${time(subscriber.confirmedAt)}</td>
</tr>`,
  );
  const count = search.found.length;
  const caption =
    count === 0
      ? `No subscriber with an address starting “${search.query}”`
      : `${count}${search.more ? ' first' : ''} subscriber${count === 1 ? '' : 's'} with an address starting “${search.query}”`;
  return markup`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Address</th><th scope="col">State</th><th scope="col">Frequency</th><th scope="col">Requested</th><th scope="col">Confirmed</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${search.more ? markup`<p class="meta">More addresses match: type more of the address to narrow the search.</p>` : ''}`;
}

export function renderSubscriberOverview(context: PageContext, view: SubscriberOverview): string {
  const total = Object.values(view.counts).reduce((sum, count) => sum + count, 0);
  const counts = Object.entries(view.counts).map(
    ([state, count]) => markup`<tr><th scope="row">${badge(state)}</th><td>${count.toLocaleString('en')}</td></tr>`,
  );
  return renderPage(
    { title: 'Subscribers', siteTitle: context.siteTitle, section: 'subscribers', signedIn: true, csrfToken: context.csrfToken },
    markup`<h1>Subscribers</h1>
<section aria-labelledby="counts-heading">
<h2 id="counts-heading">By state</h2>
<table>
<caption class="visually-hidden">Subscribers in each state</caption>
<thead><tr><th scope="col">State</th><th scope="col">Subscribers</th></tr></thead>
<tbody>${counts}
<tr><th scope="row">Total</th><td>${total.toLocaleString('en')}</td></tr></tbody>
</table>
</section>
<section aria-labelledby="search-heading">
<h2 id="search-heading">Find a subscriber</h2>
<form class="search" method="get" action="/admin/subscribers" role="search">
<div><label for="q">Address, or how it begins</label>
<input type="search" id="q" name="q" value="${view.search?.query ?? ''}" maxlength="254" autocomplete="off" spellcheck="false"></div>
<button type="submit">Search</button>
</form>
${searchResults(view.search)}
</section>`,
  );
}

export interface SubscriberDetail {
  subscriber: Subscriber;
  /** Its emails and digests, last changed first (bounded). */
  deliveries: Delivery[];
  /** Whether there are more than shown. */
  more: boolean;
}

export function renderSubscriberDetail(context: PageContext, view: SubscriberDetail): string {
  const { subscriber } = view;
  const rows = view.deliveries.map(
    (delivery) => markup`<tr>
<th scope="row"><a href="/admin/articles/${encodeURIComponent(delivery.articleId)}"><code>${delivery.articleId}</code></a></th>
<td>${channelLabel(delivery.channel)}</td>
<td>${badge(delivery.state)}</td>
<td>${delivery.attempts}</td>
<td class="error">${delivery.lastError ?? NONE}</td>
<td>${time(delivery.updatedAt)}</td>
</tr>`,
  );
  const bounced = markup`${time(subscriber.bouncedAt)}${subscriber.bounceReason ? markup` — <code>${subscriber.bounceReason}</code>` : ''}`;
  return renderPage(
    { title: subscriber.email, siteTitle: context.siteTitle, section: 'subscribers', signedIn: true, csrfToken: context.csrfToken },
    markup`<p class="meta"><a href="/admin/subscribers">Subscribers</a></p>
<h1>${subscriber.email}</h1>
<section aria-labelledby="consent-heading">
<h2 id="consent-heading">Consent record</h2>
<dl class="record">
<dt>State</dt><dd>${badge(subscriber.state)}</dd>
<dt>Name</dt><dd>${subscriber.name ?? NONE}</dd>
<dt>Frequency</dt><dd>${subscriber.frequency}</dd>
<dt>Topics</dt><dd>${subscriber.categories.length > 0 ? subscriber.categories.join(', ') : 'everything'}</dd>
<dt>Consent source</dt><dd>${subscriber.consentSource}</dd>
<dt>Consent given</dt><dd>${time(subscriber.consentAt)}</dd>
<dt>Consent IP address</dt><dd>${subscriber.consentIp ?? markup`<span class="none">not recorded</span>`}</dd>
<dt>Signed up</dt><dd>${time(subscriber.createdAt)}</dd>
<dt>Latest request</dt><dd>${time(subscriber.requestedAt)}</dd>
<dt>Confirmation sent</dt><dd>${time(subscriber.confirmationSentAt)}</dd>
<dt>Confirmed</dt><dd>${time(subscriber.confirmedAt)}</dd>
<dt>Unsubscribed</dt><dd>${time(subscriber.unsubscribedAt)}</dd>
<dt>Bounced</dt><dd>${bounced}</dd>
<dt>Last digest</dt><dd>${time(subscriber.lastDigestAt)}</dd>
</dl>
</section>
<section aria-labelledby="deliveries-heading">
<h2 id="deliveries-heading">Deliveries</h2>
<table>
<caption class="visually-hidden">Emails and digests to this subscriber, last changed first</caption>
<thead><tr><th scope="col">Article</th><th scope="col">Channel</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">When</th></tr></thead>
<tbody>${rows.length > 0 ? rows : markup`<tr><td colspan="6">Nothing has been sent to this subscriber.</td></tr>`}</tbody>
</table>
${view.more ? markup`<p class="meta">Showing the ${view.deliveries.length} most recent.</p>` : ''}
</section>`,
  );
}
