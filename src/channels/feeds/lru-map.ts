/**
 * A Map bounded by entry count and by a total weight (bytes), dropping the least recently used
 * entries first. For in-memory caches keyed by what strangers send (SPEC §7: in-memory caches
 * are bounded). Relies on Map keeping insertion order: a hit is moved to the end.
 */
export interface LruMapOptions<V> {
  /** Most entries held. */
  maxEntries: number;
  /** Most total weight held. @defaultValue Infinity */
  maxWeight?: number;
  /** The weight of a value (e.g. its bytes). @defaultValue every value weighs 0 */
  weigh?: (value: V) => number;
}

export class LruMap<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
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
    this.entries.delete(key);
    this.entries.set(key, entry);
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
    this.entries.set(key, { value, weight });
    this.totalWeight += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalWeight <= this.maxWeight) break;
      this.entries.delete(oldest);
      this.totalWeight -= entry.weight;
    }
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
}
