import {
  Kind,
  getArgumentValues,
  visit,
  type GraphQLObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

/** One root field's share of a delegated document, ready to send on its own. */
export interface RootFieldDocument {
  /** The remote root field's name (not an alias). */
  readonly fieldName: string;
  /** Response keys (aliases or the name) this part answers. */
  readonly responseKeys: readonly string[];
  readonly document: DocumentNode;
  readonly variables: Readonly<Record<string, unknown>> | undefined;
}

/** The operation of a document that `operationName` picks (or its only one). */
export function operationOf(document: DocumentNode, operationName?: string): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName === undefined ? operations[0] : operations.find((o) => o.name?.value === operationName);
}

/** The distinct root field names of an operation, ignoring `__typename`; undefined when it is not all plain fields. */
export function rootFieldNames(operation: OperationDefinitionNode): string[] | undefined {
  const names: string[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return undefined;
    const name = selection.name.value;
    if (name !== '__typename' && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The arguments of the root field a delegated document calls, by name, with its variables in place: what the
 * call asks of the remote, without the document or the variable names stitching chose (the audit log records
 * this). A list when the field is called more than once (aliases); undefined when it cannot be told.
 */
export function rootFieldArguments(rootType: GraphQLObjectType | null | undefined, document: DocumentNode, operationName: string | undefined, variables: Readonly<Record<string, unknown>> | undefined): unknown {
  const operation = operationOf(document, operationName);
  if (!rootType || !operation) return undefined;
  const calls: Record<string, unknown>[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return undefined;
    if (selection.name.value === '__typename') continue;
    const field = rootType.getFields()[selection.name.value];
    if (!field) return undefined;
    try {
      calls.push(getArgumentValues(field, selection, { ...variables }));
    } catch {
      return undefined;
    }
  }
  return calls.length === 0 ? undefined : calls.length === 1 ? calls[0] : calls;
}

/**
 * Splits a document into one document per root field, each with only the variables and fragments it uses, so
 * each root field is its own source call (its own cache entry, timeout and metrics label). `__typename` at the
 * root goes with the first part.
 */
export function splitByRootField(document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | undefined): RootFieldDocument[] {
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const groups = new Map<string, FieldNode[]>();
  const typenames: FieldNode[] = [];
  for (const selection of operation.selectionSet.selections as readonly FieldNode[]) {
    if (selection.name.value === '__typename') typenames.push(selection);
    else groups.set(selection.name.value, [...(groups.get(selection.name.value) ?? []), selection]);
  }
  return [...groups].map(([fieldName, fields], index) => {
    const selections: SelectionNode[] = index === 0 ? [...typenames, ...fields] : fields;
    const used = usedNames(selections, fragments);
    const part: OperationDefinitionNode = {
      ...operation,
      variableDefinitions: operation.variableDefinitions?.filter((v) => used.variables.has(v.variable.name.value)) ?? [],
      selectionSet: { ...operation.selectionSet, selections },
    };
    const definitions = [part, ...[...used.fragments].map((name) => fragments.get(name)!)];
    const partVariables = variables === undefined ? undefined : Object.fromEntries(Object.entries(variables).filter(([name]) => used.variables.has(name)));
    return {
      fieldName,
      responseKeys: fields.map((f) => f.alias?.value ?? f.name.value),
      document: { kind: Kind.DOCUMENT, definitions },
      variables: partVariables,
    };
  });
}

/** Variables and fragments a selection uses, following fragment spreads. */
function usedNames(selections: readonly SelectionNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): { variables: Set<string>; fragments: Set<string> } {
  const variables = new Set<string>();
  const used = new Set<string>();
  const queue: SelectionNode[][] = [[...selections]];
  while (queue.length > 0) {
    const next = queue.pop()!;
    for (const selection of next) {
      visit(selection, {
        Variable: (node) => void variables.add(node.name.value),
        FragmentSpread(node) {
          const name = node.name.value;
          if (used.has(name) || !fragments.has(name)) return;
          used.add(name);
          queue.push([...fragments.get(name)!.selectionSet.selections]);
        },
      });
    }
  }
  return { variables, fragments: used };
}
