/**
 * The warehouse demo's data: deterministic, generated from the row index, shared by the four backends.
 *
 * Every `create*` function returns fresh objects, so each backend instance mutates its own copy and
 * tests running servers side by side never see each other's writes.
 *
 * Rows pinned for tests (`test/integration/demo-backends.test.ts` and the gateway suites assert them):
 * product p1 and p2, order "1", shipment s1. Changing a generator formula must keep those values.
 */

export const PRODUCT_CATEGORIES = ['TOOLS', 'ELECTRONICS', 'PACKAGING'] as const;
export type ProductCategory = (typeof PRODUCT_CATEGORIES)[number];

export interface Product {
  id: string;
  name: string;
  sku: string;
  /** Unit price in euros, at most two decimals. */
  price: number;
  stock: number;
  category: ProductCategory;
}

/** Order statuses as `@grpc/proto-loader` renders the enum with `enums: String`. */
export const ORDER_STATUSES = ['PLACED', 'PACKED', 'SHIPPED', 'DELIVERED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** An order in the shape grpc-js hands out with the demo's loader options (camelCase, int64 as string). */
export interface Order {
  id: string;
  customerId: string;
  productIds: string[];
  status: OrderStatus;
  /** int64 on the wire; a decimal string because of `longs: String`. */
  totalCents: string;
}

export const SHIPMENT_STATUSES = ['PENDING', 'IN_TRANSIT', 'DELIVERED'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export interface Shipment {
  id: string;
  orderId: string;
  status: ShipmentStatus;
  carrier: string;
  /** RFC 3339 date-time in UTC. */
  eta: string;
}

export interface Review {
  id: string;
  productId: string;
  /** 1 to 5. */
  rating: number;
  body: string;
}

/** What the reviews service says about one product as a whole (its `Product` type, merged with the inventory's). */
export interface ProductRating {
  id: string;
  /** Mean of the ratings; null without reviews. */
  averageRating: number | null;
  reviewCount: number;
}

export function productRatingOf(productId: string, reviews: readonly Review[]): ProductRating {
  const total = reviews.reduce((sum, review) => sum + review.rating, 0);
  return { id: productId, averageRating: reviews.length > 0 ? total / reviews.length : null, reviewCount: reviews.length };
}

export const PRODUCT_COUNT = 100;
export const ORDER_COUNT = 200;

// Indexed by category, then by round: product i takes category (i - 1) % 3 and name (i - 1) / 3,
// which makes p1 the first tool and p2 the first electronics item.
const PRODUCT_NAMES: Record<ProductCategory, readonly string[]> = {
  TOOLS: ['Pallet jack', 'Hand truck', 'Torque wrench', 'Cordless drill', 'Utility knife', 'Tape measure', 'Socket set', 'Step ladder'],
  ELECTRONICS: ['Barcode scanner', 'Label printer', 'Handheld terminal', 'RFID reader', 'Weighing scale', 'Thermal printer', 'Wireless headset', 'Tablet mount'],
  PACKAGING: ['Stretch film', 'Packing tape', 'Corrugated box', 'Bubble wrap', 'Pallet wrap', 'Void fill', 'Shipping label', 'Mailer bag'],
};

// Price and stock come from a formula except where tests pin them.
const PINNED_PRODUCT_FIGURES: Readonly<Record<string, { price: number; stock: number }>> = {
  p1: { price: 349.99, stock: 12 },
  p2: { price: 89.5, stock: 40 },
};

const CARRIERS = ['UPS', 'DHL', 'FedEx', 'PostNL'] as const;
const FIRST_ETA_MS = Date.UTC(2026, 11, 1, 12, 0, 0);
const HOUR_MS = 3_600_000;

const REVIEW_BODIES = [
  'Does exactly what it says.',
  'Sturdy, survived a year on the dock.',
  'Arrived late but works fine.',
  'Cheaper than the brand we used before.',
  'Would order again.',
  'Manual is useless, product is good.',
  'Broke after two weeks.',
] as const;

function pick<T>(items: readonly T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new RangeError('cannot pick from an empty list');
  return item;
}

function productAt(index: number): Product {
  const id = `p${index}`;
  const category = pick(PRODUCT_CATEGORIES, index - 1);
  const names = PRODUCT_NAMES[category];
  const round = Math.floor((index - 1) / PRODUCT_CATEGORIES.length);
  const baseName = pick(names, round);
  const generation = Math.floor(round / names.length);
  const name = generation === 0 ? baseName : `${baseName} Mk ${generation + 1}`;
  const initials = baseName
    .split(' ')
    .map((word) => word.charAt(0).toUpperCase())
    .join('');
  const figures = PINNED_PRODUCT_FIGURES[id] ?? {
    // Integer cents first so every price has at most two decimals.
    price: (((index * 7919) % 49_000) + 500) / 100,
    stock: (index * 37) % 200,
  };
  return { id, name, sku: `${initials}-${String(index).padStart(3, '0')}`, price: figures.price, stock: figures.stock, category };
}

/** The catalogue p1..p100, keyed by id in id order. */
export function createProducts(): Map<string, Product> {
  const products = new Map<string, Product>();
  for (let index = 1; index <= PRODUCT_COUNT; index++) {
    const product = productAt(index);
    products.set(product.id, product);
  }
  return products;
}

/** The total an order would cost at catalogue prices, in cents, as the decimal string int64 travels as. */
export function totalCentsOf(productIds: readonly string[], products: ReadonlyMap<string, Product>): string {
  let cents = 0;
  for (const productId of productIds) {
    const product = products.get(productId);
    if (product !== undefined) cents += Math.round(product.price * 100);
  }
  return String(cents);
}

/** Orders "1".."200", keyed by id in id order. Each holds 1 to 4 consecutive products. */
export function createOrders(): Map<string, Order> {
  const products = createProducts();
  const orders = new Map<string, Order>();
  for (let index = 1; index <= ORDER_COUNT; index++) {
    const count = (index % 4) + 1;
    const first = ((index - 1) * 7) % PRODUCT_COUNT;
    const productIds = Array.from({ length: count }, (_, offset) => `p${((first + offset) % PRODUCT_COUNT) + 1}`);
    const id = String(index);
    orders.set(id, {
      id,
      customerId: `c-${100 + ((index - 1) % 50)}`,
      productIds,
      status: pick(ORDER_STATUSES, index),
      totalCents: totalCentsOf(productIds, products),
    });
  }
  return orders;
}

/** One shipment per order (s1 for order "1", ...), keyed by order id. */
export function createShipments(): Map<string, Shipment> {
  const shipments = new Map<string, Shipment>();
  for (let index = 1; index <= ORDER_COUNT; index++) {
    const orderId = String(index);
    shipments.set(orderId, {
      id: `s${index}`,
      orderId,
      status: pick(SHIPMENT_STATUSES, index),
      carrier: pick(CARRIERS, index),
      eta: new Date(FIRST_ETA_MS + (index - 1) * 6 * HOUR_MS).toISOString().replace('.000Z', 'Z'),
    });
  }
  return shipments;
}

/** 0 to 3 reviews per product, keyed by product id; products without reviews map to an empty list. */
export function createReviews(): Map<string, Review[]> {
  const reviews = new Map<string, Review[]>();
  let next = 1;
  for (let index = 1; index <= PRODUCT_COUNT; index++) {
    const productId = `p${index}`;
    const count = (index * 5) % 4;
    reviews.set(
      productId,
      Array.from({ length: count }, (_, offset) => ({
        id: `r${next++}`,
        productId,
        rating: ((index + offset) * 3) % 5 + 1,
        body: pick(REVIEW_BODIES, index + offset),
      })),
    );
  }
  return reviews;
}
