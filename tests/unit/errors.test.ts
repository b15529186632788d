import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, type ErrorCode } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('error catalogue', () => {
  it.each(Object.entries(ERROR_CODES))('documents %s with its status in the README', (code, status) => {
    expect(readme).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });

  it('gives each error its status and a JSON body', () => {
    const error = new AppError('ARTICLE_INVALID' as ErrorCode, 'bad', [{ field: 'title', message: 'must not be empty' }]);
    expect(error.status).toBe(400);
    expect(error.toJSON()).toEqual({
      error: { code: 'ARTICLE_INVALID', message: 'bad', details: [{ field: 'title', message: 'must not be empty' }] },
    });
  });
});
