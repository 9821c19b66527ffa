import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { FAULT_SHADE_FILL } from '../../harness/report/charts.ts';

/** Debian's Chromium: the binary itself (/usr/bin/chromium is a wrapper script playwright cannot drive). */
const CHROMIUM_PATHS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

/** As root, without a sandbox; no background networking (this machine's closed network refuses it, noisily). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface RenderedChart {
  id: string;
  /** Series lines drawn: paths of three or more segments (axes, grid lines and ticks are single segments). */
  seriesLines: number;
  width: number;
  height: number;
  /** Shaded fault windows: their drawn width in pixels. */
  faultWindowWidths: number[];
}

export function chromiumPath(): string {
  const found = CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!found) throw new Error(`no Chromium at ${CHROMIUM_PATHS.join(' or ')}: install Debian's chromium package (.ci/run does)`);
  return found;
}

/** Opens a report from disk in headless Chromium, measures every chart as drawn, and saves a full-page screenshot. */
export async function inspectReport(reportPath: string, screenshotPath: string): Promise<RenderedChart[]> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Offline: a report that reaches for the network is broken.
    await page.route(/^https?:/, (route) => route.abort());
    await page.goto(`file://${reportPath}`);
    const charts = await page.$$eval(
      'figure[data-chart]',
      (figures, shade) =>
        figures.map((figure) => {
          const svg = figure.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const lines = [...(svg?.querySelectorAll('path') ?? [])].filter((p) => (p.getAttribute('d')?.match(/L/g)?.length ?? 0) >= 3);
          const faults = [...(svg?.querySelectorAll(`[fill="${shade}"]`) ?? [])].map((el) => el.getBoundingClientRect().width);
          return {
            id: figure.getAttribute('data-chart') ?? '',
            seriesLines: lines.filter((p) => p.getBoundingClientRect().width > 0).length,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            faultWindowWidths: faults,
          };
        }),
      FAULT_SHADE_FILL,
    );
    await page.screenshot({ path: screenshotPath, fullPage: true });
    return charts;
  } finally {
    await browser.close();
  }
}
