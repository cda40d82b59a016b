/** One series of a bar chart. */
export interface ChartSeries {
  /** A key the template names in Chinese (`opened`, `closed`, ...). */
  key: string;
  values: number[];
  /** A CSS class of the stylesheet (`series-a`, `series-b`), so colours stay in the CSS. */
  className: string;
}

/** What the template draws: bars and axis labels already placed, in the SVG's own units. */
export interface BarChart {
  width: number;
  height: number;
  max: number;
  bars: { x: number; y: number; width: number; height: number; className: string; day: string; series: string; value: number }[];
  xLabels: { x: number; text: string }[];
  yTicks: { y: number; text: string }[];
  legend: { key: string; className: string }[];
}

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 36;
const BOTTOM = 24;
const TOP = 8;

/**
 * Grouped bars per day, laid out on the server so the page needs no script: the template turns
 * this into `<rect>`s (the CSP allows no inline or remote scripts).
 */
export function barChart(days: string[], series: ChartSeries[]): BarChart {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const plotWidth = WIDTH - LEFT - 8;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, days.length);
  const barWidth = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  const bars = days.flatMap((day, d) =>
    series.map((s, i) => {
      const value = s.values[d] ?? 0;
      const height = (value / max) * plotHeight;
      return {
        x: round(LEFT + d * slot + slot * 0.1 + i * barWidth),
        y: round(TOP + plotHeight - height),
        width: round(barWidth),
        height: round(height),
        className: s.className,
        day,
        series: s.key,
        value,
      };
    }),
  );
  const step = Math.max(1, Math.ceil(days.length / 8));
  const xLabels = days.flatMap((day, d) => (d % step === 0 ? [{ x: round(LEFT + d * slot + slot / 2), text: day.slice(5) }] : []));
  // A half-way tick only when it is a whole number of its own.
  const yTicks = (max % 2 === 0 ? [0, 0.5, 1] : [0, 1]).map((share) => ({
    y: round(TOP + plotHeight - share * plotHeight),
    text: String(Math.round(max * share)),
  }));
  return { width: WIDTH, height: HEIGHT, max, bars, xLabels, yTicks, legend: series.map((s) => ({ key: s.key, className: s.className })) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
