import { describe, expect, it } from 'vitest';
import { hashtagFromTag, hashtagsFromTags } from '../../../src/domain/hashtags.js';

describe('hashtags from tags', () => {
  it.each([
    ['Afghanistan', '#Afghanistan'],
    ['United States', '#UnitedStates'],
    ['climate change', '#ClimateChange'],
    ['C++', '#C'],
    ['!!!', ''],
    ['日本 ニュース', '#日本ニュース'],
    ['हिन्दी', '#हिन्दी'],
    ['𝒜lpha beta', '#𝒜lphaBeta'],
  ])('%s → %s', (tag, hashtag) => {
    expect(hashtagFromTag(tag)).toBe(hashtag);
  });

  it('keeps order, drops empties and case-insensitive repeats, and lets a platform refuse some', () => {
    expect(hashtagsFromTags(['News', '!!', 'news', 'World', '2024'])).toEqual(['#News', '#World', '#2024']);
    expect(hashtagsFromTags(['News', '2024'], (hashtag) => !/^#\d+$/.test(hashtag))).toEqual(['#News']);
  });
});
