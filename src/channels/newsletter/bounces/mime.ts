/**
 * Just enough MIME (RFC 2045–2046, 5322) to read bounce and complaint reports: header fields,
 * multipart bodies, base64 and quoted-printable, `message/rfc822` and `text/rfc822-headers`
 * parts read as messages. Bounded in depth, parts and size, and tolerant of a message cut short
 * (an MTA pipe may pass only the first megabyte): whatever parsed is kept.
 * (mailparser is a development dependency here; a report needs none of its decoding of bodies.)
 */

/** One header field, its value unfolded. */
export interface HeaderField {
  /** Lower case. */
  name: string;
  value: string;
}

/** A message or a body part. */
export interface MimePart {
  headers: HeaderField[];
  /** `type/subtype`, lower case; `text/plain` when absent. */
  contentType: string;
  /** Its parameters, names in lower case. */
  contentParams: Record<string, string>;
  /** The decoded body; empty for multiparts and embedded messages (see `parts`). */
  body: Buffer;
  /** Sub-parts of a multipart; the one embedded message of `message/rfc822` or `text/rfc822-headers`. */
  parts: MimePart[];
}

/** Limits on what a stranger's message can make us do. */
export interface MimeLimits {
  /** @defaultValue 6 */
  maxDepth: number;
  /** Parts in the whole message. @defaultValue 100 */
  maxParts: number;
  /** Header fields per part. @defaultValue 500 */
  maxHeaders: number;
}

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = Object.freeze({ maxDepth: 6, maxParts: 100, maxHeaders: 500 });

/** Parses `raw` (a whole message, or its start). Never throws on any input. */
export function parseMime(raw: Buffer, limits: MimeLimits = DEFAULT_MIME_LIMITS): MimePart {
  const budget = { parts: limits.maxParts };
  return parsePart(raw, 0, limits, budget, 'text/plain');
}

/** The first field named `name` (any case), or null. */
export function header(part: Pick<MimePart, 'headers'>, name: string): string | null {
  const wanted = name.toLowerCase();
  return part.headers.find((field) => field.name === wanted)?.value ?? null;
}

/** Every field named `name`, in order. */
export function headers(part: Pick<MimePart, 'headers'>, name: string): string[] {
  const wanted = name.toLowerCase();
  return part.headers.filter((field) => field.name === wanted).map((field) => field.value);
}

/** Every part of the tree, depth first, the root included. */
export function walk(part: MimePart): MimePart[] {
  return [part, ...part.parts.flatMap(walk)];
}

/**
 * Header-style field groups separated by blank lines, as `message/delivery-status` (RFC 3464
 * §2.1: per-message fields, then one group per recipient) and `message/feedback-report`
 * (RFC 5965) bodies are written.
 */
export function parseFieldGroups(text: string, maxFields = 1000): HeaderField[][] {
  const groups: HeaderField[][] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/)) {
    const fields = parseHeaderBlock(block, maxFields);
    if (fields.length > 0) groups.push(fields);
  }
  return groups;
}

function parsePart(raw: Buffer, depth: number, limits: MimeLimits, budget: { parts: number }, defaultType: string): MimePart {
  budget.parts -= 1;
  const split = splitHeaderAndBody(raw);
  const fields = parseHeaderBlock(split.head.toString('latin1'), limits.maxHeaders);
  const { type, params } = parseContentType(header({ headers: fields }, 'content-type'), defaultType);
  const part: MimePart = { headers: fields, contentType: type, contentParams: params, body: Buffer.alloc(0), parts: [] };
  const body = split.body;

  if (type.startsWith('multipart/') && params.boundary && depth < limits.maxDepth) {
    // RFC 2046 §5.1.5: in multipart/digest the default type of a part is message/rfc822.
    const childType = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const chunk of splitMultipart(body, params.boundary)) {
      if (budget.parts <= 0) break;
      part.parts.push(parsePart(chunk, depth + 1, limits, budget, childType));
    }
    return part;
  }
  const decoded = decodeBody(body, header({ headers: fields }, 'content-transfer-encoding'));
  if ((type === 'message/rfc822' || type === 'message/global') && depth < limits.maxDepth && budget.parts > 0) {
    part.parts.push(parsePart(decoded, depth + 1, limits, budget, 'text/plain'));
    return part;
  }
  if ((type === 'text/rfc822-headers' || type === 'message/global-headers') && budget.parts > 0) {
    budget.parts -= 1;
    const fieldsOnly = parseHeaderBlock(splitHeaderAndBody(decoded).head.toString('latin1'), limits.maxHeaders);
    part.parts.push({ headers: fieldsOnly, contentType: 'text/plain', contentParams: {}, body: Buffer.alloc(0), parts: [] });
    return part;
  }
  part.body = decoded;
  return part;
}

/** Splits at the first empty line; a message without one is all header. */
function splitHeaderAndBody(raw: Buffer): { head: Buffer; body: Buffer } {
  // A part may start with the empty line at once (no header fields).
  if (raw[0] === 0x0a) return { head: Buffer.alloc(0), body: raw.subarray(1) };
  if (raw[0] === 0x0d && raw[1] === 0x0a) return { head: Buffer.alloc(0), body: raw.subarray(2) };
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { head: raw.subarray(0, crlf), body: raw.subarray(crlf + 4) };
  if (lf >= 0) return { head: raw.subarray(0, lf), body: raw.subarray(lf + 2) };
  return { head: raw, body: Buffer.alloc(0) };
}

/** Unfolded header fields; lines that are not fields are skipped. */
function parseHeaderBlock(text: string, maxFields: number): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^[ \t]/.test(line)) {
      const last = fields[fields.length - 1];
      if (last) last.value = `${last.value} ${line.trim()}`.trim();
      continue;
    }
    if (fields.length >= maxFields) break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    fields.push({ name, value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** `type/subtype` and its parameters (quoted strings unquoted). */
export function parseContentType(value: string | null, fallback: string): { type: string; params: Record<string, string> } {
  if (!value) return { type: fallback, params: {} };
  const [first = '', ...rest] = splitParameters(value);
  const type = first.trim().toLowerCase();
  const params: Record<string, string> = {};
  for (const parameter of rest) {
    const equals = parameter.indexOf('=');
    if (equals <= 0) continue;
    const name = parameter.slice(0, equals).trim().toLowerCase();
    let text = parameter.slice(equals + 1).trim();
    if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1).replace(/\\(.)/g, '$1');
    params[name] = text;
  }
  return { type: /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : fallback, params };
}

/** Splits at `;` outside quoted strings. */
function splitParameters(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && quoted) {
      current += char + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ';' && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts;
}

/** The bodies between `--boundary` lines; a missing closing delimiter ends the last part at the end. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const chunks: Buffer[] = [];
  let start = -1;
  let position = 0;
  for (;;) {
    const found = body.indexOf(delimiter, position);
    if (found < 0) break;
    const atLineStart = found === 0 || body[found - 1] === 0x0a;
    const after = found + delimiter.length;
    if (!atLineStart) {
      position = after;
      continue;
    }
    if (start >= 0) chunks.push(trimLineEnd(body.subarray(start, found)));
    const closing = body[after] === 0x2d && body[after + 1] === 0x2d;
    if (closing) return chunks;
    const lineEnd = body.indexOf(0x0a, after);
    if (lineEnd < 0) return chunks;
    start = lineEnd + 1;
    position = start;
  }
  if (start >= 0 && start < body.length) chunks.push(body.subarray(start));
  return chunks;
}

/** Drops the line break that belongs to the next delimiter (RFC 2046 §5.1.1). */
function trimLineEnd(chunk: Buffer): Buffer {
  let end = chunk.length;
  if (end > 0 && chunk[end - 1] === 0x0a) end--;
  if (end > 0 && chunk[end - 1] === 0x0d) end--;
  return chunk.subarray(0, end);
}

function decodeBody(body: Buffer, encoding: string | null): Buffer {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (name === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  const out = Buffer.alloc(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[length++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      out[length++] = char & 0xff;
    }
  }
  return out.subarray(0, length);
}
