import type { CalendarSpecDescription, Range } from '@temporalio/client';

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

/**
 * Temporal turns a cron string into a structured calendar when a schedule is created; describe() returns the
 * calendar. This writes it back as the 5-field cron admins configured (`0 2 * * *`).
 */
export function formatCalendarAsCron(calendar: CalendarSpecDescription): string {
  return [
    formatField(calendar.minute, 0, 59),
    formatField(calendar.hour, 0, 23),
    formatField(calendar.dayOfMonth, 1, 31),
    formatField(
      calendar.month.map((range) => toNumbers(range, MONTHS, 1)),
      1,
      12,
    ),
    formatField(
      calendar.dayOfWeek.map((range) => toNumbers(range, DAYS, 0)),
      0,
      6,
    ),
  ].join(' ');
}

function toNumbers(range: Range<string>, names: string[], base: number): Range<number> {
  return { start: names.indexOf(range.start) + base, end: names.indexOf(range.end) + base, step: range.step };
}

function formatField(ranges: Range<number>[], min: number, max: number): string {
  if (ranges.length === 0) return '*';
  return ranges
    .map(({ start, end, step }) => {
      const last = end < start ? start : end;
      const stride = step > 1 ? `/${step}` : '';
      if (start === min && last === max) return `*${stride}`;
      return last === start ? `${start}` : `${start}-${last}${stride}`;
    })
    .join(',');
}
