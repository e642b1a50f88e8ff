import {
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** `limits.queryCost`. */
export interface QueryCostSettings {
  /** Highest cost of one operation. */
  readonly max: number;
  /** Arguments that say how many items a list field returns (`first`, `last`, `limit`, `pageSize`). */
  readonly sizeArguments: readonly string[];
  /** Items assumed for a list without a size argument. */
  readonly defaultListSize: number;
}

/** Beyond this the count stops mattering; it keeps a product of huge sizes a finite number. */
const CEILING = 1e15;

/**
 * The cost of an operation: every selected field costs 1 per item it is resolved for, and a list field
 * multiplies what is under it by its size argument (or `defaultListSize`). So `products(limit: 100000) { id }`
 * costs 100001 where `products(limit: 1) { id }` costs 2, which graphql-armor's estimate (that ignores
 * arguments) cannot tell apart. Variables are read, so run it after the request's variables are known.
 */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined, settings: QueryCostSettings): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return 0;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const sizeArguments = new Set(settings.sizeArguments);

  function listSize(field: FieldNode): number {
    for (const argument of field.arguments ?? []) {
      if (!sizeArguments.has(argument.name.value)) continue;
      const value = valueFromASTUntyped(argument.value, variables ?? undefined);
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    }
    return settings.defaultListSize;
  }

  function cost(selectionSet: SelectionSetNode, parent: GraphQLCompositeType, multiplier: number, seen: ReadonlySet<string>): number {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (total >= CEILING) return CEILING;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!definition) continue;
        total += multiplier;
        const type = getNamedType(definition.type);
        if (!selection.selectionSet || !isCompositeType(type)) continue;
        const inner = isListType(getNullableType(definition.type)) ? Math.min(multiplier * listSize(selection), CEILING) : multiplier;
        total += cost(selection.selectionSet, type, inner, seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += cost(selection.selectionSet, type, multiplier, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        // A fragment spreading itself is invalid and refused by validation; `seen` only keeps this walk finite.
        if (!fragment || !type || !isCompositeType(type) || seen.has(fragment.name.value)) continue;
        total += cost(fragment.selectionSet, type, multiplier, new Set([...seen, fragment.name.value]));
      }
    }
    return Math.min(total, CEILING);
  }

  return cost(operation.selectionSet, root, 1, new Set());
}
