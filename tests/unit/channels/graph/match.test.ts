import { describe, expect, it } from 'vitest';
import { sameUrl, textMentionsUrl } from '../../../../src/channels/graph/match.js';
import { hashtagFromTag, hashtagsFromTags, renderTemplate } from '../../../../src/channels/graph/template.js';

describe('textMentionsUrl', () => {
  const url = 'https://news.example.com/city/story';

  it.each([
    [`Read it: ${url}`, true],
    [`${url}.`, true],
    [`(${url})`, true],
    [`${url}\n\n#city`, true],
    [`${url}-2 is another story`, false],
    [`${url}/photos`, false],
    ['nothing here', false],
  ])('%j → %s', (text, expected) => {
    expect(textMentionsUrl(text, url)).toBe(expected);
  });
});

describe('sameUrl', () => {
  it('ignores a trailing slash, the fragment and fbclid, not the path', () => {
    expect(sameUrl('https://a.example/x/?fbclid=abc#top', 'https://a.example/x')).toBe(true);
    expect(sameUrl('https://a.example/x', 'https://a.example/y')).toBe(false);
    expect(sameUrl('not a url', 'not a url')).toBe(false);
  });
});

describe('renderTemplate', () => {
  it('fills placeholders in one pass and folds the blank lines an empty part leaves', () => {
    const values = { title: 'Costs {url}', summary: '', url: 'https://a.example/', hashtags: '#a' };
    expect(renderTemplate('{title}\n\n{summary}\n\n{url}  \n\n\n{hashtags} {unknown}', values)).toBe(
      'Costs {url}\n\nhttps://a.example/\n\n#a {unknown}',
    );
  });
});

describe('hashtagFromTag', () => {
  it.each([
    ['bridge', '#bridge'],
    ['climate change', '#ClimateChange'],
    ['C++', '#C'],
    ['São Paulo', '#SãoPaulo'],
    ['東京', '#東京'],
    ['!!!', ''],
    ['  ', ''],
  ])('%j → %j', (tag, expected) => {
    expect(hashtagFromTag(tag)).toBe(expected);
  });

  it('leaves out empty and repeated hashtags', () => {
    expect(hashtagsFromTags(['Bridge', 'bridge', '!!', 'city hall'])).toEqual(['#Bridge', '#CityHall']);
  });
});
