import type { Fault } from '../fault.ts';
import { resourceAlarmFault } from './resource-alarm.ts';

/** A watermark no node can stay under: the memory alarm goes up at once. */
const RAISING_WATERMARK = '0.000001';
/** RabbitMQ's default `vm_memory_high_watermark.relative`. */
const DEFAULT_WATERMARK = '0.4';

/**
 * The broker runs out of memory (as far as it knows): RabbitMQ blocks every publishing connection
 * (amqplib emits `blocked`) while consumers go on. Healing restores the node's previous watermark.
 */
export function memoryAlarm(): Fault {
  return resourceAlarmFault({
    name: 'memory-alarm',
    description: 'raise the broker memory alarm (watermark 0.000001): publishers are blocked until it clears',
    resource: 'memory',
    read: ['eval', 'vm_memory_monitor:get_vm_memory_high_watermark().'],
    raise: ['set_vm_memory_high_watermark', RAISING_WATERMARK],
    isRaisingValue: (term) => Number(term) === Number(RAISING_WATERMARK),
    setArgs(term) {
      // The node prints either a fraction (`0.4`) or `{absolute,Bytes}`.
      const absolute = term && /^\{absolute,\s*(\d+)\}$/.exec(term);
      if (absolute) return ['set_vm_memory_high_watermark', 'absolute', absolute[1]!];
      const relative = term !== null && /^\d+(\.\d+)?(e-?\d+)?$/.test(term) ? term : DEFAULT_WATERMARK;
      return ['set_vm_memory_high_watermark', relative];
    },
  });
}
