import path from 'node:path';
import { chinaDate } from '../calendar/china-time.js';
import { WorkingDayCalendar } from '../calendar/working-days.js';
import { loadConfig } from '../config.js';

/**
 * `npm run calendar -- check [YEAR...]`: validates `knowledge/calendar/*.yaml` and shows where
 * each year's working days come from (chinese-days, an operator file, or the provisional
 * statutory rules) with its holidays and make-up workdays.
 * `npm run calendar -- reload`: the same check, for after editing a file. The files are the
 * source of truth: every running instance reads them again within five minutes (or at once from
 * the console's 节假日日历 page) and a stopped service at start; each then recomputes the due
 * dates of open tickets and pending reviews, with an audit entry per moved date.
 */
function main(): number {
  const [command, ...years] = process.argv.slice(2).filter((arg) => arg !== '--');
  if ((command !== 'check' && command !== 'reload') || years.some((year) => !/^\d{4}$/.test(year))) {
    console.error('usage: npm run calendar -- check [YEAR...] | reload');
    return 2;
  }
  const config = loadConfig();
  const dir = path.join(config.knowledgeDir, 'calendar');
  const calendar = new WorkingDayCalendar({ operatorDir: dir });
  const load = calendar.reload();
  for (const problem of load.problems) console.error(`left out: ${problem.file}: ${problem.message}`);
  const thisYear = Number(chinaDate(new Date()).slice(0, 4));
  const shown = years.length > 0 ? years.map(Number) : [thisYear, thisYear + 1];
  for (const year of shown) {
    const { source, holidays, workdays } = calendar.holidaysOf(year);
    console.log(
      `${year}: ${source}${source === 'provisional' ? ' (statutory rules, no make-up days: add ' + path.join(dir, `${year}.yaml`) + ' once published)' : ''}`,
    );
    console.log(`  days off on weekdays: ${holidays.join(' ') || 'none'}`);
    console.log(`  make-up workdays:     ${workdays.join(' ') || 'none'}`);
  }
  if (command === 'reload') {
    console.log(
      load.problems.length > 0
        ? 'Fix the files above first: a file with errors is left out entirely.'
        : 'Files are valid. Running instances apply them within 5 minutes (or now: console → 节假日日历 → 重新加载); a stopped service applies them at start. Due dates of open tickets and pending reviews are recomputed and audited.',
    );
  }
  return load.problems.length > 0 ? 1 : 0;
}

process.exitCode = main();
