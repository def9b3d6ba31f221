/**
 * ISO-8601 durations (`P30D`, `PT2H30M`, `P1Y2M`, `P2W`), optionally negative (`-P1D`, an extension
 * used for offsets such as "the day before the appointment"), and plain seconds.
 *
 * Arithmetic is calendar arithmetic in UTC: `P1M` from 31 January gives the last day of February
 * (the day is clamped), `P1D` is always 24 hours. Pure: no clock is read.
 */
export interface IsoDuration {
  sign: 1 | -1;
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Source of the pattern, shared with the JSON Schema (`pattern`). */
export const ISO_DURATION_PATTERN = '^-?P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+S)?)?$';
const ISO_DURATION = /^(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Largest duration component accepted (keeps dates inside the ECMAScript range). */
const MAX_COMPONENT = 100_000;

/** Parses an ISO-8601 duration; `null` when it is not one (or absurdly large). */
export function parseIsoDuration(text: string): IsoDuration | null {
  const match = ISO_DURATION.exec(text);
  if (!match) return null;
  const [, minus, y, mo, w, d, h, mi, s] = match;
  const parts = [y, mo, w, d, h, mi, s].map((part) => (part === undefined ? 0 : Number(part)));
  if (parts.some((part) => !Number.isSafeInteger(part) || part > MAX_COMPONENT * 1000)) return null;
  const [years, months, weeks, days, hours, minutes, seconds] = parts as [number, number, number, number, number, number, number];
  if (years > MAX_COMPONENT / 10 || months > MAX_COMPONENT) return null;
  return { sign: minus ? -1 : 1, years, months, weeks, days, hours, minutes, seconds };
}

/** A delay as the definition writes it: an ISO-8601 duration or a whole number of seconds. */
export type DelaySpec = string | number;

/** Parses a delay: seconds (a non-negative integer) or an ISO duration. */
export function parseDelay(delay: DelaySpec): IsoDuration | null {
  if (typeof delay === 'number') {
    if (!Number.isSafeInteger(delay) || delay < 0) return null;
    return { sign: 1, years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: delay };
  }
  return parseIsoDuration(delay);
}

/** `instant` (ISO string or Date) plus `duration`, as an ISO string (UTC, milliseconds). */
export function addDuration(instant: string | Date, duration: IsoDuration): string {
  const start = typeof instant === 'string' ? new Date(instant) : new Date(instant.getTime());
  if (Number.isNaN(start.getTime())) throw new RangeError(`Instant invalide : ${String(instant)}`);
  const sign = duration.sign;
  const result = new Date(start.getTime());
  const monthsToAdd = sign * (duration.years * 12 + duration.months);
  if (monthsToAdd !== 0) {
    const day = result.getUTCDate();
    result.setUTCDate(1);
    result.setUTCMonth(result.getUTCMonth() + monthsToAdd);
    const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
    result.setUTCDate(Math.min(day, lastDay));
  }
  const ms =
    ((duration.weeks * 7 + duration.days) * 86_400 + duration.hours * 3_600 + duration.minutes * 60 + duration.seconds) * 1000;
  const end = new Date(result.getTime() + sign * ms);
  if (Number.isNaN(end.getTime())) throw new RangeError('Durée hors limites');
  return end.toISOString();
}

/**
 * Reads a date field value: an ISO instant, or a calendar date `YYYY-MM-DD` read as midnight UTC.
 * A date-time without an offset is read as UTC (never as the process's local time). `null` otherwise.
 */
export function parseInstant(text: unknown): Date | null {
  if (typeof text !== 'string') return null;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text);
  if (!match) return null;
  const [, day, time, zone] = match;
  const date = new Date(time === undefined ? `${day}T00:00:00.000Z` : `${day}T${time}${zone ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}
