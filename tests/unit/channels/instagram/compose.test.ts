import { describe, expect, it } from 'vitest';
import { createInstagramComposer } from '../../../../src/channels/instagram/client.js';
import { composeInstagramPost, NO_IMAGE_REASON } from '../../../../src/channels/instagram/compose.js';
import { instagramArticle, postOf } from './instagram-test-kit.js';

describe('composeInstagramPost', () => {
  it('writes title, summary, the link as text and the hashtags, a blank line between each', () => {
    expect(postOf(composeInstagramPost(instagramArticle()))).toEqual({
      caption:
        'Harbour bridge reopens after repairs\n\nThe bridge carries traffic again from Monday.\n\nhttps://news.example.com/city/harbour-bridge-reopens\n\n#bridge #CityHall',
      imageSourceUrl: 'https://cdn.example.com/bridge.png',
      alt: 'The bridge at dawn',
    });
  });

  it('skips an article without an image when no default image is set', () => {
    expect(composeInstagramPost(instagramArticle({ image: null }))).toEqual({ skip: NO_IMAGE_REASON });
    expect(NO_IMAGE_REASON).toBe('no image: Instagram needs one (set INSTAGRAM_DEFAULT_IMAGE)');
  });

  it('uses the default image, without the alt text of a picture it is not', () => {
    const post = postOf(composeInstagramPost(instagramArticle({ image: null }), { defaultImageUrl: 'https://cdn.example.com/logo.jpg' }));
    expect(post).toMatchObject({ imageSourceUrl: 'https://cdn.example.com/logo.jpg', alt: '' });
  });

  it("prefers the article's own image to the default", () => {
    const post = postOf(composeInstagramPost(instagramArticle(), { defaultImageUrl: 'https://cdn.example.com/logo.jpg' }));
    expect(post.imageSourceUrl).toBe('https://cdn.example.com/bridge.png');
  });

  it('skips the article when channels.instagram is false, before looking for an image', () => {
    expect(composeInstagramPost(instagramArticle({ image: null, channels: { instagram: false } }))).toEqual({
      skip: 'channels.instagram is false',
    });
  });

  it("uses the publisher's own caption as written", () => {
    const post = postOf(composeInstagramPost(instagramArticle({ channels: { instagram: { text: 'Swipe up 🌉\n#bridge' } } })));
    expect(post.caption).toBe('Swipe up 🌉\n#bridge');
  });

  it('holds the publisher’s own caption to the limits too', () => {
    const mentions = Array.from({ length: 25 }, (_, index) => `@user${index}`).join(' ');
    const post = postOf(
      composeInstagramPost(instagramArticle({ channels: { instagram: { text: `${mentions} ${'word '.repeat(600)}` } } })),
    );
    expect(post.caption.length).toBeLessThanOrEqual(2200);
    expect(post.caption.match(/@user/g)).toHaveLength(20);
    expect(post.caption).toContain(' user20 user21');
    expect(post.caption.endsWith('word…')).toBe(true);
  });

  it('follows a template', () => {
    const post = postOf(composeInstagramPost(instagramArticle(), { template: '{title} {hashtags}' }));
    expect(post.caption).toBe('Harbour bridge reopens after repairs #bridge #CityHall');
  });

  it('keeps at most 30 hashtags, counting those already in the text', () => {
    const tags = Array.from({ length: 40 }, (_, index) => `tag${index}`);
    expect(postOf(composeInstagramPost(instagramArticle({ tags }))).caption.match(/#tag/g)).toHaveLength(30);

    const summary = Array.from({ length: 12 }, (_, index) => `#inline${index}`).join(' ');
    const caption = postOf(composeInstagramPost(instagramArticle({ tags, summary }))).caption;
    expect(caption.match(/#inline/g)).toHaveLength(12);
    expect(caption.match(/#tag/g)).toHaveLength(18);
    expect(caption.endsWith('#tag17')).toBe(true);
  });

  it('drops the last hashtags first while the text fits', () => {
    const tags = Array.from({ length: 10 }, (_, index) => `tag${index}`);
    const base = instagramArticle({ tags: [] });
    const room = 2200 - `${base.title}\n\n\n\n${base.url}\n\n#tag0 #tag1 #tag2`.length;
    const summary = 'harbour '.repeat(Math.floor(room / 8)).trim();
    const caption = postOf(composeInstagramPost(instagramArticle({ summary, tags }))).caption;
    expect(caption.length).toBeLessThanOrEqual(2200);
    expect(caption.startsWith(`${base.title}\n\n${summary}\n\n${base.url}\n\n#tag0 #tag1 #tag2`)).toBe(true);
    expect(caption).not.toContain('#tag9');
  });

  it('drops hashtags first, then cuts the summary between words with an ellipsis', () => {
    const summary = `${'harbour '.repeat(300)}end`;
    const caption = postOf(composeInstagramPost(instagramArticle({ summary }))).caption;
    expect(caption.length).toBeLessThanOrEqual(2200);
    expect(caption).not.toContain('#');
    expect(caption).toMatch(
      /^Harbour bridge reopens after repairs\n\n(harbour )+harbour…\n\nhttps:\/\/news\.example\.com\/city\/harbour-bridge-reopens$/,
    );
  });

  it('cuts text without spaces between words, never inside one', () => {
    const summary = '東京都の新しい橋が月曜日に開通しました。'.repeat(150);
    const caption = postOf(composeInstagramPost(instagramArticle({ summary, tags: [] }))).caption;
    expect(caption.length).toBeLessThanOrEqual(2200);
    const cut = caption.split('\n\n')[1]!;
    expect(cut.endsWith('…')).toBe(true);
    const prefix = cut.slice(0, -1);
    expect(summary.startsWith(prefix)).toBe(true);
    const boundaries = [...new Intl.Segmenter(undefined, { granularity: 'word' }).segment(summary)].map((segment) => segment.index);
    expect(boundaries).toContain(prefix.length);
  });

  it('previews the caption, its counts and the image', () => {
    const composer = createInstagramComposer();
    const post = postOf(composer.compose(instagramArticle({ summary: 'Thanks @harbourcity' })));
    expect(composer.name).toBe('instagram');
    expect(composer.preview(post)).toEqual({
      caption: post.caption,
      length: post.caption.length,
      hashtags: 2,
      mentions: 1,
      image: { source: 'https://cdn.example.com/bridge.png', variant: 'instagram', alt: 'The bridge at dawn' },
    });
  });
});
