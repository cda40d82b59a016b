import express, { type Response, type Router } from 'express';
import { chinaDate } from '../../calendar/china-time.js';
import type { WorkingDayCalendar } from '../../calendar/working-days.js';
import { agentOf, authOf, type ConsoleAuth } from '../console/console-auth.js';
import type { CalendarRecomputer } from './calendar-recompute.js';

export interface CalendarPageDeps {
  auth: ConsoleAuth;
  calendar: WorkingDayCalendar;
  recomputer: CalendarRecomputer;
  pages: { render(name: string, context: object): string };
  clock: () => Date;
}

/**
 * `/console/calendar` (admins): which source each year's working days come from, its holidays
 * and make-up workdays, and a button that reloads `knowledge/calendar/*.yaml` and recomputes the
 * due dates of open tickets and pending reviews (audited), like `npm run calendar -- reload`.
 */
export function createCalendarPageRouter(deps: CalendarPageDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const page = (res: Response, result?: object) => {
    const current = authOf(res);
    const thisYear = Number(chinaDate(deps.clock()).slice(0, 4));
    const years = [thisYear, thisYear + 1, thisYear + 2].map((year) => ({ year, ...deps.calendar.holidaysOf(year) }));
    const html = deps.pages.render('console/calendar.njk', {
      agent: current?.agent ?? null,
      csrfToken: current?.session.csrfToken ?? null,
      nav: 'calendar',
      years,
      result: result ?? null,
    });
    res.type('html').setHeader('Cache-Control', 'no-store').send(html);
  };
  router.get('/calendar', deps.auth.requireRole('admin', 'page'), (_req, res) => page(res));
  router.post('/calendar/reload', deps.auth.requireRole('admin', 'page'), form, deps.auth.requireCsrf('page'), async (_req, res) => {
    page(res, await deps.recomputer.reload(agentOf(res).username));
  });
  return router;
}
