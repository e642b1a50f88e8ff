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
      '"""A pet in the store."""\ntype Pet {\n  id: Float!\n  name: String!\n  status: PetStatus\n  tags: [String!]\n  weight: Float\n  vaccinated: Boolean\n  owner: Owner\n}',
    );
    expect(printed).toContain('input PetInput {\n  name: String!\n  status: PetStatus\n  tags: [String!]\n  weight: Float\n  vaccinated: Boolean\n  secret: String\n  owner: OwnerInput\n}');
    expect(printed).toContain('enum PetStatus {\n  available\n  pending\n  sold\n}');
    expect(printed).toContain('type OwnerAddress {\n  city: String\n}');
    expect(printed).toContain('type GetPetsByPetIdStatsResponse {\n  visits: Int!\n  lastVisit: String\n}');
    expect(printed).not.toContain('scalar JSON');
  });

  it('notes int64 mapped to Float', async () => {
    const { notes } = await convert('petstore.yaml');
    expect(notes).toEqual([{ pointer: '#/components/schemas/Pet/properties/id', message: 'int64 is mapped to Float: integers beyond 2^53 lose precision' }]);
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

  it('maps enums with valid names and falls back to the scalar with a note otherwise', async () => {
    const { printed, notes } = await convert('enums.yaml');
    expect(printed).toContain('enum ItemColor {\n  red\n  green\n  blue\n}');
    expect(printed).toContain('enum ItemMaybe {\n  yes\n  no\n}');
    expect(printed).toContain('enum ListItemsSort {\n  asc\n  desc\n}');
    expect(printed).toContain('type Item {\n  color: ItemColor\n  stock: String\n  size: Int\n  flag: String\n  maybe: ItemMaybe\n}');
    expect(notes.map((note) => note.pointer)).toEqual([
      '#/components/schemas/Item/properties/stock/enum',
      '#/components/schemas/Item/properties/size/enum',
      '#/components/schemas/Item/properties/flag/enum',
    ]);
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

  it('falls back to JSON with a note for oneOf, anyOf, maps, free-form objects and unknown types', async () => {
    const { printed, notes } = await convert('fallbacks.yaml');
    expect(printed).toContain('scalar JSON');
    expect(printed).toContain('type Query {\n  getProducts: JSON\n  getSettings: GetSettingsResponse\n  health: String\n}');
    expect(printed).toContain('type GetSettingsResponse {\n  labels: JSON\n  extra: JSON\n  anything: JSON\n  either: JSON\n  maybeBook: Book\n  odd: JSON\n}');
    const settings = '#/paths/~1settings/get/responses/200/content/application~1json/schema/properties';
    expect(notes.map((note) => note.pointer)).toEqual([
      '#/paths/~1products/get/responses/200/content/application~1json/schema/oneOf',
      `${settings}/labels`,
      `${settings}/extra`,
      `${settings}/anything`,
      `${settings}/either/anyOf`,
      `${settings}/odd/type`,
      '#/paths/~1upload/post/requestBody',
    ]);
    expect(notes[6]?.message).toBe('request body media types (multipart/form-data) are not supported: the operation is left out');
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

  it('a Swagger 2.0 or non-OpenAPI document', async () => {
    expect(await problemsOf('broken/swagger2.yaml')).toEqual([
      { file: 'broken/swagger2.yaml', at: '#', message: 'Swagger 2.0 documents are not supported: convert it to OpenAPI 3 first' },
    ]);
    expect(await problemsOf('broken/not-openapi.yaml')).toEqual([
      { file: 'broken/not-openapi.yaml', at: '#', message: 'not an OpenAPI 3 document: there is no `openapi` field' },
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
