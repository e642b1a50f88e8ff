import protobuf from 'protobufjs';
import type { Enum, ReflectionObject, Type } from 'protobufjs';
import type { Problem } from '../../errors.js';

/** Names a proto type cannot take as-is: root types and the scalars the SDL may use. */
const RESERVED_TYPE_NAMES: ReadonlySet<string> = new Set(['Query', 'Mutation', 'Subscription', 'String', 'Int', 'Float', 'Boolean', 'ID', 'JSON', 'DateTime']);

const GRAPHQL_NAME = /^(?!__)[_A-Za-z][_0-9A-Za-z]*$/;

export function isGraphqlName(name: string): boolean {
  return GRAPHQL_NAME.test(name);
}

/** GraphQL names of the messages and enums one source exposes. */
export interface TypeNames {
  /** Object type or enum name. */
  readonly outputName: ReadonlyMap<Type | Enum, string>;
  /** Input object type name (`${outputName}Input`). */
  readonly inputName: ReadonlyMap<Type, string>;
}

export interface TypeNamingInput {
  readonly outputs: ReadonlySet<Type>;
  readonly inputs: ReadonlySet<Type>;
  readonly enums: ReadonlySet<Enum>;
  readonly rename: Readonly<Record<string, string>>;
  /** Receives every `rename` key that matched, so unmatched keys can be reported. */
  readonly usedKeys: Set<string>;
  readonly problems: Problem[];
  readonly protoFile: string;
}

/**
 * Short names (`Order`, nested `Order.Line` → `OrderLine`) unless two reached types share one, or it is
 * reserved: then the package-qualified name (`OrdersV1Order`). `rename` is keyed by that default name or
 * the full proto name (`orders.v1.Order`); input types follow their object type's name.
 */
export function assignTypeNames(input: TypeNamingInput): TypeNames {
  const types: (Type | Enum)[] = [...new Set<Type | Enum>([...input.outputs, ...input.inputs, ...input.enums])];
  const shortNameCount = new Map<string, number>();
  for (const type of types) shortNameCount.set(shortName(type), (shortNameCount.get(shortName(type)) ?? 0) + 1);

  const outputName = new Map<Type | Enum, string>();
  for (const type of types) {
    const short = shortName(type);
    const defaultName = (shortNameCount.get(short) ?? 0) > 1 || RESERVED_TYPE_NAMES.has(short) ? qualifiedName(type) : short;
    outputName.set(type, renamed(type, defaultName, input));
  }
  const inputName = new Map<Type, string>();
  for (const type of input.inputs) inputName.set(type, `${outputName.get(type) ?? shortName(type)}Input`);

  reportDuplicates(outputName, inputName, input);
  return { outputName, inputName };
}

function renamed(type: Type | Enum, defaultName: string, input: TypeNamingInput): string {
  const protoName = type.fullName.slice(1);
  const key = defaultName in input.rename ? defaultName : protoName in input.rename ? protoName : undefined;
  if (key === undefined) return defaultName;
  input.usedKeys.add(key);
  const name = input.rename[key] ?? defaultName;
  if (isGraphqlName(name)) return name;
  input.problems.push({ file: input.protoFile, at: `rename.${key}`, message: `"${name}" is not a valid GraphQL type name` });
  return defaultName;
}

function reportDuplicates(outputName: ReadonlyMap<Type | Enum, string>, inputName: ReadonlyMap<Type, string>, input: TypeNamingInput): void {
  const owners = new Map<string, string[]>();
  const claim = (name: string, type: Type | Enum): void => {
    owners.set(name, [...(owners.get(name) ?? []), type.fullName.slice(1)]);
  };
  for (const [type, name] of outputName) claim(name, type);
  for (const [type, name] of inputName) claim(name, type);
  for (const [name, protoNames] of owners) {
    if (protoNames.length > 1 || RESERVED_TYPE_NAMES.has(name)) {
      input.problems.push({
        file: input.protoFile,
        at: protoNames.join(', '),
        message: `GraphQL type name ${name} is taken more than once or reserved; use the rename option`,
      });
    }
  }
}

/** Name relative to the package: the message and the messages it is nested in. */
function shortName(type: ReflectionObject): string {
  const segments = [type.name];
  for (let parent = type.parent; parent instanceof protobuf.Type; parent = parent.parent) segments.unshift(parent.name);
  return segments.map(pascalCase).join('');
}

function qualifiedName(type: ReflectionObject): string {
  return type.fullName.slice(1).split('.').map(pascalCase).join('');
}

function pascalCase(segment: string): string {
  return segment
    .split('_')
    .filter((part) => part !== '')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
