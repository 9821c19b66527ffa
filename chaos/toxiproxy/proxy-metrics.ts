// The byte counters a real Toxiproxy (2.6+, started with -proxy-metrics) serves at GET /metrics, same
// names and labels, so one Grafana panel reads either: bytes each link received from its source and
// sent to its destination, per direction (upstream: client to server). Toxiproxy adds a link's bytes
// when the link ends; here they are added as they pass, so a long-lived AMQP connection shows its
// traffic while it lives, and the totals agree once it has closed.
import type { Direction } from './stream.ts';

export const PROXY_METRICS_PATH = '/metrics';
/** Prometheus text format 0.0.4, as Go's promhttp serves it by default. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const PROXY_BYTE_COUNTERS = {
  received: 'toxiproxy_proxy_received_bytes_total',
  sent: 'toxiproxy_proxy_sent_bytes_total',
} as const;

/** Toxiproxy's label names for both counters (its collectors/proxy.go). */
export const PROXY_METRIC_LABELS = ['direction', 'proxy', 'listener', 'upstream'] as const;

const DIRECTION_NAMES: Record<Direction, string> = { 0: 'upstream', 1: 'downstream' };

export interface LinkLabels {
  direction: Direction;
  proxy: string;
  /** The proxy's listen address when the link started. */
  listener: string;
  upstream: string;
}

/** What one link reports as its bytes pass. */
export interface LinkTraffic {
  received(bytes: number): void;
  sent(bytes: number): void;
}

/** Counts nothing: for links made without a metrics registry. */
export const UNCOUNTED: LinkTraffic = { received: () => {}, sent: () => {} };

interface Series {
  labels: string;
  received: number;
  sent: number;
}

/** Every proxy's counters of one server. Series live as long as the server, as a Prometheus CounterVec's do. */
export class ProxyMetrics {
  private readonly series = new Map<string, Series>();

  /** The counters of one label set, created at zero the first time it is asked for. */
  link(labels: LinkLabels): LinkTraffic {
    const text = renderLabels(labels);
    let series = this.series.get(text);
    if (series === undefined) {
      series = { labels: text, received: 0, sent: 0 };
      this.series.set(text, series);
    }
    const counted = series;
    return {
      received: (bytes) => {
        counted.received += bytes;
      },
      sent: (bytes) => {
        counted.sent += bytes;
      },
    };
  }

  /** The exposition text: both families, each with HELP and TYPE even before any traffic. */
  render(): string {
    const sorted = [...this.series.values()].sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    const family = (name: string, help: string, value: (s: Series) => number): string[] => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} counter`,
      ...sorted.map((s) => `${name}{${s.labels}} ${value(s)}`),
    ];
    return (
      [
        ...family(PROXY_BYTE_COUNTERS.received, 'Bytes a proxy link read from its source.', (s) => s.received),
        ...family(PROXY_BYTE_COUNTERS.sent, 'Bytes a proxy link wrote to its destination.', (s) => s.sent),
      ].join('\n') + '\n'
    );
  }
}

/** Labels sorted by name, values escaped as the text format asks (backslash, quote, newline). */
function renderLabels(labels: LinkLabels): string {
  const values: Record<(typeof PROXY_METRIC_LABELS)[number], string> = {
    direction: DIRECTION_NAMES[labels.direction],
    proxy: labels.proxy,
    listener: labels.listener,
    upstream: labels.upstream,
  };
  return [...PROXY_METRIC_LABELS]
    .sort()
    .map((name) => `${name}="${escapeLabelValue(values[name])}"`)
    .join(',');
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
