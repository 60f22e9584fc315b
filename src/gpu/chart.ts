import uPlot from 'uplot';

/**
 * One time chart of the GPU panel: a uPlot canvas with a time axis, one or two
 * value axes whose ticks carry their unit, and uPlot's legend (a DOM table)
 * that shows the latest values, or the values under the pointer while it
 * hovers. A canvas cannot resolve CSS variables, so the theme's colours and
 * font are read with getComputedStyle when the chart is made; the panel makes
 * its charts again when the theme changes.
 */
export class TimeChart {
  constructor(options: TimeChart.IOptions) {
    this._options = options;
    this.node = document.createElement('figure');
    this.node.className = 'jp-WarrenGpu-chart';
    this.node.dataset.chart = options.name;
    const caption = document.createElement('figcaption');
    caption.className = 'jp-WarrenGpu-chartTitle';
    caption.textContent = options.title;
    this.node.appendChild(caption);
    const theme = TimeChart.theme(options.themeNode);
    const font = `${theme.fontSize} ${theme.fontFamily}`;
    const axis = (scale: string, side: 0 | 1 | 2 | 3, unit: string): uPlot.Axis => ({
      scale,
      side,
      stroke: theme.text,
      font,
      size: 46,
      gap: 3,
      space: 22,
      grid: side === 3 ? { stroke: theme.grid, width: 1 } : { show: false },
      ticks: { stroke: theme.grid, width: 1, size: 3 },
      values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${TimeChart.round(t)}${unit}`)
    });
    const axes: uPlot.Axis[] = [
      {
        stroke: theme.text,
        font,
        size: 28,
        space: 56,
        grid: { stroke: theme.grid, width: 1 },
        ticks: { stroke: theme.grid, width: 1, size: 3 },
        values: (_u: uPlot, ticks: number[]) => TimeChart.timeLabels(ticks)
      }
    ];
    const scales: uPlot.Scales = { x: { time: true } };
    options.scales.forEach((s, i) => {
      scales[s.key] = s.range
        ? { auto: false, range: s.range }
        : { range: (_u: uPlot, min: number, max: number) => TimeChart.paddedRange(min, max) };
      axes.push(axis(s.key, i === 0 ? 3 : 1, s.unit));
    });
    const series: uPlot.Series[] = [
      { label: 'Time', value: (_u: uPlot, v: number | null) => TimeChart.timeOf(v) }
    ];
    for (const s of options.series) {
      series.push({
        label: s.label,
        scale: s.scale,
        stroke: theme.colour(s.colour),
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (_u: uPlot, v: number | null, _si: number, idx: number | null) =>
          v === null || v === undefined ? '–' : s.format(v, idx)
      });
    }
    const chart = document.createElement('div');
    this.node.appendChild(chart);
    this._plot = new uPlot(
      {
        width: options.width,
        height: options.height,
        legend: { show: true, live: true },
        cursor: { y: false, points: { show: false } },
        scales,
        axes,
        series,
        hooks: {
          setCursor: [(u: uPlot) => this._hovering(u)]
        }
      },
      [[]],
      chart
    );
  }

  readonly node: HTMLElement;

  setData(data: uPlot.AlignedData): void {
    this._plot.setData(data);
    // How many points it draws: tests read it to tell kept history from fresh samples.
    this.node.dataset.points = String(data[0].length);
    this._showLatest();
  }

  setWidth(width: number): void {
    this._plot.setSize({ width, height: this._options.height });
  }

  dispose(): void {
    this._plot.destroy();
    this.node.remove();
  }

  /** With the pointer away, the legend shows the latest values instead of dashes. */
  private _showLatest(): void {
    if (this._plot.cursor.idx !== null && this._plot.cursor.idx !== undefined) return;
    const n = this._plot.data[0]?.length ?? 0;
    if (n > 0) this._plot.setLegend({ idx: n - 1 }, false);
  }

  private _hovering(u: uPlot): void {
    if (u.cursor.idx === null || u.cursor.idx === undefined) this._showLatest();
  }

  private readonly _options: TimeChart.IOptions;
  private readonly _plot: uPlot;
}

export namespace TimeChart {
  export interface IScale {
    key: string;
    unit: string;
    /** A fixed range (percentages); otherwise fitted to the data with some room. */
    range?: [number, number];
  }
  export interface ISeries {
    label: string;
    scale: string;
    /** A theme colour (a CSS variable name) and what to use if the theme lacks it. */
    colour: [string, string];
    /** The legend's text for a value at a data index. */
    format: (value: number, idx: number | null) => string;
  }
  export interface IOptions {
    name: string;
    title: string;
    width: number;
    height: number;
    /** The element whose computed style holds the theme (the panel). */
    themeNode: HTMLElement;
    scales: IScale[];
    series: ISeries[];
  }

  export interface ITheme {
    text: string;
    grid: string;
    fontFamily: string;
    fontSize: string;
    colour: (spec: [string, string]) => string;
  }

  export function theme(node: HTMLElement): ITheme {
    const css = getComputedStyle(node);
    const read = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    return {
      text: read('--jp-ui-font-color1', '#333'),
      grid: read('--jp-border-color2', '#e0e0e0'),
      fontFamily: read('--jp-ui-font-family', 'sans-serif'),
      fontSize: '11px',
      colour: ([name, fallback]) => read(name, fallback)
    };
  }

  export function round(v: number): string {
    return Math.abs(v) >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1);
  }

  /** Room above and below the data, and never a flat range. */
  export function paddedRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    if (min === null || max === null) return [0, 100];
    const pad = Math.max((max - min) * 0.15, Math.abs(max) * 0.05, 1);
    return [Math.max(0, Math.floor(min - pad)), Math.ceil(max + pad)];
  }

  function two(n: number): string {
    return String(n).padStart(2, '0');
  }

  /** 24-hour clock times; seconds only where the ticks are closer than a minute. */
  export function timeLabels(ticks: number[]): string[] {
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : 60;
    return ticks.map((t) => {
      const d = new Date(t * 1000);
      const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
      return step < 60 ? `${hm}:${two(d.getSeconds())}` : hm;
    });
  }

  export function timeOf(t: number | null): string {
    if (t === null || t === undefined) return '–';
    const d = new Date(t * 1000);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  }
}
