// Types for the plain-JS k6 copy, so TypeScript tests can compare it with load/order-body.ts.
export declare const PRODUCT_COUNT: number;
export declare const USER_COUNT: number;
export declare const MAX_ITEMS_PER_ORDER: number;
export declare const MAX_QUANTITY: number;
export declare function orderBody(
  seed: number,
  index: number,
  withId?: boolean,
): { id?: string; userId: string; items: { productId: string; quantity: number; price: number }[] };
