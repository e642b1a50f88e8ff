import { readFileSync } from 'node:fs';
import { TypeInfo, getNamedType, isObjectType, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Generation } from './generation.js';
import { parseLinks } from './links.js';

/** A public field and the backend operation behind it: a root field's own operation, or a link's target. */
export interface FieldOwner {
  readonly source: string;
  /** The operation's field name in its source (what `operations:` and `auth` rules are keyed by). */
  readonly field: string;
}

const ownersByGeneration = new WeakMap<Generation, ReadonlyMap<string, FieldOwner>>();

/** `Type.field` → owner, for every root field and link of a generation (built once per generation). */
export function fieldOwners(generation: Generation): ReadonlyMap<string, FieldOwner> {
  let owners = ownersByGeneration.get(generation);
  if (owners) return owners;
  const map = new Map<string, FieldOwner>();
  for (const source of generation.sources.values()) {
    const remote = (source.converted as { schema?: GraphQLSchema }).schema;
    if (remote) {
      // A delegated GraphQL source is called per document, not per field: its rules are the source's own.
      for (const root of [remote.getQueryType(), remote.getMutationType(), remote.getSubscriptionType()]) {
        const rootName = root === remote.getQueryType() ? 'Query' : root === remote.getMutationType() ? 'Mutation' : 'Subscription';
        for (const name of Object.keys(root?.getFields() ?? {})) map.set(`${rootName}.${name}`, { source: source.name, field: '*' });
      }
      continue;
    }
    for (const operation of source.converted.operations.values()) map.set(`${operation.rootType}.${operation.fieldName}`, { source: source.name, field: operation.fieldName });
  }
  const linksFile = generation.config.links;
  if (linksFile !== undefined) {
    for (const link of parseLinks(linksFile, readFileSync(linksFile, 'utf8')).links) {
      const target = generation.sources.get(link.source);
      const delegated = target !== undefined && 'schema' in target.converted;
      map.set(`${link.typeName}.${link.fieldName}`, { source: link.source, field: delegated ? '*' : link.targetField });
    }
  }
  owners = map;
  ownersByGeneration.set(generation, owners);
  return owners;
}

/**
 * The backend operations a document can reach, read from the fields it selects (every operation and fragment,
 * on the generation's schema): what the request-level checks (a token needed, source rate limits) decide on
 * before anything runs. Fields on interfaces and unions are matched on each possible object type.
 */
export function ownersSelectedBy(generation: Generation, document: DocumentNode): FieldOwner[] {
  const owners = fieldOwners(generation);
  const found = new Map<string, FieldOwner>();
  const typeInfo = new TypeInfo(generation.schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        const types = isObjectType(parent) ? [parent] : generation.schema.getPossibleTypes(getNamedType(parent) as never);
        for (const type of types) {
          const owner = owners.get(`${type.name}.${node.name.value}`);
          if (owner) found.set(`${owner.source}.${owner.field}`, owner);
        }
      },
    }),
  );
  return [...found.values()];
}
