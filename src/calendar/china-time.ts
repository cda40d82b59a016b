/** China has one time zone (UTC+8) and no daylight saving, so a fixed offset is exact. */
const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** An instant as China wall-clock parts, for templates: `{ date: '2026-11-26', time: '10:00', weekday: 4 }` (0 = Sunday). */
export interface ChinaDateTime {
  date: string;
  time: string;
  weekday: number;
  /** `2026-11-26 10:00` */
  text: string;
}

/** An instant (ISO string or Date) as China wall-clock time. */
export function chinaDateTime(instant: string | Date): ChinaDateTime {
  const shifted = new Date(new Date(instant).getTime() + CHINA_OFFSET_MS);
  const stamp = shifted.toISOString();
  const date = stamp.slice(0, 10);
  const time = stamp.slice(11, 16);
  return { date, time, weekday: shifted.getUTCDay(), text: `${date} ${time}` };
}

/** Calendar date in China as YYYY-MM-DD. */
export function chinaDate(instant: Date): string {
  return chinaDateTime(instant).date;
}
