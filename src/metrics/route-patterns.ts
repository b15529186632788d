/**
 * Maps a request path to the Fastify route pattern that serves it (`/categories/world/feed.xml`
 * → `/categories/:slug/feed.xml`), for requests a channel answers before Fastify routes them
 * (the cached feeds). The `route` label then names the same series whichever path answered.
 */

/** Route patterns as Fastify's `onRoute` hook reports them. */
export class RoutePatterns {
  private readonly exact = new Map<string, string>();
  private readonly parametric: Array<{ pattern: string; regex: RegExp }> = [];

  add(pattern: string): void {
    if (!/[:*]/.test(pattern)) {
      this.exact.set(pattern, pattern);
      return;
    }
    if (this.parametric.some((route) => route.pattern === pattern)) return;
    this.parametric.push({ pattern, regex: compile(pattern) });
  }

  /** The pattern serving `url` (its query ignored), or undefined. */
  match(url: string): string | undefined {
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    for (const route of this.parametric) if (route.regex.test(path)) return route.pattern;
    return undefined;
  }
}

/** find-my-way's syntax: `:name` one segment, `:name(regex)`, `::` a literal colon, `*` the rest. */
function compile(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length;) {
    const char = pattern[i]!;
    if (char === ':' && pattern[i + 1] === ':') {
      source += ':';
      i += 2;
    } else if (char === ':') {
      let end = i + 1;
      while (end < pattern.length && /[\w$]/.test(pattern[end]!)) end++;
      if (pattern[end] === '(') {
        const close = pattern.indexOf(')', end);
        // Anchors written inside a parameter's regex hold for the segment, not the whole path.
        source += `(?:${pattern.slice(end + 1, close < 0 ? undefined : close).replace(/^\^|\$$/g, '')})`;
        end = close < 0 ? pattern.length : close + 1;
      } else {
        source += '[^/]+';
      }
      if (pattern[end] === '?') end++;
      i = end;
    } else if (char === '*') {
      source += '.*';
      i++;
    } else {
      source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${source}$`);
}
