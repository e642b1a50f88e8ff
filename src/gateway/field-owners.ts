import { TypeInfo, buildSchema, getNamedType, isObjectType, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { GraphqlSource } from '../sources/graphql/index.js';
import type { ParsedLinks } from './links.js';
import type { SourceRuntime } from './source-runtime.js';

/** A public field and the backend operation behind it: a root field's own operation, a link's target, or the fetch of a merged type's share. */
export interface FieldOwner {
  readonly source: string;
  /** The operation's field name in its source (public, after `rename`: what `operations:` and `auth` rules are keyed by). */
  readonly field: string;
}

/** `Type.field` of the gateway schema → the operation that serves it. */
export type FieldOwners = ReadonlyMap<string, FieldOwner>;

/** The field Federation entities are fetched through (hidden; their rules are the source's). */
const ENTITIES_FIELD = '_entities';

/**
 * Every public field that makes a backend call, with the operation it calls, for the checks made before anything
 * runs (a token needed, `by: source` rate limits). Built once per generation, from what it already loaded:
 *  - root fields: each source's operations by public name, a remote GraphQL source's included (each remote root
 *    field is its own source call, under its own rule);
 *  - links: their target operation, whatever kind of source it is;
 *  - fields of merged types that only one source serves: the operation that fetches that source's share (its
 *    `@merge` field, or a Federation subgraph's `_entities`); a field several sources serve needs no fetch.
 */
export function buildFieldOwners(sources: Iterable<Pick<SourceRuntime, 'name' | 'config' | 'converted'>>, links: ParsedLinks | undefined): FieldOwners {
  const all = [...sources];
  const owners = new Map<string, FieldOwner>();
  for (const source of all) {
    for (const operation of source.converted.operations.values()) owners.set(`${operation.rootType}.${operation.fieldName}`, { source: source.name, field: operation.fieldName });
  }
  for (const link of links?.links ?? []) owners.set(`${link.typeName}.${link.fieldName}`, { source: link.source, field: link.targetField });

  // Who can be asked for its share of each merged type.
  const fetchers = new Map<string, Map<string, FieldOwner>>();
  const fetcher = (typeName: string, owner: FieldOwner) => {
    let byType = fetchers.get(typeName);
    if (!byType) fetchers.set(typeName, (byType = new Map()));
    byType.set(owner.source, owner);
  };
  for (const merge of links?.merges ?? []) fetcher(merge.typeName, { source: merge.source, field: merge.field });
  for (const source of all) {
    for (const entity of (source.converted as Partial<GraphqlSource>).entities ?? []) fetcher(source.config.rename?.[entity.typeName] ?? entity.typeName, { source: source.name, field: ENTITIES_FIELD });
  }
  if (fetchers.size === 0) return owners;
  const schemas = new Map<string, GraphQLSchema>(all.map((s) => [s.name, buildSchema(s.converted.typeDefs, { assumeValidSDL: true })]));
  for (const [typeName, byFetcher] of fetchers) {
    const servedBy = new Map<string, string[]>();
    for (const [name, schema] of schemas) {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) continue;
      for (const field of Object.keys(type.getFields())) servedBy.set(field, [...(servedBy.get(field) ?? []), name]);
    }
    for (const [field, [only, ...others]] of servedBy) {
      const owner = others.length === 0 ? byFetcher.get(only!) : undefined;
      if (owner && !owners.has(`${typeName}.${field}`)) owners.set(`${typeName}.${field}`, owner);
    }
  }
  return owners;
}

/**
 * The backend operations a document can reach, read from the fields it selects (every operation and fragment,
 * on the generation's schema): what the request-level checks (a token needed, source rate limits) decide on
 * before anything runs. Fields on interfaces and unions are matched on each possible object type.
 */
export function ownersSelectedBy(generation: { readonly schema: GraphQLSchema; readonly owners: FieldOwners }, document: DocumentNode): FieldOwner[] {
  // yoga's parser cache hands the same DocumentNode to every request with the same text: walked once per
  // document and generation (the owners map belongs to one generation).
  let byDocument = selectedByOwners.get(generation.owners);
  if (!byDocument) selectedByOwners.set(generation.owners, (byDocument = new WeakMap()));
  let selected = byDocument.get(document);
  if (!selected) byDocument.set(document, (selected = walkOwners(generation, document)));
  return selected;
}

const selectedByOwners = new WeakMap<FieldOwners, WeakMap<DocumentNode, FieldOwner[]>>();

function walkOwners(generation: { readonly schema: GraphQLSchema; readonly owners: FieldOwners }, document: DocumentNode): FieldOwner[] {
  const { owners, schema } = generation;
  const found = new Map<string, FieldOwner>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        const types = isObjectType(parent) ? [parent] : schema.getPossibleTypes(getNamedType(parent) as never);
        for (const type of types) {
          const owner = owners.get(`${type.name}.${node.name.value}`);
          if (owner) found.set(`${owner.source}.${owner.field}`, owner);
        }
      },
    }),
  );
  return [...found.values()];
}
