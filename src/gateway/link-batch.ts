import { getNamedType, getNullableType, isListType, isObjectType, isInterfaceType, type GraphQLField, type GraphQLNamedType, type GraphQLOutputType } from 'graphql';
import { createGatewayError } from '../errors.js';
import type { LinkSpec } from './links.js';

/**
 * How the items of one batched call are matched back to the keys that were sent (pure; no I/O):
 * - `one`: each key has one item, found by the link's `key` field of the returned items;
 * - `group`: each key has any number of items (a parent's scalar value linked to a list field): all returned items
 *   whose `key` field equals it, in the order returned; no item is an empty list;
 * - `position`: the target field returns a list of lists, one inner list per key in the order sent; the key field
 *   is not read.
 * A key with no item (`one`) or a null/missing inner list (`position`) is null plus `LINK_KEY_MISSING` in its place.
 */
export type BatchMatch = 'one' | 'group' | 'position';

/** The match of a batched link, from the types of its parent value, its own field and the target field. */
export function batchMatchOf(targetType: GraphQLOutputType, linkType: GraphQLOutputType, parentValueIsList: boolean): BatchMatch {
  const targetList = getNullableType(targetType);
  if (isListType(targetList) && isListType(getNullableType(targetList.ofType))) return 'position';
  return isListType(getNullableType(linkType)) && !parentValueIsList ? 'group' : 'one';
}

/** Whether the parent value a link reads (`$parent.a.b`) is a list, following the path through the parent's type. */
export function parentPathIsList(parentType: GraphQLNamedType, path: readonly string[]): boolean {
  let type: GraphQLNamedType = parentType;
  let field: GraphQLField<unknown, unknown> | undefined;
  let list = false;
  for (const name of path) {
    if (!(isObjectType(type) || isInterfaceType(type))) return list;
    field = type.getFields()[name];
    if (!field) return list;
    list ||= isListType(getNullableType(field.type));
    type = getNamedType(field.type);
  }
  return list;
}

/**
 * The value for each key, in the order of `keys`: an item, a list of items, or a `LINK_KEY_MISSING` error.
 * `read` gets an item's key value (by the key field, or by the alias a delegated call fetched it under).
 */
export function matchBatch(link: LinkSpec, match: BatchMatch, results: unknown, keys: readonly unknown[], read: (item: Record<string, unknown>) => unknown): unknown[] {
  const missing = (key: unknown) =>
    createGatewayError('LINK_KEY_MISSING', `${link.source}.${link.targetField} returned no item with ${link.key} "${String(key)}"`, { source: link.source, extensions: { key: String(key) } });
  const items = Array.isArray(results) ? results : [];
  if (match === 'position') {
    if (items.length !== keys.length) {
      const error = createGatewayError('SOURCE_BAD_RESPONSE', `${link.source}.${link.targetField} returned ${items.length} lists for ${keys.length} keys`, { source: link.source });
      return keys.map(() => error);
    }
    return keys.map((key, i) => items[i] ?? missing(key));
  }
  const byKey = new Map<string, unknown[]>();
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    const value = String(read(item as Record<string, unknown>));
    const found = byKey.get(value);
    if (found) found.push(item);
    else byKey.set(value, [item]);
  }
  if (match === 'group') return keys.map((key) => byKey.get(String(key)) ?? []);
  return keys.map((key) => byKey.get(String(key))?.[0] ?? missing(key));
}
