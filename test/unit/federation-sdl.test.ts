import { parseSelectionSet } from '@graphql-tools/utils';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readSubgraphSchema, representationOf } from '../../src/sources/graphql/index.js';

describe('reading a Federation subgraph SDL', () => {
  it('keeps the types, drops Federation\'s directives and declares _entities for the entities', () => {
    const { schema, entities } = readSubgraphSchema(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external"])
      directive @custom on FIELD_DEFINITION
      type Product @key(fields: "upc sku") @key(fields: "id") { upc: String! sku: String! id: ID! weight: Float @shareable }
      type Stock @key(fields: "id", resolvable: false) @key(fields: "warehouse { code } id") { id: ID! warehouse: Warehouse! }
      type Warehouse @key(fields: "code", resolvable: false) { code: String! }
      type Query { top: [Product!]! _service: _Service! }
    `);
    expect(entities).toEqual([
      { typeName: 'Product', keySelectionSet: '{ upc sku }' },
      { typeName: 'Stock', keySelectionSet: '{ warehouse { code } id }' },
    ]);
    const sdl = printSchema(schema);
    expect(sdl).toContain('_entities(representations: [_Any!]!): [_Entity]!');
    expect(sdl).toContain('union _Entity = Product | Stock');
    expect(sdl).not.toMatch(/@key|@shareable|_service|link__/);
  });

  it('turns Federation 1 extensions of types it does not define into definitions', () => {
    const { schema, entities } = readSubgraphSchema(`
      extend type Product @key(fields: "upc") { upc: String! @external  reviews: [String] }
      type Query { reviewed: [Product] }
    `);
    expect(entities).toEqual([{ typeName: 'Product', keySelectionSet: '{ upc }' }]);
    expect(Object.keys((schema.getType('Product') as unknown as { getFields(): object }).getFields())).toEqual(['upc', 'reviews']);
  });

  it('builds a representation from the key fields of an object, nested ones too', () => {
    expect(representationOf('Stock', parseSelectionSet('{ warehouse { code } id }'), { id: 's1', extra: 1, warehouse: { code: 'N', name: 'North' } })).toEqual({
      __typename: 'Stock',
      warehouse: { code: 'N' },
      id: 's1',
    });
  });
});
