import { describe, expect, it } from 'vitest';
import { displayWidth, formatDuration, formatRate, formatTime, renderTable, truncate } from '../../../src/cli/table.js';

describe('renderTable', () => {
  it('pads each column to its widest cell, header included, without trailing spaces', () => {
    const text = renderTable(
      [{ header: 'CHANNEL' }, { header: 'ATTEMPTS', align: 'right' }, { header: 'DETAIL' }],
      [
        ['x', '8', 'credentials refused'],
        ['newsletter', '1', ''],
      ],
    );
    expect(text.split('\n')).toEqual(['CHANNEL     ATTEMPTS  DETAIL', 'x                  8  credentials refused', 'newsletter         1']);
  });

  it('leaves the header row out when every header is empty, and indents', () => {
    expect(renderTable([{ header: '' }, { header: '' }], [['✓', 'redis']], { indent: 2 })).toBe('  ✓  redis');
  });

  it('cuts long cells with an ellipsis and keeps a cell on one line', () => {
    const text = renderTable([{ header: 'T', maxWidth: 10 }], [['A very long title indeed'], ['two\nlines']]);
    expect(text.split('\n')).toEqual(['T', 'A very lo…', 'two lines']);
  });

  it('counts wide characters as two columns and colour codes as none', () => {
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('\x1b[31mred\x1b[0m')).toBe(3);
    const text = renderTable(
      [{ header: 'A' }, { header: 'B' }],
      [
        ['日本', 'x'],
        ['ab', 'y'],
      ],
    );
    expect(text.split('\n')).toEqual(['A     B', '日本  x', 'ab    y']);
    expect(truncate('日本語のタイトル', 7)).toBe('日本語…');
  });
});

describe('formats', () => {
  it('says how long in the largest unit that reads well', () => {
    expect(formatDuration(4_400)).toBe('4 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(3 * 3600_000 + 5 * 60_000)).toBe('3 h 5 min');
    expect(formatDuration(5 * 24 * 3600_000)).toBe('5 days');
  });

  it('gives a rate per second, or per minute when slow', () => {
    expect(formatRate(38.2)).toBe('38/s');
    expect(formatRate(2.54)).toBe('2.5/s');
    expect(formatRate(0.2)).toBe('12/min');
  });

  it('writes times the ISO way in the newsroom’s zone', () => {
    const date = new Date('2026-03-02T09:00:05Z');
    expect(formatTime(date, 'UTC')).toBe('2026-03-02 09:00');
    expect(formatTime(date, 'Europe/Berlin', { seconds: true })).toBe('2026-03-02 10:00:05');
  });
});
