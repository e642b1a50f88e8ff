import { Kind, parse, type FieldDefinitionNode, type InputValueDefinitionNode, type TypeNode } from 'graphql';
import type { SpecNode } from './load-document.js';
import type { TypeDefinition } from './schema-to-sdl.js';

/** What the assembler needs of one root field. */
export interface RootFieldDraft {
  readonly rootType: 'Query' | 'Mutation';
  /** Final field name (renamed, prefixed). */
  readonly fieldName: string;
  /** Field name before `rename` and `prefix`. */
  readonly defaultName: string;
  readonly operationId: string;
  readonly node: SpecNode;
  /** The field's SDL line(s), indented for a root type body. */
  readonly sdl: string;
}

export interface AssembleInput<D extends RootFieldDraft> {
  readonly drafts: readonly D[];
  readonly definitions: readonly TypeDefinition[];
  readonly exclude: readonly string[];
  readonly prefix: string;
  note(at: SpecNode | string, message: string): void;
}

export interface Assembled<D extends RootFieldDraft> {
  readonly typeDefs: string;
  /** The drafts that stay root fields. */
  readonly fields: readonly D[];
  /** Every type in `typeDefs`. */
  readonly typeNames: ReadonlySet<string>;
}

function namedType(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);
}

function referencesOf(fields: readonly (FieldDefinitionNode | InputValueDefinitionNode)[] | undefined): string[] {
  const names: string[] = [];
  for (const field of fields ?? []) {
    names.push(namedType(field.type));
    if (field.kind === Kind.FIELD_DEFINITION) for (const arg of field.arguments ?? []) names.push(namedType(arg.type));
  }
  return names;
}

/**
 * Applies `exclude` and keeps only the types the remaining root fields reach: types are mapped while the
 * operations are read, so those of a left-out operation (or of a union that fell back to JSON) would
 * otherwise linger in the schema. Works on the parsed SDL, the one place that knows every reference.
 */
export function assembleTypeDefs<D extends RootFieldDraft>(input: AssembleInput<D>): Assembled<D> {
  const used = new Set<string>();
  const matches = (entry: string, ...names: string[]): boolean => names.includes(entry) && (used.add(entry), true);
  const byName = new Map(input.definitions.map((definition) => [definition.name, definition]));
  const excludedTypes = new Set(
    input.definitions.map(({ name }) => name).filter((name) => input.exclude.some((entry) => matches(entry, name) || matches(`${input.prefix}${entry}`, name))),
  );
  let fields = input.drafts.filter((draft) => !input.exclude.some((entry) => matches(entry, draft.operationId, draft.defaultName, draft.fieldName)));

  const references = new Map<string, string[]>();
  const document = parse(input.definitions.map(({ sdl }) => sdl).join('\n\n') || 'scalar Placeholder', { noLocation: true });
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) {
      references.set(definition.name.value, referencesOf(definition.fields));
    } else if (definition.kind === Kind.UNION_TYPE_DEFINITION) {
      references.set(definition.name.value, (definition.types ?? []).map((type) => type.name.value));
    }
  }
  const fieldReferences = new Map<D, string[]>();
  for (const draft of fields) {
    const parsed = parse(`type Root {\n${draft.sdl}\n}`, { noLocation: true }).definitions[0];
    fieldReferences.set(draft, parsed?.kind === Kind.OBJECT_TYPE_DEFINITION ? referencesOf(parsed.fields) : []);
  }

  if (excludedTypes.size > 0) {
    // Every type from which an excluded one can be reached is unusable too: walk the references backwards.
    const referrers = new Map<string, string[]>();
    for (const [from, targets] of references) for (const target of targets) (referrers.get(target) ?? referrers.set(target, []).get(target)!).push(from);
    const tainted = new Map<string, string>([...excludedTypes].map((name) => [name, name]));
    const queue = [...excludedTypes];
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      for (const referrer of referrers.get(name) ?? []) {
        if (!tainted.has(referrer)) {
          tainted.set(referrer, tainted.get(name) ?? name);
          queue.push(referrer);
        }
      }
    }
    fields = fields.filter((draft) => {
      const hit = (fieldReferences.get(draft) ?? []).find((name) => tainted.has(name));
      if (hit !== undefined) input.note(draft.node, `left out: it reaches excluded type ${tainted.get(hit) ?? hit}`);
      return hit === undefined;
    });
  }
  input.exclude.forEach((entry, index) => {
    if (!used.has(entry)) input.note(`exclude[${index}]`, `${JSON.stringify(entry)} matches no operation or type of this source`);
  });

  const reachable = new Set<string>();
  const pending = fields.flatMap((draft) => fieldReferences.get(draft) ?? []);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (reachable.has(name) || !byName.has(name)) continue;
    reachable.add(name);
    pending.push(...(references.get(name) ?? []));
  }
  const roots = (['Query', 'Mutation'] as const)
    .map((rootType) => ({ rootType, lines: fields.filter((draft) => draft.rootType === rootType).map((draft) => draft.sdl) }))
    .filter(({ lines }) => lines.length > 0)
    .map(({ rootType, lines }) => `type ${rootType} {\n${lines.join('\n')}\n}`);
  // A source with nothing to expose still has to be valid SDL: an empty Query adds no field when merged.
  if (roots.length === 0) roots.push('type Query');
  const kept = input.definitions.filter(({ name }) => reachable.has(name)).map(({ sdl }) => sdl);
  return { typeDefs: `${[...kept, ...roots].join('\n\n')}\n`, fields, typeNames: reachable };
}
