import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { FaultSpan, Series } from './timelines.ts';

// ECharts' server-side rendering: each chart becomes an inline <svg> at report time, so the report
// opens from disk with no script and no network. Only the parts used are registered (a smaller load).
echarts.use([LineChart, GridComponent, LegendComponent, MarkAreaComponent, TitleComponent, SVGRenderer]);

export const CHART_WIDTH = 1100;
export const CHART_HEIGHT = 260;
/** The fault windows' shade; ECharts writes it as this fill (and an opacity), by which the browser test finds a window. */
export const FAULT_SHADE_FILL = 'rgb(214,39,40)';
const FAULT_SHADE = 'rgba(214,39,40,0.16)';

export interface ChartSpec {
  /** Stable id: the chart's anchor and its `data-chart` attribute. */
  id: string;
  title: string;
  unit: string;
  series: readonly Series[];
  /** Stack the series (counts that add up, e.g. answers by outcome). */
  stacked?: boolean;
}

/** One chart as inline SVG on the shared time axis (0..end s), each fault window shaded and labelled. */
export function renderChartSvg(spec: ChartSpec, faults: readonly FaultSpan[], end: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: CHART_WIDTH, height: CHART_HEIGHT });
  try {
    chart.setOption({
      animation: false,
      title: { text: `${spec.title} (${spec.unit})`, left: 8, top: 4, textStyle: { fontSize: 14, fontWeight: 600 } },
      legend: { type: 'plain', top: 4, right: 8, textStyle: { fontSize: 11 }, itemWidth: 14, itemHeight: 8 },
      grid: { left: 64, right: 24, top: 44, bottom: 36 },
      xAxis: {
        type: 'value',
        min: 0,
        max: end,
        name: 's since the load began',
        nameLocation: 'middle',
        nameGap: 24,
        splitLine: { show: false },
      },
      yAxis: { type: 'value', min: 0 },
      series: spec.series.map((s, i) => ({
        name: s.name,
        type: 'line',
        data: s.points,
        showSymbol: false,
        connectNulls: false,
        lineStyle: { width: 1.5 },
        ...(spec.stacked ? { stack: 'total', areaStyle: { opacity: 0.35 } } : {}),
        // The fault windows ride on the first series: one shaded band per fault, named at its top.
        ...(i === 0 && faults.length > 0
          ? {
              markArea: {
                silent: true,
                itemStyle: { color: FAULT_SHADE },
                label: { show: true, position: 'insideTop', color: '#a11', fontSize: 11 },
                data: faults.map((f) => [{ name: f.name, xAxis: f.from }, { xAxis: f.to ?? end }]),
              },
            }
          : {}),
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
