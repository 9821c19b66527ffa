import type { BrokerControl, Fault } from '../fault.ts';

export type AlarmResource = 'memory' | 'disk';

export class AlarmStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmStateError';
  }
}

/** The node raises and clears resource alarms within a second here; give a loaded machine slack. */
const ALARM_SETTLE_MS = 10_000;
const ALARM_POLL_MS = 250;

/**
 * The resource alarms in effect on the node, read with one `rabbitmqctl eval` (about 0.4 s here):
 * `[{{resource_limit,memory,'node@host'},[]}]` lists a raised memory alarm.
 */
export async function raisedAlarms(broker: BrokerControl): Promise<Set<AlarmResource>> {
  const out = await broker.ctl('eval', 'rabbit_alarm:get_alarms().');
  const raised = new Set<AlarmResource>();
  for (const match of out.matchAll(/resource_limit,\s*(memory|disk)\b/g)) raised.add(match[1] as AlarmResource);
  return raised;
}

/** Waits until the alarm is in the wanted state; throws if it is not within ALARM_SETTLE_MS. */
export async function awaitAlarm(broker: BrokerControl, resource: AlarmResource, raised: boolean): Promise<void> {
  const deadline = Date.now() + ALARM_SETTLE_MS;
  for (;;) {
    if ((await raisedAlarms(broker)).has(resource) === raised) return;
    if (Date.now() > deadline)
      throw new AlarmStateError(
        `the ${resource} alarm was still ${raised ? 'not raised' : 'raised'} ${ALARM_SETTLE_MS} ms after changing its threshold`,
      );
    await new Promise((resolve) => setTimeout(resolve, ALARM_POLL_MS));
  }
}

/**
 * A resource alarm raised by moving the node's threshold out of reach, healed by putting the
 * threshold it had before back (or `fallback` when that could not be read). Both ways are checked
 * against the node's own alarm list, so a run never proceeds on an alarm that did not happen.
 */
export function resourceAlarmFault(spec: {
  name: string;
  description: string;
  resource: AlarmResource;
  /** rabbitmqctl arguments that read the current threshold as an Erlang term. */
  read: string[];
  /** rabbitmqctl arguments that set a threshold, from the term `read` printed (or null if unreadable). */
  setArgs(term: string | null): string[];
  /** rabbitmqctl arguments that raise the alarm. */
  raise: string[];
  /** True when a term read is the raising value itself (a previous heal failed): do not restore that. */
  isRaisingValue(term: string): boolean;
}): Fault {
  let saved: string | null = null;
  return {
    name: spec.name,
    traits: ['blocks-publishers'],
    description: spec.description,
    async start(env) {
      const term = (await env.broker.ctl(...spec.read)).trim();
      saved = spec.isRaisingValue(term) ? null : term;
      await env.broker.ctl(...spec.raise);
      await awaitAlarm(env.broker, spec.resource, true);
      env.log(`${spec.name}: ${spec.resource} alarm raised (threshold was ${saved ?? 'unreadable'})`);
    },
    async stop(env) {
      // Thresholds set by rabbitmqctl live only in the running node: a restarted node has its configured ones.
      if (!env.broker.running) return;
      await env.broker.ctl(...spec.setArgs(saved));
      await awaitAlarm(env.broker, spec.resource, false);
      env.log(`${spec.name}: ${spec.resource} alarm cleared`);
    },
  };
}
