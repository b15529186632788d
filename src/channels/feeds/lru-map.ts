/**
 * A Map bounded by entry count and by a total weight (bytes), dropping the least recently used
 * entries first. For in-memory caches keyed by what strangers send (SPEC §7: in-memory caches
 * are bounded).
 *
 * Eviction is CLOCK ("second chance"), a close approximation of LRU: a hit only sets a flag
 * (`get` is on every cached feed request, and moving the entry to the Map's end costs a delete
 * and an insert); when over a bound, entries are taken from the Map's front, a flagged one
 * loses its flag and goes to the back, the first unflagged one is dropped. Amortised O(1) per
 * `set`: a scan for the least recently used would cost O(entries) on every miss a stranger can
 * cause (the misses cache) or every new feed item (the fragment cache, 30,000 entries).
 */
export interface LruMapOptions<V> {
  /** Most entries held. */
  maxEntries: number;
  /** Most total weight held. @defaultValue Infinity */
  maxWeight?: number;
  /** The weight of a value (e.g. its bytes). @defaultValue every value weighs 0 */
  weigh?: (value: V) => number;
}

interface Slot<V> {
  value: V;
  weight: number;
  /** Read since the clock hand last passed it: it gets a second chance. */
  referenced: boolean;
}

export class LruMap<K, V> {
  private readonly entries = new Map<K, Slot<V>>();
  private totalWeight = 0;
  private readonly maxEntries: number;
  private readonly maxWeight: number;
  private readonly weigh: (value: V) => number;

  constructor(options: LruMapOptions<V>) {
    this.maxEntries = options.maxEntries;
    this.maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY;
    this.weigh = options.weigh ?? (() => 0);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Total weight of the values held. */
  get weight(): number {
    return this.totalWeight;
  }

  /** The value for `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    entry.referenced = true;
    return entry.value;
  }

  /**
   * Holds `value` as the most recently used, dropping the least recently used until within
   * bounds. A value heavier than `maxWeight` on its own is not held (and `key` is dropped).
   * @returns whether the value is held.
   */
  set(key: K, value: V): boolean {
    this.delete(key);
    const weight = this.weigh(value);
    if (weight > this.maxWeight || this.maxEntries < 1) return false;
    this.entries.set(key, { value, weight, referenced: false });
    this.totalWeight += weight;
    while (this.entries.size > this.maxEntries || this.totalWeight > this.maxWeight) this.evictOne(key);
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.totalWeight -= entry.weight;
  }

  clear(): void {
    this.entries.clear();
    this.totalWeight = 0;
  }

  /** Drops one entry other than `keep` (the one being added), by the clock (see above). */
  private evictOne(keep: K): void {
    // Entries moved to the back are visited again by this loop: a Map iterates over additions.
    // After one pass every flag is clear, so it ends within two passes.
    for (const [key, entry] of this.entries) {
      if (key !== keep && !entry.referenced) {
        this.delete(key);
        return;
      }
      entry.referenced = false;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
  }
}
