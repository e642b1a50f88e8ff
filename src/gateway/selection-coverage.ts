import {
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionNode,
} from 'graphql';

/**
 * Whether a field's selection asks for anything its source does not serve itself: a field another source adds to
 * a merged type, anywhere below. Link fields are resolved by their own resolvers on whole objects, so they do not
 * count. An in-process source that takes part in a merged type answers everything else on its fast path (its
 * resolvers call the pipeline directly) and is delegated to as a subschema only when this says so.
 */
export type CoverageCheck = (info: GraphQLResolveInfo) => boolean;

export function createCoverageCheck(schema: GraphQLSchema, linkFields: ReadonlySet<string>): CoverageCheck {
  // Parsed documents are cached by yoga, so a field node is the same object for every request of one query.
  const memo = new WeakMap<FieldNode, boolean>();

  function reaches(selections: readonly SelectionNode[], type: GraphQLNamedType | undefined, info: GraphQLResolveInfo): boolean {
    if (!type) return true;
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        if (!field) {
          if (linkFields.has(`${type.name}.${name}`)) continue;
          return true;
        }
        if (selection.selectionSet && reaches(selection.selectionSet.selections, getNamedType(field.type), info)) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const target = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (reaches(selection.selectionSet.selections, target ?? undefined, info)) return true;
      } else {
        const fragment = info.fragments[selection.name.value];
        if (!fragment || reaches(fragment.selectionSet.selections, schema.getType(fragment.typeCondition.name.value) ?? undefined, info)) return true;
      }
    }
    return false;
  }

  return function needsOtherSources(info) {
    const first = info.fieldNodes[0];
    const known = info.fieldNodes.length === 1 && first ? memo.get(first) : undefined;
    if (known !== undefined) return known;
    const type = schema.getType(getNamedType(info.returnType).name) ?? undefined;
    const result = info.fieldNodes.some((node) => node.selectionSet !== undefined && reaches(node.selectionSet.selections, type, info));
    if (info.fieldNodes.length === 1 && first) memo.set(first, result);
    return result;
  };
}
