import chineseDays from 'chinese-days';

const lunar = chineseDays as unknown as {
  getSolarDateFromLunar(lunarDate: string): { date: string };
  getSolarTermDate(year: number, month: number, term: 'pure_brightness'): string;
};

/** One named holiday and the dates it takes off work. */
export interface NamedHoliday {
  name: string;
  dates: string[];
}

/** A year's official-calendar exceptions: days off on weekdays, and weekend days worked (调休补班). */
export interface YearHolidays {
  year: number;
  holidays: NamedHoliday[];
  /** Make-up workdays: weekend dates that are working days. */
  workdays: string[];
}

/**
 * A provisional calendar for a year nobody has published yet, from the statutory holiday rules
 * in force since 2025 (国务院《全国年节及纪念日放假办法》, 2024 revision): 元旦 1 day, 春节 4 days
 * from 除夕 to 初三, 清明 1, 劳动节 2 (May 1–2), 端午 1, 中秋 1, 国庆 3 (Oct 1–3). The lunar dates
 * and the 清明 solar term come from chinese-days' astronomical tables. The State Council's
 * yearly notice also moves weekends around (调休); those cannot be predicted, so there are none
 * here and the dates are only provisional.
 */
export function provisionalYear(year: number): YearHolidays {
  const newYearsDay = lunarToSolar(year, 1, 1);
  const springFestival = [addDays(newYearsDay, -1), newYearsDay, addDays(newYearsDay, 1), addDays(newYearsDay, 2)];
  return {
    year,
    holidays: [
      { name: '元旦', dates: [`${year}-01-01`] },
      { name: '春节', dates: springFestival },
      { name: '清明节', dates: [lunar.getSolarTermDate(year, 4, 'pure_brightness')] },
      { name: '劳动节', dates: [`${year}-05-01`, `${year}-05-02`] },
      { name: '端午节', dates: [lunarToSolar(year, 5, 5)] },
      { name: '中秋节', dates: [lunarToSolar(year, 8, 15)] },
      { name: '国庆节', dates: [`${year}-10-01`, `${year}-10-02`, `${year}-10-03`] },
    ],
    workdays: [],
  };
}

function lunarToSolar(lunarYear: number, month: number, day: number): string {
  return lunar.getSolarDateFromLunar(`${lunarYear}-${pad(month)}-${pad(day)}`).date;
}

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  const moved = new Date(`${date}T00:00:00Z`);
  moved.setUTCDate(moved.getUTCDate() + days);
  return moved.toISOString().slice(0, 10);
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
