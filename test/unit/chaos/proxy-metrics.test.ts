// Does the embedded proxy's /metrics text name its byte counters and labels as Toxiproxy's
// -proxy-metrics does, count per label set, and stay valid exposition text whatever a proxy is called?
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProxyMetrics, PROXY_BYTE_COUNTERS, PROXY_METRIC_LABELS, escapeLabelValue } from '../../../chaos/toxiproxy/proxy-metrics.ts';
import { Direction } from '../../../chaos/toxiproxy/stream.ts';
import { findPromtool } from '../../../harness/env/prometheus-server.ts';

const link = { proxy: 'amqp-producer', listener: '127.0.0.1:41000', upstream: '127.0.0.1:5672' };

describe('ProxyMetrics', () => {
  it("uses Toxiproxy's counter names and its four labels", () => {
    expect(PROXY_BYTE_COUNTERS).toEqual({
      received: 'toxiproxy_proxy_received_bytes_total',
      sent: 'toxiproxy_proxy_sent_bytes_total',
    });
    expect([...PROXY_METRIC_LABELS]).toEqual(['direction', 'proxy', 'listener', 'upstream']);
  });

  it('adds up each label set, links of the same proxy and direction sharing one series', () => {
    const metrics = new ProxyMetrics();
    const up1 = metrics.link({ ...link, direction: Direction.Upstream });
    const up2 = metrics.link({ ...link, direction: Direction.Upstream });
    const down = metrics.link({ ...link, direction: Direction.Downstream });
    up1.received(100);
    up2.received(50);
    up1.sent(120);
    down.received(7);
    const text = metrics.render();
    const labels = (direction: string) =>
      `{direction="${direction}",listener="127.0.0.1:41000",proxy="amqp-producer",upstream="127.0.0.1:5672"}`;
    expect(text).toContain(`toxiproxy_proxy_received_bytes_total${labels('upstream')} 150\n`);
    expect(text).toContain(`toxiproxy_proxy_sent_bytes_total${labels('upstream')} 120\n`);
    expect(text).toContain(`toxiproxy_proxy_received_bytes_total${labels('downstream')} 7\n`);
    expect(text).toContain(`toxiproxy_proxy_sent_bytes_total${labels('downstream')} 0\n`);
  });

  it('renders text promtool accepts, with odd proxy names escaped', () => {
    const metrics = new ProxyMetrics();
    metrics
      .link({ proxy: 'a "quoted" \\ name\nwith a newline', listener: '[::1]:1', upstream: 'x:2', direction: Direction.Upstream })
      .sent(1);
    metrics.link({ ...link, direction: Direction.Downstream }).received(2);
    const text = metrics.render();
    expect(text).toContain('proxy="a \\"quoted\\" \\\\ name\\nwith a newline"');
    // promtool check metrics lints the exposition format (exit 0: nothing to complain about).
    expect(() => execFileSync(findPromtool(), ['check', 'metrics'], { input: text, encoding: 'utf8' })).not.toThrow();
    expect(() =>
      execFileSync(findPromtool(), ['check', 'metrics'], { input: new ProxyMetrics().render(), encoding: 'utf8' }),
    ).not.toThrow();
  });

  it('escapes backslashes, quotes and newlines only', () => {
    expect(escapeLabelValue('plain-name_1:2')).toBe('plain-name_1:2');
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});
