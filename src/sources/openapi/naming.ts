/** Names: GraphQL identifiers made from OpenAPI names, and JSON pointers into the spec. */

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A GraphQL name that is also not reserved for introspection (`__typename`, ...). */
export function isValidGraphQLName(name: string): boolean {
  return GRAPHQL_NAME.test(name) && !name.startsWith('__');
}

function splitWords(text: string): string[] {
  return text.split(/[^0-9A-Za-z]+/).filter((word) => word.length > 0);
}

function upperFirst(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function lowerFirst(word: string): string {
  return word.charAt(0).toLowerCase() + word.slice(1);
}

/** A name may not start with a digit; an empty one becomes `_`. */
function guardStart(name: string): string {
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/** `list-pets`, `ListPets`, `list_pets` → `listPets`; inner capitals are kept (`getHTTPStatus`). */
export function camelCase(text: string): string {
  const words = splitWords(text);
  return guardStart(words.map((word, index) => (index === 0 ? lowerFirst(word) : upperFirst(word))).join(''));
}

/** `pet-status`, `petStatus` → `PetStatus`. */
export function pascalCase(text: string): string {
  return guardStart(splitWords(text).map(upperFirst).join(''));
}

/** Property and parameter names are kept when they are valid GraphQL names (least surprise), else camel-cased. */
export function graphqlFieldName(name: string): string {
  return isValidGraphQLName(name) ? name : camelCase(name);
}

/** Component names are kept when valid, else Pascal-cased (`pet.Model` → `PetModel`). */
export function graphqlTypeName(name: string): string {
  return isValidGraphQLName(name) ? name : pascalCase(name);
}

/** The field name of an operation without an operationId: `GET /products/{id}` → `getProductsById`. */
export function defaultOperationName(method: string, path: string): string {
  const pieces = path
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      return param?.[1] !== undefined ? `By${pascalCase(param[1])}` : pascalCase(segment).replace(/^_/, '');
    });
  return camelCase(method.toLowerCase() + pieces.join(''));
}

/** Appends 2, 3, ... until the name is not in `taken`, then records it. */
export function claimUniqueName(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let suffix = 2; taken.has(name); suffix += 1) name = `${wanted}${suffix}`;
  taken.add(name);
  return name;
}

function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `childPointer('#/paths', '/pets', 'get')` → `#/paths/~1pets/get`. */
export function childPointer(pointer: string, ...segments: readonly (string | number)[]): string {
  return segments.reduce<string>((result, segment) => `${result}/${escapePointerSegment(String(segment))}`, pointer);
}

/** The segments of a URI-fragment JSON pointer (`#/a/b~1c` → `['a', 'b/c']`); undefined when malformed. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '' || pointer === '#') return [];
  if (!pointer.startsWith('#/')) return undefined;
  try {
    return pointer
      .slice(2)
      .split('/')
      .map((segment) => decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~'));
  } catch {
    return undefined;
  }
}

/**
 * A GraphQL enum value name for an enum entry that is not one already: `in-stock` → `IN_STOCK`, `1` → `_1`,
 * `-1` → `MINUS_1`, `true` → `TRUE`. Uniqueness is the caller's job (`claimUniqueName`).
 */
export function enumValueName(value: string | number): string {
  if (typeof value === 'string' && isValidGraphQLName(value) && value !== 'true' && value !== 'false' && value !== 'null') return value;
  if (typeof value === 'number') {
    const digits = String(Math.abs(value)).replace(/[^0-9A-Za-z]/g, '_');
    return value < 0 ? `MINUS_${digits}` : `_${digits}`;
  }
  const words = splitWords(value);
  return words.length === 0 ? (value === '' ? 'EMPTY' : '_') : guardStart(words.map((word) => word.toUpperCase()).join('_'));
}

/** `products` with prefix `Inv` → `invProducts`: the prefix leads, the rest keeps its capitals. */
export function prefixedFieldName(prefix: string, name: string): string {
  return prefix === '' ? name : `${lowerFirst(prefix)}${upperFirst(name)}`;
}
