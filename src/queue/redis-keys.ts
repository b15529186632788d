/**
 * Key names that work on Redis Cluster. A cluster keeps each key in one of 16,384 slots, hashed
 * from the key's hash tag (the first `{…}` with something inside) or, without one, from the
 * whole key; a Lua script or a MULTI may only touch keys of one slot (CROSSSLOT otherwise).
 * So keys used together share a tag: every BullMQ queue its own (`syndicate:{publish}:publish:wait`),
 * which spreads the queues over the cluster's nodes, and the feeds builder's counters theirs.
 *
 * A QUEUE_PREFIX that holds a tag already (`{syndicate}`, as the README suggested for clusters)
 * keeps its keys exactly as they were: everything hashes to that one tag, one slot, one node.
 */

/** The part of `key` Redis Cluster hashes: its first `{…}` when that holds something, else null (the whole key). */
export function hashTag(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/**
 * A prefix for keys used together (in one script or MULTI): `syndicate:{feeds}`, whose keys
 * `syndicate:{feeds}:generation`… share one slot. Under a `prefix` with a tag of its own it is
 * `prefix:group`, keys unchanged. (A prefix with a `{` that is not a tag, such as `a{}b`, makes
 * Redis ignore the later `{group}`: such keys work on one Redis but not on a cluster.)
 */
export function keyGroupPrefix(prefix: string, group: string): string {
  return hashTag(prefix) === null ? `${prefix}:{${group}}` : `${prefix}:${group}`;
}

/**
 * The BullMQ `prefix` option of queue `name` (BullMQ names its keys `<prefix>:<name>:<suffix>`):
 * `syndicate:{publish}` for QUEUE_PREFIX `syndicate`, so all the queue's keys (jobs, lists,
 * limiter, schedulers, events) share a slot of their own; QUEUE_PREFIX itself when it holds a tag.
 * Every Queue and Worker of a queue must use this, or they would not see each other's jobs.
 */
export function queueKeyPrefix(prefix: string, name: string): string {
  return hashTag(prefix) === null ? `${prefix}:{${name}}` : prefix;
}
