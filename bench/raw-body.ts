// The raw baseline's message body: shaped and sized like the system's order.created (3 items),
// so the broker does comparable work per message.

export const RAW_ITEM_COUNT = 3;

export function rawOrderCreatedBody(index: number, acceptedAt = 1_718_000_000_000.5): Buffer {
  const items = Array.from({ length: RAW_ITEM_COUNT }, (_, k) => ({
    productId: `p-${((index + k) % 20) + 1}`,
    quantity: (k % 3) + 1,
    priceCents: 1_999 + k * 1_000,
  }));
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.priceCents, 0);
  return Buffer.from(
    JSON.stringify({
      orderId: `bench-raw-${String(index).padStart(8, '0')}`,
      userId: `u-${(index % 500) + 1}`,
      items,
      totalCents,
      acceptedAt,
    }),
  );
}
