import type { Fault } from '../fault.ts';
import { resourceAlarmFault } from './resource-alarm.ts';

/** 1 PB of free disk required: no machine here has it, so the disk alarm goes up at once. */
const RAISING_LIMIT_BYTES = '1000000000000000';
/** RabbitMQ's default `disk_free_limit.absolute` (50MB), in bytes as `set_disk_free_limit` takes it. */
const DEFAULT_LIMIT_BYTES = '50000000';

/**
 * The broker's disk is "full": RabbitMQ blocks every publishing connection until the free-space
 * limit is back within reach. Healing restores the node's previous limit (3.10 syntax:
 * `set_disk_free_limit <bytes>` or `set_disk_free_limit mem_relative <fraction>`).
 */
export function diskAlarm(): Fault {
  return resourceAlarmFault({
    name: 'disk-alarm',
    description: 'raise the broker disk alarm (free-space limit 1 PB): publishers are blocked until it clears',
    resource: 'disk',
    read: ['eval', 'rabbit_disk_monitor:get_disk_free_limit().'],
    raise: ['set_disk_free_limit', RAISING_LIMIT_BYTES],
    isRaisingValue: (term) => term === RAISING_LIMIT_BYTES,
    setArgs(term) {
      const relative = term && /^\{mem_relative,\s*([\d.]+)\}$/.exec(term);
      if (relative) return ['set_disk_free_limit', 'mem_relative', relative[1]!];
      return ['set_disk_free_limit', term !== null && /^\d+$/.test(term) ? term : DEFAULT_LIMIT_BYTES];
    },
  });
}
