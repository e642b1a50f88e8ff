import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/errors.js';
import { parseLinks, validateLinks, validateMerges } from '../../src/gateway/links.js';

const FILE = '/cfg/links.graphql';

const orders = buildSchema(`type Query { order(id: ID!): Order } type Order { id: ID! productIds: [ID!]! customer: Customer } type Customer { id: ID! }`);
const inventory = buildSchema(`type Query { productsByIds(ids: [ID!]!, warehouse: String): [Product!]! product(id: ID!): Product } type Product { id: ID! name: String }`);
const merged = buildSchema(`type Query { order(id: ID!): Order productsByIds(ids: [ID!]!, warehouse: String): [Product!]! product(id: ID!): Product }
  type Order { id: ID! productIds: [ID!]! customer: Customer } type Customer { id: ID! } type Product { id: ID! name: String }`);
const targets = { schemas: new Map([['orders', orders], ['inventory', inventory]]), merged };

function problems(sdl: string) {
  const parsed = parseLinks(FILE, sdl);
  return validateLinks(FILE, parsed.links, targets).map((p) => `${p.at}: ${p.message}`);
}

describe('links', () => {
  it('parses @delegate into link specs and strips the directive from the SDL', () => {
    const parsed = parseLinks(
      FILE,
      `extend type Order {
  products: [Product!]! @delegate(source: "inventory", field: "productsByIds", args: { ids: "$parent.productIds", warehouse: "north" }, key: "id")
}`,
    );
    expect(parsed.links).toEqual([
      {
        typeName: 'Order',
        fieldName: 'products',
        source: 'inventory',
        targetField: 'productsByIds',
        args: { ids: { kind: 'parent', path: ['productIds'] }, warehouse: { kind: 'literal', value: 'north' } },
        key: 'id',
        line: 2,
      },
    ]);
    expect(JSON.stringify(parsed.typeDefs)).not.toContain('delegate');
    expect(validateLinks(FILE, parsed.links, targets)).toEqual([]);
  });

  it('reports unknown sources, fields, arguments and parent fields with their line', () => {
    expect(
      problems(`extend type Order {
  a: Product @delegate(source: "billing", field: "x")
  b: Product @delegate(source: "inventory", field: "productById", args: { id: "$parent.id" })
  c: Product @delegate(source: "inventory", field: "product", args: { sku: "$parent.id", id: "$parent.nope" })
}
extend type Invoice { d: Product @delegate(source: "inventory", field: "product", args: { id: "$parent.id" }) }`),
    ).toEqual([
      'Order.a (line 2): unknown source "billing" (known: orders, inventory)',
      'Order.b (line 3): source "inventory" has no Query field "productById"',
      'Order.c (line 4): inventory.product has no argument "sku" (it takes: id)',
      'Order.c (line 4): "$parent.nope": type Order has no field "nope"',
      'Invoice.d (line 6): type "Invoice" is not defined by any source',
    ]);
  });

  it('requires the target field\'s non-null arguments and a valid batching key', () => {
    expect(
      problems(`extend type Order {
  a: [Product!]! @delegate(source: "inventory", field: "productsByIds")
  b: [Product!]! @delegate(source: "inventory", field: "productsByIds", args: { ids: "$parent.productIds" }, key: "sku")
}`),
    ).toEqual(['Order.a (line 2): inventory.productsByIds needs argument "ids"', 'Order.b (line 3): key "sku": type Product has no such field']);
  });

  it('rejects malformed directives and SDL as CONFIG_INVALID naming the file', () => {
    const bad = () => parseLinks(FILE, 'extend type Order { a: Int @delegate(field: 3, colour: "red") }');
    expect(bad).toThrow(ConfigInvalidError);
    try {
      bad();
    } catch (error) {
      expect((error as ConfigInvalidError).problems.map((p) => p.message)).toEqual([
        '@delegate needs source: "<source name>"',
        '@delegate needs field: "<root field of that source>"',
        '@delegate has no argument "colour" (it takes source, field, args, key)',
      ]);
    }
    expect(() => parseLinks(FILE, 'extend type {')).toThrow(/not valid GraphQL SDL/);
  });
});

describe('@merge', () => {
  const reviews = buildSchema(`type Query { ratings(ids: [ID!]!): [Product]!  rating(id: ID!, lang: String!): Product  reviews: [String] } type Product { id: ID! stars: Float }`);
  const schemas = new Map([['orders', orders], ['inventory', inventory], ['reviews', reviews]]);
  const mergeProblems = (sdl: string) => {
    const parsed = parseLinks(FILE, sdl);
    return validateMerges(FILE, parsed.merges, schemas).map((p) => `${p.at}: ${p.message}`);
  };

  it('parses the directives of a type, strips them and drops an extension left empty', () => {
    const parsed = parseLinks(FILE, `extend type Product\n  @merge(source: "reviews", key: "id", field: "ratings")\n  @merge(source: "inventory", key: "id", field: "product", argument: "id")\n`);
    expect(parsed.merges).toEqual([
      { typeName: 'Product', source: 'reviews', key: 'id', field: 'ratings', line: 2 },
      { typeName: 'Product', source: 'inventory', key: 'id', field: 'product', argument: 'id', line: 3 },
    ]);
    expect(parsed.typeDefs.definitions).toEqual([]);
    expect(validateMerges(FILE, parsed.merges, schemas)).toEqual([]);
  });

  it('reports a malformed directive with its line', () => {
    expect(() => parseLinks(FILE, 'extend type Product @merge(source: "reviews", keys: "id", field: 3)')).toThrow(ConfigInvalidError);
    try {
      parseLinks(FILE, 'extend type Product @merge(source: "reviews", keys: "id", field: 3)');
    } catch (error) {
      expect((error as ConfigInvalidError).problems.map((p) => `${p.at}: ${p.message}`)).toEqual([
        'Product (line 1): @merge needs key: "<...>"',
        'Product (line 1): @merge needs field: "<...>"',
        'Product (line 1): @merge has no argument "keys" (it takes source, key, field, argument)',
      ]);
    }
  });

  it('reports unknown sources, types, fields, keys and arguments', () => {
    expect(
      mergeProblems(`extend type Product @merge(source: "billing", key: "id", field: "x")
extend type Customer @merge(source: "reviews", key: "id", field: "ratings")
extend type Order @merge(source: "orders", key: "id", field: "order")
extend type Product @merge(source: "reviews", key: "sku", field: "reviews")
extend type Product @merge(source: "reviews", key: "id", field: "rating")
extend type Product @merge(source: "inventory", key: "id", field: "productsByIds", argument: "idz")`),
    ).toEqual([
      'Product (line 1): unknown source "billing" (known: orders, inventory, reviews)',
      'Customer (line 2): source "reviews" has no object type "Customer"',
      'Order (line 3): type "Order" is served only by orders: merging needs two sources',
      'Product (line 4): key "sku": Product of source "inventory" has no such field',
      'Product (line 4): key "sku": Product of source "reviews" has no such field',
      'Product (line 4): reviews.reviews returns [String], not Product',
      'Product (line 4): reviews.reviews must take the key in one required argument; name it with argument: "..."',
      'Product (line 5): source "reviews" already has a @merge on Product',
      'Product (line 5): reviews.rating must take the key in one required argument; name it with argument: "..."',
      'Product (line 6): inventory.productsByIds has no argument "idz" (it takes: ids, warehouse)',
    ]);
  });
});
