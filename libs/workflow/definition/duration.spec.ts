import { describe, expect, it } from '@jest/globals';
import { addDuration, parseDelay, parseInstant, parseIsoDuration } from './duration.js';

describe('ISO-8601 durations', () => {
  it('parses every component, weeks and a negative sign', () => {
    expect(parseIsoDuration('P1Y2M3W4DT5H6M7S')).toEqual({ sign: 1, years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7 });
    expect(parseIsoDuration('-P1D')).toMatchObject({ sign: -1, days: 1 });
    expect(parseIsoDuration('PT90M')).toMatchObject({ minutes: 90 });
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', 'P', 'PT', '30D', 'P1.5D', 'P1DT', 'P1H', 'p1d', 'P-1D', 'P99999999999999999999D']) {
      expect(parseIsoDuration(text)).toBeNull();
    }
  });

  it('reads a delay in seconds or as a duration', () => {
    expect(parseDelay(3600)).toMatchObject({ seconds: 3600 });
    expect(parseDelay(-1)).toBeNull();
    expect(parseDelay(1.5)).toBeNull();
    expect(parseDelay('P30D')).toMatchObject({ days: 30 });
  });

  it('adds calendar months with the day clamped, days as 24 hours, in UTC', () => {
    expect(addDuration('2026-01-31T10:00:00.000Z', parseIsoDuration('P1M')!)).toBe('2026-02-28T10:00:00.000Z');
    expect(addDuration('2028-01-31T10:00:00.000Z', parseIsoDuration('P1M')!)).toBe('2028-02-29T10:00:00.000Z');
    expect(addDuration('2026-03-28T12:00:00.000Z', parseIsoDuration('P30D')!)).toBe('2026-04-27T12:00:00.000Z');
    expect(addDuration('2026-03-01T00:00:00.000Z', parseIsoDuration('-PT1H')!)).toBe('2026-02-28T23:00:00.000Z');
    expect(addDuration('2026-03-01T00:00:00.000Z', parseDelay(90)!)).toBe('2026-03-01T00:01:30.000Z');
    expect(() => addDuration('not a date', parseIsoDuration('P1D')!)).toThrow(RangeError);
  });

  it('reads date fields: calendar dates at midnight UTC, date-times without offset as UTC', () => {
    expect(parseInstant('2026-05-12')?.toISOString()).toBe('2026-05-12T00:00:00.000Z');
    expect(parseInstant('2026-05-12T14:30')?.toISOString()).toBe('2026-05-12T14:30:00.000Z');
    expect(parseInstant('2026-05-12T14:30:00+02:00')?.toISOString()).toBe('2026-05-12T12:30:00.000Z');
    for (const value of ['12/05/2026', '2026-13-45', '', 42, null, undefined, { toString: () => '2026-05-12' }]) {
      expect(parseInstant(value)).toBeNull();
    }
  });
});
