import { describe, expect, it } from 'vitest';
import type { Fault } from '../../../chaos/fault.ts';
import { apiCrash } from '../../../chaos/faults/api-crash.ts';
import { bandwidth } from '../../../chaos/faults/bandwidth.ts';
import { blackhole } from '../../../chaos/faults/blackhole.ts';
import { brokerKill } from '../../../chaos/faults/broker-kill.ts';
import { brokerRestart } from '../../../chaos/faults/broker-restart.ts';
import { connectionCut } from '../../../chaos/faults/connection-cut.ts';
import { consumerCrash } from '../../../chaos/faults/consumer-crash.ts';
import { consumerFreeze } from '../../../chaos/faults/consumer-freeze.ts';
import { diskAlarm } from '../../../chaos/faults/disk-alarm.ts';
import { latency } from '../../../chaos/faults/latency.ts';
import { memoryAlarm } from '../../../chaos/faults/memory-alarm.ts';
import { resetPeer } from '../../../chaos/faults/reset-peer.ts';
import { slicer } from '../../../chaos/faults/slicer.ts';

const ALL: Fault[] = [
  apiCrash(),
  bandwidth(),
  blackhole(),
  brokerKill(),
  brokerRestart(),
  connectionCut(),
  consumerCrash(),
  consumerFreeze(),
  diskAlarm(),
  latency(),
  memoryAlarm(),
  resetPeer(),
  slicer(),
];

describe('fault traits (what checkers read instead of fault names)', () => {
  it('every fault declares what it does', () => {
    for (const fault of ALL) expect(fault.traits.length, fault.name).toBeGreaterThan(0);
  });

  it('only a broker crash excuses an unconfirmed publish; a graceful restart does not', () => {
    const crashing = ALL.filter((f) => f.traits.includes('crashes-broker')).map((f) => f.name);
    expect(crashing).toEqual(['broker-kill']);
    expect(brokerRestart().traits).toContain('stops-broker');
  });

  it('network faults name the side they touch', () => {
    expect(latency({ side: 'producer' }).traits).toEqual(['slows-network', 'producer-side']);
    expect(connectionCut({ side: 'consumer' }).traits).toEqual(['cuts-connections', 'consumer-side']);
    expect(blackhole().traits).toEqual(['silences-connections', 'producer-side', 'consumer-side']);
  });
});
