import { runApi } from './api/run-api.ts';
import { parseConfig, CONFIG_ENV, ConfigError } from './config.ts';
import { startRuntime } from './process-runtime.ts';
import { AuditStore } from './stores/audit-store.ts';
import { DeadLetterStore } from './stores/dead-letter-store.ts';
import { InventoryStore } from './stores/inventory-store.ts';
import { NotificationsStore } from './stores/notifications-store.ts';
import { OrdersStore } from './stores/orders-store.ts';
import { PaymentsStore } from './stores/payments-store.ts';
import { deadLetterHandlers } from './workers/dead-letter-auditor.ts';
import { inventoryHandlers } from './workers/inventory-worker.ts';
import { notificationsHandlers } from './workers/notifications-worker.ts';
import { ordersHandlers } from './workers/orders-worker.ts';
import { paymentsHandlers } from './workers/payments-worker.ts';
import { runWorker } from './workers/run-worker.ts';

/**
 * Entry point of every reference-system process. The role and everything else come from the
 * ORDER_SYSTEM_CONFIG environment variable (JSON), written by the harness or by hand.
 */
async function main(): Promise<void> {
  const config = parseConfig(process.env[CONFIG_ENV]);
  const runtime = startRuntime(config);
  const stores = { idempotent: !config.flaws.includes('no-idempotency') };
  switch (config.role) {
    case 'api':
      return runApi(runtime);
    case 'orders':
      return runWorker(runtime, () => ordersHandlers(new OrdersStore(config.dataDir)));
    case 'payments':
      return runWorker(runtime, () => paymentsHandlers(new PaymentsStore(config.dataDir, stores)));
    case 'inventory':
      return runWorker(runtime, () => inventoryHandlers(new InventoryStore(config.dataDir, config.initialStock, stores)));
    case 'notifications':
      return runWorker(runtime, () => notificationsHandlers(new NotificationsStore(config.dataDir, stores)));
    case 'dead-letter':
      return runWorker(runtime, (rt) =>
        deadLetterHandlers(new DeadLetterStore(config.dataDir), new AuditStore(config.dataDir), rt.history),
      );
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? '' : 'fatal: '}${err.message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
