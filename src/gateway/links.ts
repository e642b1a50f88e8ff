import {
  GraphQLError,
  Kind,
  getNamedType,
  isObjectType,
  isInterfaceType,
  parse,
  valueFromASTUntyped,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
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
 *
 * A type served by several sources is merged by its key with `@merge` on the type (repeatable, one per source
 * that can be asked for its share of the type):
 *
 *   extend type Product @merge(source: "reviews", key: "id", field: "productRatings")
 *
 * - `source`: a source whose schema has this type (by its public name) with some of its fields;
 * - `field`: a root Query field of that source returning the type (or a list of it); with a list argument the
 *   fetch is batched, one call per level per `maxBatchSize` chunk, results matched by `key`;
 * - `key`: the field that identifies an object in every source that serves the type;
 * - `argument` (optional): the argument of `field` that takes the key(s), when it has more than one.
 * Named `@merge`, not `@key`, to stay clear of Federation's directives (a Federation subgraph declares its own
 * keys with `@key`; see `federation: true`).
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

/** One `@merge` directive: how to fetch `source`'s share of the merged type `typeName`. */
export interface MergeSpec {
  readonly typeName: string;
  readonly source: string;
  readonly key: string;
  readonly field: string;
  readonly argument?: string;
  readonly line: number;
}

export type ArgTemplate = { readonly kind: 'parent'; readonly path: readonly string[] } | { readonly kind: 'literal'; readonly value: unknown };

export interface ParsedLinks {
  /** The `extend type` blocks without the directive, ready to merge into the gateway schema. */
  readonly typeDefs: DocumentNode;
  readonly links: readonly LinkSpec[];
  readonly merges: readonly MergeSpec[];
}

const DIRECTIVE = 'delegate';
const MERGE_DIRECTIVE = 'merge';
const MERGE_ARGUMENTS = ['source', 'key', 'field', 'argument'];
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
  const merges: MergeSpec[] = [];
  const problems: Problem[] = [];
  let currentType = '';
  /** Collects a type's `@merge` directives and strips them; an extension left with nothing in it is dropped. */
  function takeMerges<T extends ObjectTypeExtensionNode | ObjectTypeDefinitionNode>(node: T): T | null {
    const own = node.directives?.filter((d) => d.name.value === MERGE_DIRECTIVE) ?? [];
    for (const directive of own) {
      const line = directive.loc?.startToken.line ?? 0;
      const at = `${node.name.value} (line ${line})`;
      const value = (name: string) => directive.arguments?.find((a) => a.name.value === name)?.value;
      const [source, key, field, argument] = MERGE_ARGUMENTS.map(value);
      const found: string[] = [];
      for (const [name, v] of [['source', source], ['key', key], ['field', field]] as const) if (v?.kind !== Kind.STRING) found.push(`@merge needs ${name}: "<...>"`);
      if (argument !== undefined && argument.kind !== Kind.STRING) found.push('@merge argument must be a string naming an argument of field');
      for (const a of directive.arguments ?? []) if (!MERGE_ARGUMENTS.includes(a.name.value)) found.push(`@merge has no argument "${a.name.value}" (it takes ${MERGE_ARGUMENTS.join(', ')})`);
      problems.push(...found.map((message) => ({ file, at, message })));
      if (found.length === 0 && source?.kind === Kind.STRING && key?.kind === Kind.STRING && field?.kind === Kind.STRING) {
        merges.push({ typeName: node.name.value, source: source.value, key: key.value, field: field.value, ...(argument?.kind === Kind.STRING ? { argument: argument.value } : {}), line });
      }
    }
    if (own.length === 0) return node;
    const directives = node.directives?.filter((d) => !own.includes(d)) ?? [];
    if (node.kind === Kind.OBJECT_TYPE_EXTENSION && directives.length === 0 && !node.fields?.length && !node.interfaces?.length) return null;
    return { ...node, directives };
  }
  const typeDefs = visit(document, {
    ObjectTypeExtension: { enter: (node) => void (currentType = node.name.value), leave: (node) => takeMerges(node) },
    ObjectTypeDefinition: { enter: (node) => void (currentType = node.name.value), leave: (node) => takeMerges(node) },
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
  return { typeDefs, links, merges };
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

/**
 * Every `@merge` must name a known source that serves the type, a Query field of it returning the type with one
 * argument to take the key(s), and a key field every source serving the type has; a merged type needs two sources.
 */
export function validateMerges(file: string, merges: readonly MergeSpec[], schemas: LinkTargets['schemas']): Problem[] {
  const problems: Problem[] = [];
  const byType = new Map<string, MergeSpec[]>();
  for (const merge of merges) byType.set(merge.typeName, [...(byType.get(merge.typeName) ?? []), merge]);
  for (const merge of merges) {
    const report = (message: string) => problems.push({ file, at: `${merge.typeName} (line ${merge.line})`, message });
    const schema = schemas.get(merge.source);
    if (!schema) {
      report(`unknown source "${merge.source}" (known: ${[...schemas.keys()].join(', ')})`);
      continue;
    }
    const servers = [...schemas].filter(([, s]) => isObjectType(s.getType(merge.typeName))).map(([name]) => name);
    const own = schema.getType(merge.typeName);
    if (!own || !isObjectType(own)) {
      report(`source "${merge.source}" has no object type "${merge.typeName}"`);
      continue;
    }
    if (servers.length < 2) report(`type "${merge.typeName}" is served only by ${servers.join(', ')}: merging needs two sources`);
    if ((byType.get(merge.typeName) ?? []).some((m) => m.source === merge.source && m.line < merge.line)) report(`source "${merge.source}" already has a @merge on ${merge.typeName}`);
    for (const server of servers) {
      const type = schemas.get(server)!.getType(merge.typeName);
      if (isObjectType(type) && !type.getFields()[merge.key]) report(`key "${merge.key}": ${merge.typeName} of source "${server}" has no such field`);
    }
    const field = schema.getQueryType()?.getFields()[merge.field];
    if (!field) {
      report(`source "${merge.source}" has no Query field "${merge.field}"`);
      continue;
    }
    if (getNamedType(field.type).name !== merge.typeName) report(`${merge.source}.${merge.field} returns ${String(field.type)}, not ${merge.typeName}`);
    const candidates = merge.argument === undefined ? field.args.filter((a) => String(a.type).endsWith('!') && a.defaultValue === undefined) : field.args.filter((a) => a.name === merge.argument);
    if (merge.argument !== undefined && candidates.length === 0) report(`${merge.source}.${merge.field} has no argument "${merge.argument}" (it takes: ${field.args.map((a) => a.name).join(', ') || 'none'})`);
    else if (candidates.length !== 1) report(`${merge.source}.${merge.field} must take the key in one required argument; name it with argument: "..."`);
  }
  return problems;
}

/**
 * The links without those that cannot be served now: links to a source that is left out (its schema could not be
 * loaded, see `loadSourcesDegraded`) or whose parent type no loaded source defines, and `@merge`s of such sources.
 * Their fields leave the extensions too, so the rest of the links still apply while the source is away.
 */
export function pruneLinks(parsed: ParsedLinks, keep: { source: (name: string) => boolean; type?: (name: string) => boolean }): ParsedLinks {
  const typeKept = keep.type ?? (() => true);
  const dropped = new Set(parsed.links.filter((l) => !keep.source(l.source) || !typeKept(l.typeName)).map((l) => `${l.typeName}.${l.fieldName}`));
  const kept = parsed.merges.filter((m) => keep.source(m.source) && typeKept(m.typeName));
  // A merged type that lost a source and has one left is no merged type any more (it needs two).
  const lost = new Set(parsed.merges.filter((m) => !kept.includes(m)).map((m) => m.typeName));
  const merges = kept.filter((m) => !lost.has(m.typeName) || kept.filter((k) => k.typeName === m.typeName).length >= 2);
  if (dropped.size === 0 && merges.length === parsed.merges.length) return parsed;
  const definitions = parsed.typeDefs.definitions.flatMap((definition): DefinitionNode[] => {
    if (definition.kind !== Kind.OBJECT_TYPE_EXTENSION && definition.kind !== Kind.OBJECT_TYPE_DEFINITION) return [definition];
    if (!typeKept(definition.name.value)) return [];
    const fields = definition.fields?.filter((f) => !dropped.has(`${definition.name.value}.${f.name.value}`)) ?? [];
    if (definition.kind === Kind.OBJECT_TYPE_EXTENSION && fields.length === 0 && !definition.directives?.length && !definition.interfaces?.length) return [];
    return [{ ...definition, fields } as DefinitionNode];
  });
  return {
    typeDefs: { ...parsed.typeDefs, definitions },
    links: parsed.links.filter((l) => !dropped.has(`${l.typeName}.${l.fieldName}`)),
    merges,
  };
}
