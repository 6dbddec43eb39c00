import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartLine {
  name: string;
  x: number[];
  y: number[];
  color: string;
  width: number;
  points?: boolean;
  /** Shown in the legend (false: drawn only). */
  legend?: boolean;
}

interface Props {
  lines: ChartLine[];
  xLabel: string;
  yLabel: string;
  logY: boolean;
  testId?: string;
  height?: number;
}

/**
 * Lines on a shared x axis drawn with uPlot (canvas, ~50 kB): made for a few thousand points
 * per line, redrawn in place with setData. The drawn lines are also kept on the element as
 * `data` ([{name, x, y}]) for tests and debugging.
 */
export function LineChart({ lines, xLabel, yLabel, logY, testId, height = 320 }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // A new uPlot only when the set of lines or the axes change; data alone is setData.
  const shape = JSON.stringify([lines.map((l) => [l.name, l.color, l.width, l.points, l.legend]), xLabel, yLabel, logY, height]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false }, y: logY ? { distr: 3 } : {} },
      axes: [{ label: xLabel }, { label: yLabel, size: 60 }],
      series: [
        { label: xLabel },
        ...lines.map((l) => ({
          label: l.name,
          stroke: l.color,
          width: l.width,
          spanGaps: true,
          points: { show: l.points ?? false, size: 5, fill: l.color },
          ...(l.legend === false ? { show: true } : {}),
        })),
      ],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
    };
    const u = new uPlot(opts, toAligned(lines, logY), el);
    plot.current = u;
    // Lines drawn only (a raw line under its smoothed one) get no legend entry; row 0 is x.
    const rows = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
    lines.forEach((l, i) => {
      if (l.legend === false && rows[i + 1]) rows[i + 1].style.display = 'none';
    });
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `shape` stands for lines' styles and the axes
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(toAligned(lines, logY));
    const el = ref.current as (HTMLDivElement & { data?: unknown }) | null;
    if (el) el.data = lines.map((l) => ({ name: l.name, x: l.x, y: l.y }));
  }, [lines, logY, shape]);

  return <div ref={ref} data-testid={testId} className="line-chart" />;
}

/** uPlot wants one x array for all lines: join them (null where a line has no point). */
function toAligned(lines: ChartLine[], logY: boolean): uPlot.AlignedData {
  if (!lines.length) return [[]];
  // A log axis cannot show values ≤ 0: they become gaps.
  const ys = (l: ChartLine) => (logY ? l.y.map((v) => (v > 0 ? v : null)) : l.y);
  return uPlot.join(lines.map((l) => [l.x, ys(l)] as uPlot.AlignedData));
}
