import blackhole from './blackhole.ts';
import brokerKill from './broker-kill.ts';
import brokerRestart from './broker-restart.ts';
import chaosMix from './chaos-mix.ts';
import connectionCut from './connection-cut.ts';
import consumerCrash from './consumer-crash.ts';
import latency from './latency.ts';
import leaderKill from './leader-kill.ts';
import nodeKill from './node-kill.ts';
import partitionMinority from './partition-minority.ts';
import rollingRestart from './rolling-restart.ts';
import memoryAlarm from './memory-alarm.ts';
import type { ScenarioDefinition } from './define-scenario.ts';
import prefetchFairness from './prefetch-fairness.ts';
import dlx from './dlx.ts';
import redeliveryStorm from './redelivery-storm.ts';

/** Every scenario the CLI knows, in the order `--list` shows them and `--all` runs them. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  brokerRestart,
  brokerKill,
  latency,
  connectionCut,
  blackhole,
  consumerCrash,
  memoryAlarm,
  chaosMix,
  prefetchFairness,
  dlx,
  redeliveryStorm,
  // Cluster scenarios: each starts a three-node cluster (root and network namespaces needed).
  nodeKill,
  partitionMinority,
  leaderKill,
  rollingRestart,
];
