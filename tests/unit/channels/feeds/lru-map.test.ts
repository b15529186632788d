/** The bounded map behind the feed cache: least recently used out first, by count and by weight. */
import { describe, expect, it } from 'vitest';
import { LruMap } from '../../../../src/channels/feeds/lru-map.js';

describe('LruMap', () => {
  it('drops the least recently used entry, a read counting as a use', () => {
    const map = new LruMap<string, number>({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) map.set(key, 0);
    expect(map.get('a')).toBe(0);
    map.set('d', 0);
    expect(map.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => map.get(key))).toEqual([0, 0, 0]);
    expect(map.size).toBe(3);
  });

  it('drops the least recently used until the total weight fits, and holds nothing heavier than the bound', () => {
    const map = new LruMap<string, number>({ maxEntries: 10, maxWeight: 10, weigh: (value) => value });
    map.set('a', 4);
    map.set('b', 4);
    map.get('a');
    expect(map.set('c', 5)).toBe(true);
    expect(map.get('b')).toBeUndefined();
    expect(map.weight).toBe(9);
    expect(map.set('huge', 11)).toBe(false);
    expect(map.get('huge')).toBeUndefined();
    expect(map.weight).toBe(9);
  });

  it('replaces a value under the same key, its weight with it', () => {
    const map = new LruMap<string, number>({ maxEntries: 2, maxWeight: 100, weigh: (value) => value });
    map.set('a', 10);
    map.set('a', 30);
    expect(map.size).toBe(1);
    expect(map.weight).toBe(30);
    map.delete('a');
    expect(map.weight).toBe(0);
  });

  it('never drops the entry being added, even when every other one was read since', () => {
    const map = new LruMap<string, number>({ maxEntries: 2 });
    map.set('a', 1);
    map.set('b', 2);
    map.get('a');
    map.get('b');
    expect(map.set('c', 3)).toBe(true);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
  });

  it('keeps entries read often through a stream of one-off keys', () => {
    // What a stranger requesting random category slugs does to the misses cache.
    const map = new LruMap<string, number>({ maxEntries: 100 });
    map.set('hot', 1);
    for (let i = 0; i < 10_000; i++) {
      expect(map.get('hot')).toBe(1);
      map.set(`cold-${i}`, i);
      expect(map.size).toBeLessThanOrEqual(100);
    }
  });
});
