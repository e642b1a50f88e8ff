import { buildSchema, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { batchMatchOf, matchBatch, parentPathIsList } from '../../src/gateway/link-batch.js';
import type { LinkSpec } from '../../src/gateway/links.js';

const LINK: LinkSpec = { typeName: 'Product', fieldName: 'reviews', source: 'reviews', targetField: 'reviewsByProducts', args: {}, key: 'productId', line: 1 };
const read = (item: Record<string, unknown>) => item['productId'];
const codeOf = (value: unknown) => (value instanceof Error ? (value as Error & { extensions: Record<string, unknown> }).extensions['code'] : value);

describe('matching a batch back to its keys', () => {
  const schema = buildSchema(`
    type Query { flat(ids: [ID!]!): [Review!]!  nested(ids: [ID!]!): [[Review!]]! }
    type Review { productId: ID! }
    type Order { productIds: [ID!]!  customer: Customer }
    type Customer { id: ID!  tags: [String] }
  `);
  const query = schema.getQueryType()!.getFields();
  const order = schema.getType('Order') as GraphQLObjectType;
  const review = schema.getType('Review')!;

  it('chooses by position for a list-of-lists target, by group for a list link from a scalar, else one item per key', () => {
    expect(batchMatchOf(query['nested']!.type, query['nested']!.type, false)).toBe('position');
    expect(batchMatchOf(query['flat']!.type, query['flat']!.type, false)).toBe('group');
    expect(batchMatchOf(query['flat']!.type, query['flat']!.type, true)).toBe('one');
    expect(batchMatchOf(query['flat']!.type, review as never, false)).toBe('one');
    expect(parentPathIsList(order, ['productIds'])).toBe(true);
    expect(parentPathIsList(order, ['customer', 'id'])).toBe(false);
    expect(parentPathIsList(order, ['customer', 'tags'])).toBe(true);
  });

  it('one: an item per key by the key field, in key order, a missing key as LINK_KEY_MISSING', () => {
    const values = matchBatch(LINK, 'one', [{ productId: 'b' }, { productId: 'a' }], ['a', 'x', 'b'], read);
    expect(values.map(codeOf)).toEqual([{ productId: 'a' }, 'LINK_KEY_MISSING', { productId: 'b' }]);
  });

  it('group: every item of a key in the order returned, none as an empty list', () => {
    const values = matchBatch(LINK, 'group', [{ productId: 'a', n: 1 }, { productId: 'b' }, { productId: 'a', n: 2 }], ['a', 'b', 'c'], read);
    expect(values).toEqual([[{ productId: 'a', n: 1 }, { productId: 'a', n: 2 }], [{ productId: 'b' }], []]);
  });

  it('position: the i-th list for the i-th key, a null as LINK_KEY_MISSING, a wrong count as one error for every key', () => {
    expect(matchBatch(LINK, 'position', [[{ productId: 'z' }], null], ['a', 'b'], read).map(codeOf)).toEqual([[{ productId: 'z' }], 'LINK_KEY_MISSING']);
    expect(matchBatch(LINK, 'position', [[]], ['a', 'b'], read).map(codeOf)).toEqual(['SOURCE_BAD_RESPONSE', 'SOURCE_BAD_RESPONSE']);
  });
});
