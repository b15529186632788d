/**
 * Recognising our status in what Mastodon returns: `content` as Mastodon 4 renders it (links
 * split into spans, entities escaped, `<p>` and `<br />`), and the preview card. Nothing is faked.
 */
import { describe, expect, it } from 'vitest';
import { contentLinks, readStatuses, statusHasText, statusLinksTo, type StatusSummary } from '../../../../src/channels/mastodon/find.js';

const URL = 'https://news.example.com/city/harbour-bridge-reopens?utm_source=mastodon&ref=1';
const CONTENT =
  '<p>Tolls &amp; fares &lt;2027&gt; &quot;rise&quot;<br />' +
  '<a href="https://news.example.com/city/harbour-bridge-reopens?utm_source=mastodon&amp;ref=1" target="_blank" rel="nofollow noopener" translate="no">' +
  '<span class="invisible">https://</span><span class="ellipsis">news.example.com/city/harbour-</span>' +
  '<span class="invisible">bridge-reopens?utm_source=mastodon&amp;ref=1</span></a></p>' +
  '<p><a href="https://mastodon.example/tags/bridge" class="mention hashtag" rel="tag">#<span>bridge</span></a></p>';

function status(overrides: Partial<StatusSummary> = {}): StatusSummary {
  return { id: '110000000000000001', url: null, content: CONTENT, cardUrl: null, ...overrides };
}

describe('finding our status', () => {
  it('reads the links of the content with their entities decoded', () => {
    expect(contentLinks(CONTENT)).toEqual([URL, 'https://mastodon.example/tags/bridge']);
  });

  it('recognises a link to the article, written as given or as a URL parser writes it', () => {
    expect(statusLinksTo(status(), URL)).toBe(true);
    const unnormalised = status({ content: '<p><a href="HTTPS://News.Example.com">news</a></p>' });
    expect(statusLinksTo(unnormalised, 'https://news.example.com/')).toBe(true);
    expect(statusLinksTo(status(), 'https://news.example.com/city/another-story')).toBe(false);
  });

  it('recognises the preview card when the text has no link to the article', () => {
    expect(statusLinksTo(status({ content: '<p>No link here</p>', cardUrl: URL }), URL)).toBe(true);
  });

  it('compares texts with the HTML taken off, line breaks as spaces', () => {
    expect(statusHasText(status(), `Tolls & fares <2027> "rise"\n${URL}\n\n#bridge`)).toBe(true);
    expect(statusHasText(status(), `Tolls & fares <2027> "rise" ${URL}`)).toBe(false);
  });

  it('reads the statuses of an answer, keeping what it needs, and refuses what is not a list', () => {
    const answer = [
      { id: '1', url: 'https://mastodon.example/@newsroom/1', content: '<p>x</p>', card: { url: URL } },
      { id: '', content: '<p>no id</p>' },
      'not a status',
    ];
    expect(readStatuses(answer)).toEqual([{ id: '1', url: 'https://mastodon.example/@newsroom/1', content: '<p>x</p>', cardUrl: URL }]);
    expect(readStatuses({ error: 'Record not found' })).toBeNull();
  });
});
