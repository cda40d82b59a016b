import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOperatorCalendars } from '../../src/calendar/operator-calendar.js';
import { provisionalYear } from '../../src/calendar/statutory-rules.js';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('a calendar that never runs out', () => {
  it('2027, which chinese-days does not list, follows the statutory rules in force since 2025', () => {
    const year = provisionalYear(2027);
    expect(Object.fromEntries(year.holidays.map((holiday) => [holiday.name, holiday.dates]))).toEqual({
      元旦: ['2027-01-01'],
      // 除夕 to 初三: the lunar new year falls on Sat 6 Feb 2027.
      春节: ['2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08'],
      清明节: ['2027-04-05'],
      劳动节: ['2027-05-01', '2027-05-02'],
      端午节: ['2027-06-09'],
      中秋节: ['2027-09-15'],
      国庆节: ['2027-10-01', '2027-10-02', '2027-10-03'],
    });
    expect(year.workdays).toEqual([]);
  });

  it('uses the library for its years and the rules beyond, flagging the deadline provisional', () => {
    const calendar = new WorkingDayCalendar();
    expect(calendar.sourceOf(2026)).toBe('library');
    expect(calendar.sourceOf(2027)).toBe('provisional');
    expect(calendar.sourceOf(2040)).toBe('provisional');
    // Library data, with its make-up Saturday.
    expect(calendar.isWorkday('2026-10-10')).toBe(true);
    expect(calendar.isWorkday('2027-01-01')).toBe(false);
    expect(calendar.isWorkday('2027-02-08')).toBe(false); // 初三, a Monday
    expect(calendar.isWorkday('2027-02-09')).toBe(true);

    const inDecember = calendar.deadline(new Date('2026-12-29T10:00:00+08:00'), 3);
    expect(inDecember).toEqual({ due: new Date('2027-01-04T10:00:00+08:00'), provisional: true });
    const inNovember = calendar.deadline(new Date('2026-11-23T10:00:00+08:00'), 3);
    expect(inNovember.provisional).toBe(false);
    // Any year at all gets a date: 2040's Spring Festival is placed too.
    expect(calendar.holidaysOf(2040).holidays.length).toBeGreaterThanOrEqual(10);
  });

  it('an operator file overrides the year, may reach back into December, and a bad file is named and left out', () => {
    const dir = tempDir('calendar-');
    writeFileSync(
      path.join(dir, '2027.yaml'),
      ['year: 2027', 'holidays:', '  - { name: 元旦, from: 2026-12-31, to: 2027-01-03 }', 'workdays: [2027-01-09]', ''].join('\n'),
    );
    writeFileSync(path.join(dir, '2028.yaml'), 'year: 2028\nholidays:\n  - { name: 春节, from: 2028-02-30 }\n');
    const calendar = new WorkingDayCalendar({ operatorDir: dir });
    expect(calendar.sourceOf(2027)).toBe('operator');
    expect(calendar.isWorkday('2026-12-31')).toBe(false);
    expect(calendar.isWorkday('2027-01-09')).toBe(true);
    // Nothing else listed: 2027's Spring Festival is an ordinary week in this file.
    expect(calendar.isWorkday('2027-02-08')).toBe(true);
    expect(calendar.sourceOf(2028)).toBe('provisional');

    const { problems } = loadOperatorCalendars(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toContain('2028.yaml');
    expect(problems[0]!.message).toContain('not a calendar date');
  });

  it('reload reports whether anything changed', () => {
    const dir = tempDir('calendar-');
    const calendar = new WorkingDayCalendar({ operatorDir: dir });
    expect(calendar.reload().changed).toBe(false);
    writeFileSync(path.join(dir, '2027.yaml'), 'year: 2027\nholidays:\n  - { name: 元旦, from: 2027-01-01 }\n');
    expect(calendar.reload()).toMatchObject({ changed: true, operatorYears: [2027], problems: [] });
    expect(calendar.reload().changed).toBe(false);
  });

  it('rejects a file whose name and year disagree, or with a day both off and worked', () => {
    const dir = tempDir('calendar-');
    writeFileSync(path.join(dir, '2029.yaml'), 'year: 2030\nholidays:\n  - { name: 元旦, from: 2030-01-01 }\n');
    writeFileSync(path.join(dir, '2031.yaml'), 'year: 2031\nholidays:\n  - { name: 元旦, from: 2031-01-01 }\nworkdays: [2031-01-01]\n');
    const messages = loadOperatorCalendars(dir).problems.map((problem) => problem.message);
    expect(messages).toEqual(['the file name must be 2030.yaml', 'both a holiday and a workday: 2031-01-01']);
  });
});
