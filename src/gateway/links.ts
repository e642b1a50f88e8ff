import {
  GraphQLError,
  Kind,
  getNamedType,
  isObjectType,
  isInterfaceType,
  parse,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  type ObjectValueNode,
} from 'graphql';
import { ConfigInvalidError, type Problem } from '../errors.js';

/**
 * Links join types of different sources. In the links file a field is added to a type with
 *
 *   extend type Order {
 *     products: [Product!]! @delegate(source: "inventory", field: "productsByIds", args: { ids: "$parent.productIds" }, key: "id")
 *   }
 *
 * - `source`, `field`: the root Query field of another source that resolves it;
 * - `args`: that field's arguments; a string `"$parent.a.b"` is read from the parent object, anything else is literal;
 * - `key` (optional): makes the link batched. The argument that reads from the parent must be a list; the
 *   gateway collects the values of all parents of one level, calls the field once per batch and matches
 *   results back by this field of the returned items.
 * The directive is ours, not Federation's, and is stripped from the public schema.
 */
export interface LinkSpec {
  readonly typeName: string;
  readonly fieldName: string;
  readonly source: string;
  readonly targetField: string;
  readonly args: Readonly<Record<string, ArgTemplate>>;
  readonly key?: string;
  /** Line of the field in the links file, for error messages. */
  readonly line: number;
}

export type ArgTemplate = { readonly kind: 'parent'; readonly path: readonly string[] } | { readonly kind: 'literal'; readonly value: unknown };

export interface ParsedLinks {
  /** The `extend type` blocks without the directive, ready to merge into the gateway schema. */
  readonly typeDefs: DocumentNode;
  readonly links: readonly LinkSpec[];
}

const DIRECTIVE = 'delegate';
const PARENT_PREFIX = '$parent.';

export function parseLinks(file: string, text: string): ParsedLinks {
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    const at = error instanceof GraphQLError && error.locations?.[0] ? `line ${error.locations[0].line}, column ${error.locations[0].column}` : '';
    throw new ConfigInvalidError(`Links file ${file} is not valid GraphQL SDL`, [{ file, at, message: error instanceof GraphQLError ? error.message : String(error) }]);
  }
  const links: LinkSpec[] = [];
  const problems: Problem[] = [];
  let currentType = '';
  const typeDefs = visit(document, {
    ObjectTypeExtension: { enter: (node) => void (currentType = node.name.value) },
    ObjectTypeDefinition: { enter: (node) => void (currentType = node.name.value) },
    FieldDefinition(node: FieldDefinitionNode) {
      const directive = node.directives?.find((d) => d.name.value === DIRECTIVE);
      if (!directive) return undefined;
      const at = `${currentType}.${node.name.value}`;
      const line = node.loc?.startToken.line ?? 0;
      const argument = (name: string) => directive.arguments?.find((a) => a.name.value === name)?.value;
      const source = argument('source');
      const field = argument('field');
      const args = argument('args');
      const key = argument('key');
      const fieldProblems: string[] = [];
      if (source?.kind !== Kind.STRING) fieldProblems.push('@delegate needs source: "<source name>"');
      if (field?.kind !== Kind.STRING) fieldProblems.push('@delegate needs field: "<root field of that source>"');
      if (args !== undefined && args.kind !== Kind.OBJECT) fieldProblems.push('@delegate args must be an object such as { id: "$parent.id" }');
      if (key !== undefined && key.kind !== Kind.STRING) fieldProblems.push('@delegate key must be a string naming a field of the returned items');
      const unknown = directive.arguments?.filter((a) => !['source', 'field', 'args', 'key'].includes(a.name.value)) ?? [];
      for (const a of unknown) fieldProblems.push(`@delegate has no argument "${a.name.value}" (it takes source, field, args, key)`);
      if (fieldProblems.length > 0 || source?.kind !== Kind.STRING || field?.kind !== Kind.STRING) {
        problems.push(...fieldProblems.map((message) => ({ file, at: `${at} (line ${line})`, message })));
        return { ...node, directives: node.directives?.filter((d) => d !== directive) ?? [] };
      }
      links.push({
        typeName: currentType,
        fieldName: node.name.value,
        source: source.value,
        targetField: field.value,
        args: args?.kind === Kind.OBJECT ? argTemplates(args) : {},
        ...(key?.kind === Kind.STRING ? { key: key.value } : {}),
        line,
      });
      return { ...node, directives: node.directives?.filter((d) => d !== directive) ?? [] };
    },
  });
  if (problems.length > 0) throw new ConfigInvalidError(`Links file ${file} is invalid`, problems);
  return { typeDefs, links };
}

function argTemplates(node: ObjectValueNode): Record<string, ArgTemplate> {
  const out: Record<string, ArgTemplate> = {};
  for (const field of node.fields) {
    const value = field.value;
    out[field.name.value] =
      value.kind === Kind.STRING && value.value.startsWith(PARENT_PREFIX)
        ? { kind: 'parent', path: value.value.slice(PARENT_PREFIX.length).split('.') }
        : { kind: 'literal', value: valueFromASTUntyped(value) };
  }
  return out;
}

/** What link validation needs to know about the sources. */
export interface LinkTargets {
  /** Source name → its schema as converted (root Query fields are the link targets). */
  readonly schemas: ReadonlyMap<string, GraphQLSchema>;
  /** The gateway schema without links, for the extended types and their fields. */
  readonly merged: GraphQLSchema;
}

/** Every link must point at a known source, Query field and arguments, and read parent fields that exist. */
export function validateLinks(file: string, links: readonly LinkSpec[], targets: LinkTargets): Problem[] {
  const problems: Problem[] = [];
  for (const link of links) {
    const at = `${link.typeName}.${link.fieldName} (line ${link.line})`;
    const report = (message: string) => problems.push({ file, at, message });
    const parentType = targets.merged.getType(link.typeName);
    if (!parentType || !(isObjectType(parentType) || isInterfaceType(parentType))) {
      report(`type "${link.typeName}" is not defined by any source`);
      continue;
    }
    const schema = targets.schemas.get(link.source);
    if (!schema) {
      report(`unknown source "${link.source}" (known: ${[...targets.schemas.keys()].join(', ')})`);
      continue;
    }
    const target = schema.getQueryType()?.getFields()[link.targetField];
    if (!target) {
      report(`source "${link.source}" has no Query field "${link.targetField}"`);
      continue;
    }
    const parentFields = parentType.getFields();
    for (const [name, template] of Object.entries(link.args)) {
      if (!target.args.some((a) => a.name === name)) report(`${link.source}.${link.targetField} has no argument "${name}" (it takes: ${target.args.map((a) => a.name).join(', ') || 'none'})`);
      if (template.kind === 'parent' && !parentFields[template.path[0] ?? '']) report(`"$parent.${template.path.join('.')}": type ${link.typeName} has no field "${template.path[0]}"`);
    }
    for (const arg of target.args) {
      if (arg.type.toString().endsWith('!') && arg.defaultValue === undefined && !(arg.name in link.args)) report(`${link.source}.${link.targetField} needs argument "${arg.name}"`);
    }
    if (link.key !== undefined) {
      const itemType = getNamedType(target.type);
      if ((isObjectType(itemType) || isInterfaceType(itemType)) && !itemType.getFields()[link.key]) report(`key "${link.key}": type ${itemType.name} has no such field`);
      const parentArgs = Object.values(link.args).filter((a) => a.kind === 'parent');
      if (parentArgs.length !== 1) report('a batched link (with key) must read exactly one argument from $parent');
    }
  }
  return problems;
}
