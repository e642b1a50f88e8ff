import {
  Kind,
  buildASTSchema,
  parse,

  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type SelectionSetNode,
} from 'graphql';

/** An entity of a Federation subgraph: a type it can be asked for by key through `_entities`. */
export interface FederationEntity {
  readonly typeName: string;
  /** The `fields` of its first resolvable `@key`, as a selection set: `{ id }`, `{ upc sku }`, `{ id org { id } }`. */
  readonly keySelectionSet: string;
}

/** Federation's directives (v1 and v2): stripped from the SDL the gateway builds, which only needs the types. */
const FEDERATION_DIRECTIVES = new Set([
  'key', 'external', 'requires', 'provides', 'extends', 'shareable', 'inaccessible', 'override', 'tag', 'link',
  'composeDirective', 'interfaceObject', 'authenticated', 'requiresScopes', 'policy', 'context', 'fromContext', 'cost', 'listSize',
]);
/** What Federation adds to a subgraph's root; the gateway declares `_entities` itself and never exposes them. */
export const FEDERATION_ROOT_FIELDS: ReadonlySet<string> = new Set(['_entities', '_service']);
const FEDERATION_TYPES = new Set(['_Any', '_Entity', '_Service', '_FieldSet', 'FieldSet', 'link__Import', 'link__Purpose', 'federation__FieldSet', 'federation__Scope', 'federation__Policy']);

/** The query that reads a subgraph's SDL from the service itself. */
export const SERVICE_SDL_QUERY = '{ _service { sdl } }';

/**
 * Turns a subgraph's SDL (as `_service { sdl }` returns it, or a file with the same) into a plain schema the
 * gateway can delegate to, plus its entities: Federation's directives and definitions are dropped, Federation 1's
 * `extend type X @key(...)` of a type it does not define becomes a definition, and
 * `_entities(representations: [_Any!]!): [_Entity]!` is declared for the entities, as every subgraph serves it.
 */
export function readSubgraphSchema(sdl: string): { schema: GraphQLSchema; entities: FederationEntity[] } {
  const document = parse(sdl);
  const defined = new Set(document.definitions.flatMap((d) => ('name' in d && d.name && d.kind !== Kind.OBJECT_TYPE_EXTENSION ? [d.name.value] : [])));
  const entities = new Map<string, FederationEntity>();
  const definitions: DefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.SCHEMA_EXTENSION || definition.kind === Kind.DIRECTIVE_DEFINITION) continue;
    if ('name' in definition && definition.name && FEDERATION_TYPES.has(definition.name.value)) continue;
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) {
      const key = resolvableKey(definition.directives ?? []);
      if (key !== undefined && !entities.has(definition.name.value)) entities.set(definition.name.value, { typeName: definition.name.value, keySelectionSet: `{ ${key} }` });
      const cleaned = withoutFederation(definition);
      if (cleaned.kind === Kind.OBJECT_TYPE_EXTENSION && !defined.has(cleaned.name.value)) {
        defined.add(cleaned.name.value);
        definitions.push({ ...cleaned, kind: Kind.OBJECT_TYPE_DEFINITION } as ObjectTypeDefinitionNode);
      } else if (cleaned.fields?.length || cleaned.kind === Kind.OBJECT_TYPE_DEFINITION) {
        definitions.push(cleaned);
      }
      continue;
    }
    definitions.push(definition);
  }
  const names = [...entities.keys()];
  const additions = names.length === 0 ? '' : `scalar _Any\nunion _Entity = ${names.join(' | ')}\n${defined.has('Query') ? 'extend ' : ''}type Query { _entities(representations: [_Any!]!): [_Entity]! }\n`;
  const withEntities: DocumentNode = { kind: Kind.DOCUMENT, definitions: [...definitions, ...(additions ? parse(additions).definitions : [])] };
  return { schema: buildASTSchema(withEntities, { assumeValidSDL: true }), entities: [...entities.values()] };
}

function resolvableKey(directives: readonly DirectiveNode[]): string | undefined {
  for (const directive of directives) {
    if (directive.name.value !== 'key') continue;
    const resolvable = directive.arguments?.find((a) => a.name.value === 'resolvable')?.value;
    if (resolvable?.kind === Kind.BOOLEAN && !resolvable.value) continue;
    const fields = directive.arguments?.find((a) => a.name.value === 'fields')?.value;
    if (fields?.kind === Kind.STRING) return fields.value;
  }
  return undefined;
}

function withoutFederation<T extends ObjectTypeDefinitionNode | ObjectTypeExtensionNode>(node: T): T {
  const keep = (directives: readonly DirectiveNode[] | undefined) => directives?.filter((d) => !FEDERATION_DIRECTIVES.has(d.name.value)) ?? [];
  return {
    ...node,
    directives: keep(node.directives),
    fields: node.fields?.filter((f) => !FEDERATION_ROOT_FIELDS.has(f.name.value)).map((f) => ({ ...f, directives: keep(f.directives) })),
  };
}

/**
 * The representation `_entities` takes for an object: `__typename` and the key's fields, read from the object
 * (nested keys such as `{ id org { id } }` included).
 */
export function representationOf(typeName: string, keySelection: SelectionSetNode, object: Record<string, unknown>): Record<string, unknown> {
  return { __typename: typeName, ...pick(keySelection, object) };
}

function pick(selection: SelectionSetNode, object: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (object === null || typeof object !== 'object') return out;
  for (const field of selection.selections) {
    if (field.kind !== Kind.FIELD) continue;
    const value = (object as Record<string, unknown>)[field.name.value];
    out[field.name.value] = field.selectionSet && value !== null && value !== undefined ? (Array.isArray(value) ? value.map((v) => pick(field.selectionSet!, v)) : pick(field.selectionSet, value)) : value;
  }
  return out;
}

