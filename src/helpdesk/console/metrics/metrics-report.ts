import { chinaDate } from '../../../calendar/china-time.js';
import type { UnansweredGroup } from '../unanswered-report.js';
import type { DailyFigures } from './daily-counters.js';
import { barChart, type BarChart } from './svg-chart.js';

/** The figures of a period, with the definitions the page states. */
export interface MetricsReport {
  from: string;
  to: string;
  days: DailyFigures[];
  totals: {
    opened: number;
    closed: number;
    firstResponses: number;
    /** Share (0–1) of first responses given by the due date; `null` without any. */
    firstResponseInSla: number | null;
    firstResponseAvgHours: number | null;
    resolutionInSla: number | null;
    resolutionAvgHours: number | null;
    conversations: number;
    escalatedConversations: number;
    /**
     * Deflection: of the chat conversations with a turn in the period (each counted once per day),
     * the share that opened no ticket that day. `null` when there were none.
     */
    deflection: number | null;
  };
  charts: { tickets: BarChart; sla: BarChart; conversations: BarChart };
  topUnanswered: UnansweredGroup[];
}

/** The period the page shows: the last `days` China days up to today. */
export function periodEndingToday(now: Date, days: number): { from: string; to: string } {
  const to = chinaDate(now);
  const start = new Date(`${to}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - (days - 1));
  return { from: start.toISOString().slice(0, 10), to };
}

export function buildMetricsReport(from: string, to: string, days: DailyFigures[], unanswered: UnansweredGroup[]): MetricsReport {
  const sum = (pick: (figures: DailyFigures) => number) => days.reduce((total, figures) => total + pick(figures), 0);
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
  const hours = (ms: number, count: number) => (count > 0 ? Math.round((ms / count / 3_600_000) * 10) / 10 : null);
  const closed = sum((f) => f.closed);
  const firstResponses = sum((f) => f.firstResponses);
  const conversations = sum((f) => f.conversations);
  const escalated = sum((f) => f.escalatedConversations);
  const labels = days.map((f) => f.day);
  return {
    from,
    to,
    days,
    totals: {
      opened: sum((f) => f.opened),
      closed,
      firstResponses,
      firstResponseInSla: share(
        sum((f) => f.firstResponsesInSla),
        firstResponses,
      ),
      firstResponseAvgHours: hours(
        sum((f) => f.firstResponseMsTotal),
        firstResponses,
      ),
      resolutionInSla: share(
        sum((f) => f.resolutionsInSla),
        closed,
      ),
      resolutionAvgHours: hours(
        sum((f) => f.resolutionMsTotal),
        closed,
      ),
      conversations,
      escalatedConversations: escalated,
      deflection: conversations > 0 ? Math.max(0, conversations - escalated) / conversations : null,
    },
    charts: {
      tickets: barChart(labels, [
        { key: 'opened', values: days.map((f) => f.opened), className: 'series-a' },
        { key: 'closed', values: days.map((f) => f.closed), className: 'series-b' },
      ]),
      sla: barChart(labels, [
        { key: 'firstResponsesInSla', values: days.map((f) => f.firstResponsesInSla), className: 'series-b' },
        { key: 'firstResponsesLate', values: days.map((f) => f.firstResponses - f.firstResponsesInSla), className: 'series-c' },
      ]),
      conversations: barChart(labels, [
        { key: 'deflected', values: days.map((f) => Math.max(0, f.conversations - f.escalatedConversations)), className: 'series-b' },
        { key: 'escalated', values: days.map((f) => f.escalatedConversations), className: 'series-a' },
      ]),
    },
    topUnanswered: unanswered.slice(0, 10),
  };
}

/** The daily figures as CSV (header names are column keys, for spreadsheets and scripts). */
export function metricsCsv(report: MetricsReport): string {
  const columns = [
    'day',
    'opened',
    'closed',
    'firstResponses',
    'firstResponsesInSla',
    'firstResponseAvgHours',
    'resolutionsInSla',
    'resolutionAvgHours',
    'conversations',
    'escalatedConversations',
    'deflection',
  ];
  const rows = report.days.map((f) => [
    f.day,
    f.opened,
    f.closed,
    f.firstResponses,
    f.firstResponsesInSla,
    f.firstResponses > 0 ? (f.firstResponseMsTotal / f.firstResponses / 3_600_000).toFixed(2) : '',
    f.resolutionsInSla,
    f.closed > 0 ? (f.resolutionMsTotal / f.closed / 3_600_000).toFixed(2) : '',
    f.conversations,
    f.escalatedConversations,
    f.conversations > 0 ? (Math.max(0, f.conversations - f.escalatedConversations) / f.conversations).toFixed(4) : '',
  ]);
  return [columns, ...rows].map((row) => row.join(',')).join('\r\n') + '\r\n';
}
