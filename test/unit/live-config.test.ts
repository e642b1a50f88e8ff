import { existsSync, readFileSync } from 'node:fs';
import { buildSchema, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { applyOverlay, composeConfig, readOverlay, stateDigest, writeOverlay, EMPTY_OVERLAY } from '../../src/config/overlay.js';
import { ConfigInvalidError } from '../../src/errors.js';
import { parseLinks, pruneLinks } from '../../src/gateway/links.js';
import { diffSchemas } from '../../src/gateway/schema-diff.js';
import { tempDir } from '../helpers/temp-dir.js';

const BASE = {
  sources: [
    { name: 'inventory', kind: 'openapi', spec: './inventory.yaml', endpoints: ['http://inventory'] },
    { name: 'orders', kind: 'grpc', proto: './orders.proto', endpoints: ['orders:50051'] },
  ],
};

describe('the admin API overlay on the config document', () => {
  it('replaces a source in place, adds new ones after, drops deleted ones and writes inline specs to the state directory', () => {
    using dir = tempDir();
    const overlay = {
      sources: {
        orders: null,
        pets: { kind: 'openapi', specText: 'openapi: 3.0.3\n', endpoints: ['http://pets'] },
        inventory: { kind: 'openapi', spec: '/srv/inventory.yaml', endpoints: ['http://inventory-2'] },
      },
      links: 'extend type Pet { owner: String }',
    };
    const { document, inline } = applyOverlay(BASE, overlay, dir.path);
    const sources = (document as { sources: Record<string, unknown>[] }).sources;
    expect(sources.map((s) => s['name'])).toEqual(['inventory', 'pets']);
    expect(sources[0]).toEqual({ name: 'inventory', kind: 'openapi', spec: '/srv/inventory.yaml', endpoints: ['http://inventory-2'] });
    const petsSpec = sources[1]!['spec'] as string;
    expect(sources[1]!['specText']).toBeUndefined();
    expect(petsSpec.startsWith(`${dir.path}/inline/pets-`)).toBe(true);
    expect(petsSpec.endsWith('.yaml')).toBe(true);
    expect(readFileSync(petsSpec, 'utf8')).toBe('openapi: 3.0.3\n');
    expect(inline.get(petsSpec)).toBe('sources.pets.specText');
    const links = (document as { links: string }).links;
    expect(readFileSync(links, 'utf8')).toBe(overlay.links);
    // The document itself is untouched.
    expect(BASE.sources).toHaveLength(2);
  });

  it('round-trips through registered.yaml, and refuses a file of the wrong shape with its location', () => {
    using dir = tempDir();
    expect(readOverlay(dir.path)).toBe(EMPTY_OVERLAY);
    const overlay = { sources: { pets: { kind: 'openapi', spec: '/srv/pets.yaml', endpoints: ['http://pets'] }, orders: null }, links: 'extend type A { b: Int }' };
    writeOverlay(dir.path, overlay);
    expect(readOverlay(dir.path)).toEqual(overlay);
    dir.write('registered.yaml', 'sources: [1, 2]\n');
    const error = (() => {
      try {
        readOverlay(dir.path);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).problems[0]).toMatchObject({ file: `${dir.path}/registered.yaml` });
  });

  it('composes and validates the whole config, naming problems in an inline spec by the key it came in', () => {
    using dir = tempDir();
    dir.write('inventory.yaml', 'openapi: 3.0.3\n');
    dir.write('orders.proto', 'syntax = "proto3";\n');
    const file = `${dir.path}/interchange.yaml`;
    const { config } = composeConfig({ document: BASE, overlay: EMPTY_OVERLAY }, file);
    expect(config.stateDir).toBe(`${dir.path}/.interchange`);
    // Nothing is written for a config without inline specs.
    expect(existsSync(config.stateDir)).toBe(false);
    const bad = { document: BASE, overlay: { sources: { pets: { kind: 'openapi', specText: 'x', endpoints: ['ftp://pets'] } } } };
    const error = (() => {
      try {
        composeConfig(bad, file);
      } catch (caught) {
        return caught as ConfigInvalidError;
      }
    })()!;
    expect(error.problems.map((p) => `${p.at}: ${p.message}`)).toEqual(['sources[2].endpoints[0]: "ftp://pets" must be an http:// or https:// URL']);
    // The digest follows the content of the files the config names.
    const before = stateDigest({ document: BASE, overlay: EMPTY_OVERLAY }, config);
    dir.write('inventory.yaml', 'openapi: 3.1.0\n');
    expect(stateDigest({ document: BASE, overlay: EMPTY_OVERLAY }, config)).not.toBe(before);
  });
});

describe('links while a source is away', () => {
  const links = parseLinks(
    'links.graphql',
    `extend type Product @merge(source: "inventory", key: "id", field: "productsByIds") @merge(source: "reviews", key: "id", field: "productRatings")
     extend type Order { products: [Product] @delegate(source: "inventory", field: "productsByIds", args: { ids: "$parent.productIds" }, key: "id")
                         shipment: Shipment @delegate(source: "logistics", field: "shipmentsByOrders", args: { orderIds: "$parent.id" }, key: "orderId") }
     extend type Review { product: Product @delegate(source: "inventory", field: "product", args: { id: "$parent.productId" }) }`,
  );

  it('drops the links to it, those on types only it defines, and merges left with one source', () => {
    const pruned = pruneLinks(links, { source: (name) => name !== 'reviews', type: (name) => name !== 'Review' });
    expect(pruned.links.map((l) => `${l.typeName}.${l.fieldName}`)).toEqual(['Order.products', 'Order.shipment']);
    expect(pruned.merges).toEqual([]);
    expect(print(pruned.typeDefs)).not.toContain('Review');
    expect(pruneLinks(links, { source: () => true })).toBe(links);
  });
});

describe('schema changes, classed', () => {
  it('tells breaking, dangerous and safe changes apart', async () => {
    const before = buildSchema('type Query { order(id: ID!): String, status: Status } enum Status { OPEN CLOSED }');
    const after = buildSchema('type Query { purchase(id: ID!): String, status: Status, extra: Int } enum Status { OPEN CLOSED HELD }');
    const diff = await diffSchemas(before, after);
    expect(diff.breaking.map((c) => c.path)).toEqual(['Query.order']);
    expect(diff.breaking[0]!.reason).toBeDefined();
    expect(diff.dangerous.map((c) => c.type)).toEqual(['ENUM_VALUE_ADDED']);
    expect(diff.safe.map((c) => c.path).sort()).toEqual(['Query.extra', 'Query.purchase', 'Query.purchase.id']);
  });
});
