import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SpecInvalidError } from '../../src/errors.js';
import { convertOpenApi, type OpenApiSourceOptions } from '../../src/sources/openapi/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/openapi');

function fixture(name: string): string {
  return path.join(fixtures, name);
}

async function convert(name: string, rename?: OpenApiSourceOptions['rename']) {
  const converted = await convertOpenApi({ name: 'test', specFile: fixture(name), ...(rename ? { rename } : {}) });
  // Every conversion must give SDL that graphql-js accepts.
  return { ...converted, printed: printSchema(buildSchema(converted.typeDefs)) };
}

async function problemsOf(name: string) {
  const error: unknown = await convertOpenApi({ name: 'broken', specFile: fixture(name) }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SpecInvalidError);
  const specError = error as SpecInvalidError;
  expect(specError.code).toBe('SPEC_INVALID');
  return specError.problems.map(({ file, at, message }) => ({ file: path.relative(fixtures, file), at, message }));
}

describe('convertOpenApi: petstore (3.0, YAML)', () => {
  it('maps GET to Query and other methods to Mutation, named after operationIds in camelCase', async () => {
    const { printed, operations } = await convert('petstore.yaml');
    expect(printed).toContain('type Query {\n  """List pets"""\n  listPets(limit: Int, status: [PetStatus!]): [Pet!]\n  getPetById(petId: String!): Pet\n  getPetsByPetIdStats(petId: String!): GetPetsByPetIdStatsResponse\n}');
    expect(printed).toContain('type Mutation {\n  createPet(input: PetInput!): Pet\n  deletePet(petId: String!): Boolean @deprecated\n}');
    expect([...operations.keys()]).toEqual(['Query.listPets', 'Mutation.createPet', 'Query.getPetById', 'Mutation.deletePet', 'Query.getPetsByPetIdStats']);
    expect(operations.get('Query.listPets')).toMatchObject({ operationId: 'list-pets', readOnly: true, method: 'GET', path: '/pets' });
    expect(operations.get('Mutation.deletePet')).toMatchObject({ operationId: 'delete_pet', readOnly: false, method: 'DELETE', response: { kind: 'none' } });
    expect(operations.get('Query.getPetsByPetIdStats')?.operationId).toBe('GET /pets/{petId}/stats');
  });

  it('maps component schemas to object and input types, honouring required, nullable, readOnly and writeOnly', async () => {
    const { printed } = await convert('petstore.yaml');
    expect(printed).toContain(
      '"""A pet in the store."""\ntype Pet {\n  id: String!\n  name: String!\n  status: PetStatus\n  tags: [String!]\n  weight: Float\n  vaccinated: Boolean\n  owner: Owner\n}',
    );
    expect(printed).toContain('input PetInput {\n  name: String!\n  status: PetStatus\n  tags: [String!]\n  weight: Float\n  vaccinated: Boolean\n  secret: String\n  owner: OwnerInput\n}');
    expect(printed).toContain('enum PetStatus {\n  available\n  pending\n  sold\n}');
    expect(printed).toContain('type OwnerAddress {\n  city: String\n}');
    expect(printed).toContain('type GetPetsByPetIdStatsResponse {\n  visits: Int!\n  lastVisit: DateTime\n}');
    expect(printed).toContain('scalar DateTime @specifiedBy(url: "https://datatracker.ietf.org/doc/html/rfc3339")');
    expect(printed).not.toContain('scalar JSON');
  });

  it('maps int64 to String with nothing simplified', async () => {
    const { notes, operations } = await convert('petstore.yaml');
    expect(notes).toEqual([]);
    expect(operations.get('Query.listPets')?.response.int64).toBe(true);
    expect(operations.get('Query.getPetsByPetIdStats')?.response.int64).toBe(false);
  });

  it('applies rename to fields (by default name or operationId) and types', async () => {
    const { printed, operations } = await convert('petstore.yaml', { listPets: 'pets', GetPetById: 'pet', Pet: 'Animal', PetStatus: 'AnimalStatus' });
    expect(printed).toContain('  pets(limit: Int, status: [AnimalStatus!]): [Animal!]\n  pet(petId: String!): Animal\n');
    expect(printed).toContain('type Animal {');
    expect(printed).toContain('input PetInput {');
    expect(operations.get('Query.pets')?.operationId).toBe('list-pets');
  });
});

describe('convertOpenApi: schema features', () => {
  it('merges allOf into one object type', async () => {
    const { printed } = await convert('allof.yaml');
    expect(printed).toContain('type Dog {\n  name: String!\n  legs: Int\n  breed: String!\n  goodBoy: Boolean\n}');
    expect(printed).toContain('getDog(id: Int!): Dog');
    expect(printed).not.toContain('type Animal');
  });

  it('maps enums, giving values that are not GraphQL names a name and translating them both ways', async () => {
    const { printed, notes, operations } = await convert('enums.yaml');
    expect(printed).toContain('enum ItemColor {\n  red\n  green\n  blue\n}');
    expect(printed).toContain('enum ItemMaybe {\n  yes\n  no\n}');
    expect(printed).toContain('enum ListItemsSort {\n  asc\n  desc\n}');
    expect(printed).toContain('enum ItemStock {\n  IN_STOCK\n  OUT_OF_STOCK\n}');
    expect(printed).toContain('enum ItemSize {\n  _1\n  _2\n  _3\n}');
    expect(printed).toContain('enum ItemFlag {\n  TRUE\n  FALSE\n}');
    expect(printed).toContain('type Item {\n  color: ItemColor\n  stock: ItemStock\n  size: ItemSize\n  flag: ItemFlag\n  maybe: ItemMaybe\n}');
    expect(notes).toEqual([
      { pointer: '#/components/schemas/Item/properties/stock/enum', message: 'enum values are exposed as valid GraphQL names and translated on the wire: "in-stock" → IN_STOCK, "out-of-stock" → OUT_OF_STOCK' },
      { pointer: '#/components/schemas/Item/properties/size/enum', message: 'enum values are exposed as valid GraphQL names and translated on the wire: 1 → _1, 2 → _2, 3 → _3' },
      { pointer: '#/components/schemas/Item/properties/flag/enum', message: 'enum values are exposed as valid GraphQL names and translated on the wire: "true" → TRUE, "false" → FALSE' },
    ]);
    // The response shape turns wire values into names; unchanged enums need no work.
    const shape = operations.get('Query.listItems')?.response.shape;
    expect(shape).toMatchObject({ kind: 'object', fields: expect.arrayContaining([expect.objectContaining({ from: 'size', shape: { kind: 'enum', values: new Map([[1, '_1'], [2, '_2'], [3, '_3']]) } })]) });
    expect(operations.get('Query.listItems')?.queryParameters[0]?.shape).toBeUndefined();
  });

  it('ends circular schemas in references by name, for output and input types', async () => {
    const { printed, notes } = await convert('circular.yaml');
    expect(printed).toContain('type Person {\n  name: String\n  friends: [Person!]\n  employer: Company\n}');
    expect(printed).toContain('type Company {\n  ceo: Person\n}');
    expect(printed).toContain('input PersonInput {\n  name: String\n  friends: [PersonInput!]\n  employer: CompanyInput\n}');
    expect(printed).toContain('updatePerson(id: String!, input: PersonInput): [JSON]');
    expect(notes).toEqual([{ pointer: '#/components/schemas/Tree', message: 'the schema contains itself with no object type in between: mapped to JSON' }]);
  });

  it('sanitizes invalid names and records the mapping back to the spec names', async () => {
    const { printed, operations, notes } = await convert('invalid-names.yaml');
    expect(printed).toContain('type UserProfile {\n  firstName: String!\n  type: String\n  _1st: Boolean\n  first_name: String\n  meta: String\n}');
    expect(printed).toContain('getUserAccountsByAccountIdProfileJson(accountId: String!, xRequestId: String, pageSize: Int): UserProfile');
    expect(printed).toContain('createUserAccount(input: UserProfileInput!): UserProfile');
    const get = operations.get('Query.getUserAccountsByAccountIdProfileJson');
    expect(get?.headerParameters).toMatchObject([{ name: 'x-request-id', argName: 'xRequestId' }]);
    expect(get?.queryParameters).toMatchObject([{ name: 'page[size]', argName: 'pageSize' }]);
    expect(get?.response.shape).toMatchObject({ kind: 'object', fields: expect.arrayContaining([{ from: 'first-name', to: 'firstName', shape: undefined }]) });
    expect(operations.get('Mutation.createUserAccount')?.body?.shape).toMatchObject({
      kind: 'object',
      fields: expect.arrayContaining([{ from: 'firstName', to: 'first-name', shape: undefined }]),
    });
    expect(notes).toContainEqual({ pointer: '#/components/schemas/user.profile/properties/@type', message: 'property "@type" is exposed as type' });
  });

  it('passes values through untouched when no name was changed', async () => {
    const { operations } = await convert('petstore.yaml');
    expect(operations.get('Query.listPets')?.response.shape).toBeUndefined();
    expect(operations.get('Mutation.createPet')?.body?.shape).toBeUndefined();
  });

  it('falls back to JSON with a note for scalar anyOf, maps, free-form objects and unknown types', async () => {
    const { printed, notes } = await convert('fallbacks.yaml');
    expect(printed).toContain('scalar JSON');
    expect(printed).toContain('union GetProductsResponse = Book | Film');
    expect(printed).toContain('type Query {\n  getProducts: GetProductsResponse\n  getSettings: GetSettingsResponse\n  health: String\n}\n\ntype Mutation {\n  upload(input: JSON!): Boolean\n}');
    expect(printed).toContain('type GetSettingsResponse {\n  labels: JSON\n  extra: JSON\n  anything: JSON\n  either: JSON\n  maybeBook: Book\n  odd: JSON\n}');
    const settings = '#/paths/~1settings/get/responses/200/content/application~1json/schema/properties';
    expect(notes.map((note) => note.pointer)).toEqual([
      `${settings}/labels`,
      `${settings}/extra`,
      `${settings}/anything`,
      `${settings}/either/anyOf`,
      `${settings}/odd/type`,
      '#/paths/~1upload/post/requestBody/content/multipart~1form-data/schema',
    ]);
    expect(notes[3]?.message).toBe('anyOf with a member that is not an object (#/paths/~1settings/get/responses/200/content/application~1json/schema/properties/either/anyOf/0) cannot be a union: mapped to JSON');
    expect(notes[5]?.message).toBe('a free-form object has no GraphQL equivalent: mapped to JSON');
  });

  it('reads OpenAPI 3.1 JSON with type arrays and anyOf-with-null', async () => {
    const { printed, notes } = await convert('v31.json');
    expect(printed).toContain('type Order {\n  id: String!\n  note: String\n  total: Float!\n  coupon: Coupon\n  mixed: JSON\n}');
    expect(notes).toEqual([{ pointer: '#/components/schemas/Order/properties/mixed', message: 'several types (string, integer) have no GraphQL equivalent: mapped to JSON' }]);
  });

  it('follows $refs into other local files', async () => {
    const { printed } = await convert('external-main.yaml');
    expect(printed).toContain('type Error {\n  code: Int\n  message: String\n}');
    expect(printed).toContain('lastError: Error');
  });
});

describe('convertOpenApi: broken specs throw SpecInvalidError with every problem', () => {
  it('an unreadable file', async () => {
    expect(await problemsOf('broken/does-not-exist.yaml')).toEqual([{ file: 'broken/does-not-exist.yaml', at: '#', message: 'cannot read the file (ENOENT)' }]);
  });

  it('invalid YAML, reported once at its first error', async () => {
    const problems = await problemsOf('broken/bad-yaml.yaml');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'broken/bad-yaml.yaml', at: '#' });
    expect(problems[0]?.message).toMatch(/^invalid YAML: .*line 3, column 1/);
  });

  it('invalid JSON', async () => {
    const problems = await problemsOf('broken/bad-json.json');
    expect(problems).toEqual([{ file: 'broken/bad-json.json', at: '#', message: expect.stringMatching(/^invalid JSON: /) as unknown as string }]);
  });

  it('a document that is neither OpenAPI 3 nor Swagger 2.0', async () => {
    expect(await problemsOf('broken/swagger12.yaml')).toEqual([{ file: 'broken/swagger12.yaml', at: '#', message: 'unsupported Swagger version "1.2": expected "2.0"' }]);
    expect(await problemsOf('broken/not-openapi.yaml')).toEqual([
      { file: 'broken/not-openapi.yaml', at: '#', message: 'not an OpenAPI document: there is no `openapi` or `swagger` field' },
    ]);
  });

  it('every $ref to nothing, with the pointer of the $ref', async () => {
    expect(await problemsOf('broken/dangling-refs.yaml')).toEqual([
      {
        file: 'broken/dangling-refs.yaml',
        at: '#/paths/~1a/get/responses/200/content/application~1json/schema/$ref',
        message: '$ref "#/components/schemas/Missing" points to nothing',
      },
      { file: 'broken/dangling-refs.yaml', at: '#/components/schemas/Thing/properties/other/$ref', message: '$ref "#/components/schemas/Other" points to nothing' },
    ]);
  });

  it('a $ref to a missing file and a $ref cycle', async () => {
    expect(await problemsOf('broken/missing-file-ref.yaml')).toEqual([
      { file: 'broken/nowhere.yaml', at: '#', message: 'cannot read the file (ENOENT)' },
      {
        file: 'broken/missing-file-ref.yaml',
        at: '#/paths/~1a/get/responses/200/content/application~1json/schema/$ref',
        message: '$ref "./nowhere.yaml#/Thing": the file cannot be read',
      },
    ]);
    expect(await problemsOf('broken/ref-cycle.yaml')).toEqual([
      { file: 'broken/ref-cycle.yaml', at: '#/components/schemas/A/$ref', message: '$ref "#/components/schemas/B" is part of a reference cycle' },
      { file: 'broken/ref-cycle.yaml', at: '#/components/schemas/B/$ref', message: '$ref "#/components/schemas/A" is part of a reference cycle' },
    ]);
  });

  it('a path parameter that is not declared', async () => {
    expect(await problemsOf('broken/undeclared-path-param.yaml')).toEqual([
      { file: 'broken/undeclared-path-param.yaml', at: '#/paths/~1things~1{id}/get', message: 'path parameter {id} is not declared' },
    ]);
  });
});

describe('convertOpenApi: Swagger 2.0', () => {
  it('converts a Swagger 2.0 document through swagger2openapi: body and formData parameters become request bodies', async () => {
    const { printed, operations, notes } = await convert('swagger2.yaml');
    expect(printed).toContain('type Order {\n  id: String!\n  placedAt: DateTime\n  state: OrderState\n  total: Float\n}');
    expect(printed).toContain('enum OrderState {\n  new\n  IN_TRANSIT\n  done\n}');
    expect(printed).toContain('placeOrder(input: OrderInput!): Order');
    expect(printed).toContain('attachReceipt(id: String!, input: AttachReceiptInput): Boolean');
    expect(operations.get('Mutation.attachReceipt')?.body).toMatchObject({ encoding: 'multipart', contentType: 'multipart/form-data', binaryFields: ['scan'] });
    expect(operations.get('Query.getOrder')?.queryParameters).toMatchObject([{ name: 'fields', style: 'pipeDelimited', explode: false }]);
    // Notes point into the Swagger document where a place maps one to one.
    expect(notes).toContainEqual({
      pointer: '#/definitions/Order/properties/state/enum',
      message: 'enum values are exposed as valid GraphQL names and translated on the wire: "in-transit" → IN_TRANSIT',
    });
  });
});

describe('convertOpenApi: unions, defaults, deprecation, bodies', () => {
  it('turns oneOf/anyOf of objects into unions with __resolveType resolvers', async () => {
    const { printed, resolvers, operations } = await convert('shop.yaml');
    expect(printed).toContain('union Item = Book | Film');
    expect(printed).toContain('union SearchResponseItem = Shop | Person');
    expect(printed).toContain('listItems: [Item!]');
    const resolveType = (union: string, value: unknown): unknown => (resolvers?.[union] as { __resolveType(value: unknown): unknown }).__resolveType(value);
    expect(resolveType('Item', { __typename: 'Film', minutes: 3 })).toBe('Film');
    // A value that did not come through the transport (no __typename) is matched by its required fields.
    expect(resolveType('Item', { kind: 'x', isbn: '1', pageCount: 3 })).toBe('Book');
    expect(resolveType('SearchResponseItem', { name: 'a', email: 'b' })).toBe('Person');
    const shape = operations.get('Query.listItems')?.response.shape;
    expect(shape).toMatchObject({ kind: 'list', items: { kind: 'union', discriminator: { property: 'kind' } } });
  });

  it('writes argument defaults, descriptions and deprecation, and enum value descriptions into the SDL', async () => {
    const { printed } = await convert('shop.yaml');
    expect(printed).toContain('    """Only products with this availability"""\n    availability: Availability\n    limit: Int = 20\n    sort: [ListProductsSortItem!] = [PRICE_ASC]');
    expect(printed).toContain('    """Use availability"""\n    legacyFilter: String @deprecated');
    expect(printed).toContain('enum Availability {\n  """On the shelf"""\n  IN_STOCK\n  OUT_OF_STOCK\n\n  """Not released yet"""\n  preorder\n}');
    expect(printed).toContain('  """Use id"""\n  oldName: String @deprecated');
  });

  it('maps each body media type to an argument, and a non-JSON response to base64 text', async () => {
    const { printed, operations, notes } = await convert('shop.yaml');
    expect(printed).toContain('  """Returns the response body (image/png) as base64."""\n  getProductImage(id: String!): String');
    expect(printed).toContain('putProductImage(id: String!, input: String!): Boolean');
    expect(printed).toContain('sendContactForm(input: SendContactFormInput!): Echo');
    expect(printed).toContain('addNote(input: String): Echo');
    expect(operations.get('Query.getProductImage')?.response.kind).toBe('binary');
    expect(operations.get('Mutation.sendContactForm')?.body).toMatchObject({ encoding: 'form', contentType: 'application/x-www-form-urlencoded' });
    expect(operations.get('Mutation.addNote')?.body).toMatchObject({ encoding: 'text', contentType: 'text/plain' });
    expect(operations.get('Query.listProducts')?.cookieParameters.map((parameter) => parameter.name)).toEqual(['session', 'ab']);
    expect(notes).toContainEqual({ pointer: '#/paths/~1uploads/post/requestBody/content/multipart~1form-data/schema/properties/file', message: 'file part "file" is given as base64 text in input' });
  });
});

describe('convertOpenApi: prefix and exclude', () => {
  it('prefixes every type and root field, but not the shared scalars', async () => {
    const converted = await convertOpenApi({ name: 'shop', specFile: fixture('shop.yaml'), prefix: 'Inv', rename: { listProducts: 'products' } });
    const printed = printSchema(buildSchema(converted.typeDefs));
    expect(printed).toContain('invProducts(');
    expect(printed).toContain('invListItems: [InvItem!]');
    expect(printed).toContain('union InvItem = InvBook | InvFilm');
    expect(printed).toContain('releasedAt: DateTime');
    expect(Object.keys(converted.resolvers ?? {})).toEqual(['InvItem', 'InvSearchResponseItem']);
    expect([...converted.operations.keys()]).toContain('Query.invProducts');
  });

  it('leaves out operations by operationId or field name, and every operation that reaches an excluded type', async () => {
    const converted = await convertOpenApi({ name: 'shop', specFile: fixture('shop.yaml'), exclude: ['getProductImage', 'search', 'Book', 'Nope'] });
    const printed = printSchema(buildSchema(converted.typeDefs));
    expect([...converted.operations.keys()].filter((key) => key.startsWith('Query.'))).toEqual(['Query.listProducts', 'Query.getProduct', 'Query.internalStats']);
    expect(printed).not.toMatch(/\b(Book|Film|Item|Shop|Person)\b/);
    expect(converted.resolvers).toBeUndefined();
    expect(converted.notes).toContainEqual({ pointer: '#/paths/~1items/get', message: 'left out: it reaches excluded type Book' });
    expect(converted.notes).toContainEqual({ pointer: 'exclude[3]', message: '"Nope" matches no operation or type of this source' });
  });
});

describe('convertOpenApi: union edge cases', () => {
  it('keeps an object whose oneOf only constrains required properties, and unions that are recursive or nullable', async () => {
    const { printed, notes, operations } = await convert('unions.yaml');
    expect(printed).toContain('listContacts: [ListContactsResponseItem!]');
    expect(printed).toContain('type ListContactsResponseItem {\n  email: String\n  phone: String\n}');
    expect(printed).toContain('getPet: GetPetResponse');
    expect(printed).toContain('union GetPetResponse = Cat | Dog');
    expect(printed).toContain('union Node = Leaf | Branch');
    expect(printed).toContain('type Branch {\n  children: [Node!]\n}');
    const shape = operations.get('Query.getPet')?.response.shape;
    expect(shape?.kind === 'union' && [...(shape.discriminator?.mapping.entries() ?? [])].map(([value, member]) => [value, member.typeName])).toEqual([
      ['kitty', 'Cat'],
      ['Dog', 'Dog'],
    ]);
    expect(notes).toEqual([
      { pointer: '#/paths/~1contacts/get/responses/200/content/application~1json/schema/items/oneOf', message: 'oneOf only constrains which properties are required: not enforced' },
      {
        pointer: '#/paths/~1pets/get/responses/200/content/application~1json/schema/discriminator/mapping/wolf',
        message: 'discriminator value "wolf" names no member of the union: ignored',
      },
    ]);
  });
});

describe('convertOpenApi: int64', () => {
  it('maps int64 and uint64 to String in types, inputs, lists and arguments, with defaults as String literals', async () => {
    const { printed, notes } = await convert('int64.yaml');
    expect(printed).toContain('type Account {\n  id: String!\n  balance: String\n  ratio: Float\n  count: Int\n  history: [String!]\n  parent: Account\n}');
    expect(printed).toContain('input TransferInput {\n  amount: String!\n  toAccount: String\n  memo: String\n  legs: [String!]\n}');
    expect(printed).toContain('getAccount(id: String!, since: String = "0", ids: [String!], xRequestId: String): Account');
    expect(notes.map((note) => note.message)).not.toContainEqual(expect.stringMatching(/int64|Float/));
  });

  it('marks, at conversion, the responses to parse losslessly and the arguments that carry an int64', async () => {
    const { operations } = await convert('int64.yaml');
    const account = operations.get('Query.getAccount');
    expect(account?.response.int64).toBe(true);
    expect(account?.pathPieces).toContainEqual(expect.objectContaining({ argName: 'id', int64: true, shape: { kind: 'int64', format: 'int64' } }));
    expect(account?.queryParameters.map(({ argName, int64 }) => [argName, int64])).toEqual([
      ['since', true],
      ['ids', true],
    ]);
    expect(account?.headerParameters).toEqual([expect.objectContaining({ name: 'x-request-id', int64: true, shape: { kind: 'int64', format: 'uint64' } })]);
    const transfer = operations.get('Mutation.createTransfer');
    expect(transfer?.body?.int64).toBe(true);
    // The response has no int64: it keeps the plain JSON.parse path.
    expect(transfer?.response.int64).toBe(false);
    expect(operations.get('Query.getStatus')?.response.int64).toBe(false);
  });
});
