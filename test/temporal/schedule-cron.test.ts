import type { CalendarSpecDescription } from '@temporalio/client';
import { formatCalendarAsCron } from '../../src/temporal/schedule-cron';

const every = <T>(start: T, end: T) => [{ start, end, step: 1 }];

function calendar(overrides: Partial<CalendarSpecDescription>): CalendarSpecDescription {
  return {
    second: every(0, 0),
    minute: every(0, 0),
    hour: every(0, 0),
    dayOfMonth: every(1, 31),
    month: every('JANUARY', 'DECEMBER'),
    year: [],
    dayOfWeek: every('SUNDAY', 'SATURDAY'),
    ...overrides,
  } as CalendarSpecDescription;
}

describe('schedule calendars back to 5-field cron', () => {
  it('writes the daily schedules as configured', () => {
    expect(formatCalendarAsCron(calendar({ hour: every(2, 2) }))).toBe('0 2 * * *');
    expect(formatCalendarAsCron(calendar({ hour: every(3, 3), minute: every(30, 30) }))).toBe('30 3 * * *');
  });

  it('writes steps, ranges, lists, months and weekdays', () => {
    const spec = calendar({
      minute: [{ start: 0, end: 59, step: 15 }],
      hour: [{ start: 9, end: 17, step: 1 }],
      month: [
        { start: 'MARCH', end: 'MARCH', step: 1 },
        { start: 'JUNE', end: 'AUGUST', step: 1 },
      ],
      dayOfWeek: every('MONDAY', 'FRIDAY'),
    });
    expect(formatCalendarAsCron(spec)).toBe('*/15 9-17 * 3,6-8 1-5');
  });
});
