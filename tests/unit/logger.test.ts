import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormatFor } from '../../src/logger.js';

describe('log format', () => {
  it('is readable on a terminal and JSON anywhere else', () => {
    expect(logFormatFor({ isTTY: true })).toBe('pretty');
    expect(logFormatFor({ isTTY: false })).toBe('json');
    expect(logFormatFor(new PassThrough())).toBe('json');
    expect(logFormatFor(undefined)).toBe('json');
  });

  it('writes pretty lines to a terminal, redacted as the JSON ones are', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    let written = '';
    terminal.on('data', (chunk: Buffer) => (written += chunk.toString()));
    createLogger('info', terminal).info({ channel: 'x', account: { token: 'secret-token' } }, 'delivery outcome');
    await new Promise((resolve) => setImmediate(resolve));
    const plain = written.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: delivery outcome\n/);
    expect(plain).toContain('channel: "x"');
    expect(written).not.toContain('secret-token');
    expect(() => JSON.parse(written)).toThrow();
  });

  it('writes one JSON object a line to a pipe', async () => {
    const pipe = new PassThrough();
    let written = '';
    pipe.on('data', (chunk: Buffer) => (written += chunk.toString()));
    createLogger('info', pipe).info({ channel: 'x' }, 'delivery outcome');
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(written.trim())).toMatchObject({ msg: 'delivery outcome', channel: 'x', service: 'syndicate' });
  });
});
