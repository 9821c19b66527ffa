import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerInspector, ChannelState, QueueState } from '../env/broker-inspector.ts';

/** One read of the broker while the run goes on: a line of broker-timeline.jsonl, drawn in the report's timelines. */
export interface BrokerSample {
  /** Wall-clock ms, comparable with history events. */
  t: number;
  /** False when the management API did not answer (the broker is down or cut off): the charts show a gap. */
  reachable: boolean;
  queues?: QueueState[];
  /** Connections with at least one consumer on them, by the name each client gave its connection. */
  consumerConnections?: string[];
  /** A cluster's nodes the answering node sees running (cluster runs only): a leader on a node not among them is no leader. */
  runningNodes?: string[];
}

export const BROKER_TIMELINE_FILE = 'broker-timeline.jsonl';
const SAMPLE_MS = 1_000;

/**
 * Reads queues and channels from the management API once a second. Channels with consumers feed the
 * prefetch-fairness check (`channelSamples`); every sample is also appended to the run's broker
 * timeline, one line each, so a stored run can be drawn again. A read still in flight when the next
 * is due is not doubled up: the next tick is skipped.
 */
export function startBrokerSampler(
  inspector: BrokerInspector,
  isRunning: () => boolean,
  timelineFile: string,
  /** Where channels with consumers go, for the prefetch-fairness check. */
  channelSamples: ChannelState[],
  /** Also record the running nodes (quorum leaders are judged against them). */
  cluster = false,
): { stop(): void } {
  const fd = openSync(timelineFile, 'a');
  let open = true;
  let sampling = false;
  const write = (sample: BrokerSample) => {
    if (open) writeSync(fd, JSON.stringify(sample) + '\n');
  };
  const timer = setInterval(() => {
    if (sampling) return;
    const t = Date.now();
    if (!isRunning()) return write({ t, reachable: false });
    sampling = true;
    Promise.all([inspector.queues({ leaders: cluster }), inspector.channels(), cluster ? inspector.runningNodes() : undefined])
      .then(([queues, channels, runningNodes]) => {
        const consuming = channels.filter((c) => c.consumerCount > 0);
        channelSamples.push(...consuming);
        write({
          t,
          reachable: true,
          queues,
          consumerConnections: [...new Set(consuming.map((c) => c.connectionName))].sort(),
          ...(runningNodes ? { runningNodes: runningNodes.sort() } : {}),
        });
      })
      .catch(() => write({ t, reachable: false }))
      .finally(() => (sampling = false));
  }, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** A run's broker timeline as stored (a torn last line is skipped); empty when the run kept none. */
export function readBrokerSamples(runDir: string): BrokerSample[] {
  const file = join(runDir, BROKER_TIMELINE_FILE);
  if (!existsSync(file)) return [];
  const samples: BrokerSample[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      samples.push(JSON.parse(line) as BrokerSample);
    } catch {
      // torn line
    }
  }
  return samples;
}
