import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema, printSchema, printType, type GraphQLNamedType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SpecInvalidError } from '../../src/errors.js';
import { convertProto, type GrpcSourceOptions } from '../../src/sources/grpc/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/grpc/', import.meta.url));
const ordersOptions: GrpcSourceOptions = {
  name: 'orders',
  protoFile: path.join(fixtures, 'orders.proto'),
  includeDirs: [path.join(fixtures, 'include')],
};

async function convertToSchema(options: GrpcSourceOptions) {
  const source = await convertProto(options);
  const schema = buildSchema(source.typeDefs);
  const typeSdl = (name: string): string => printType(schema.getType(name) as GraphQLNamedType);
  return { source, schema, typeSdl };
}

async function specError(protoFile: string): Promise<SpecInvalidError> {
  const error: unknown = await convertProto({ name: 'broken', protoFile }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SpecInvalidError);
  return error as SpecInvalidError;
}

describe('convertProto', () => {
  it('builds SDL that graphql-js accepts, with only this source root fields', async () => {
    const { source, schema } = await convertToSchema(ordersOptions);
    expect(source.kind).toBe('grpc');
    expect(source.name).toBe('orders');
    expect(Object.keys(schema.getQueryType()?.getFields() ?? {})).toEqual(['orderServiceGetOrder', 'listOrders', 'auditServiceGetOrder']);
    expect(Object.keys(schema.getMutationType()?.getFields() ?? {})).toEqual(['createOrder', 'cancelOrder', 'uploadLines', 'ping']);
    expect(Object.keys(schema.getSubscriptionType()?.getFields() ?? {})).toEqual(['watchOrders']);
    expect(source.typeDefs).toContain('scalar JSON');
    expect(printSchema(schema)).toBe(source.typeDefs);
  });

  it('maps scalars, enums, repeated, maps, oneofs and well-known types', async () => {
    const { typeSdl } = await convertToSchema(ordersOptions);
    expect(typeSdl('OrdersV1Order')).toBe(`"""A customer's order."""
type OrdersV1Order {
  id: String

  """The customer who placed it."""
  customerId: String
  status: OrderStatus
  lines: [OrderLine!]!
  totalCents: String
  createdAt: DateTime
  note: String
  labels: JSON
  cardToken: String
  voucherCode: String
  attributes: JSON
  signature: String
  weightKg: Float
  gift: Boolean
  tags: [String!]!
  version: String
  priorityRank: Int
  invoice: BillingV1Order
  updatedAt: [DateTime!]!
  coupon: String
  priority: Priority
  archived: Boolean
}`);
    expect(typeSdl('OrderStatus')).toBe(`"""Where an order is in its life."""
enum OrderStatus {
  STATUS_UNSPECIFIED
  PENDING
  SHIPPED
}`);
    expect(typeSdl('Priority')).toContain('"""Ships the same day."""\n  PRIORITY_EXPRESS');
    expect(typeSdl('OrderLine')).toContain('price: Money');
    expect(typeSdl('Money')).toContain('units: String');
  });

  it('flattens request fields into nullable arguments, with message fields as input types', async () => {
    const { schema, typeSdl } = await convertToSchema(ordersOptions);
    const fields = schema.getMutationType()?.getFields();
    const args = Object.fromEntries((fields?.['createOrder']?.args ?? []).map((arg) => [arg.name, String(arg.type)]));
    expect(args).toEqual({
      customerId: 'String',
      lines: '[OrderLineInput!]',
      deliverAfter: 'DateTime',
      note: 'String',
      labels: 'JSON',
      priority: 'Priority',
      attributes: 'JSON',
      cardToken: 'String',
      voucherCode: 'String',
      totalCents: 'String',
      signature: 'String',
    });
    expect(typeSdl('OrderLineInput')).toContain('price: MoneyInput');
    expect(String(fields?.['cancelOrder']?.type)).toBe('Boolean');
    expect(fields?.['ping']?.args).toEqual([]);
    const listOrders = schema.getQueryType()?.getFields()['listOrders'];
    expect(listOrders?.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual([
      'customerId: String',
      'statuses: [OrderStatus!]',
      'pageSize: Int',
      'since: DateTime',
    ]);
    expect(listOrders?.description).toBeUndefined();
    expect(schema.getQueryType()?.getFields()['orderServiceGetOrder']?.description).toBe('Fetches one order by id.');
  });

  it('describes operations with package-qualified ids and read-only queries', async () => {
    const { source } = await convertToSchema(ordersOptions);
    const getOrder = source.operations.get('Query.orderServiceGetOrder');
    expect(getOrder).toMatchObject({
      rootType: 'Query',
      fieldName: 'orderServiceGetOrder',
      operationId: 'orders.v1.OrderService/GetOrder',
      readOnly: true,
      service: 'orders.v1.OrderService',
      method: 'GetOrder',
      path: '/orders.v1.OrderService/GetOrder',
    });
    expect(source.operations.get('Mutation.createOrder')).toMatchObject({ readOnly: false, operationId: 'orders.v1.OrderService/CreateOrder' });
    expect(source.operations.get('Subscription.watchOrders')).toMatchObject({ readOnly: true, callType: 'server-stream', operationId: 'orders.v1.OrderService/WatchOrders' });
    expect(source.operations.get('Mutation.uploadLines')).toMatchObject({ readOnly: false, callType: 'client-stream', operationId: 'orders.v1.OrderService/UploadLines' });
    expect(source.operations.size).toBe(8);
  });

  it('maps server streaming to a Subscription field and client streaming to a list of input messages', async () => {
    const { schema } = await convertToSchema(ordersOptions);
    const watchOrders = schema.getSubscriptionType()?.getFields()['watchOrders'];
    expect(String(watchOrders?.type)).toBe('OrdersV1Order');
    expect(watchOrders?.args.map((arg) => arg.name)).toEqual(['customerId', 'statuses', 'pageSize', 'since']);
    const uploadLines = schema.getMutationType()?.getFields()['uploadLines'];
    expect(uploadLines?.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual(['messages: [OrderLineInput!]!']);
    expect(String(uploadLines?.type)).toBe('OrdersV1Order');
  });

  it('refuses a rootTypes override for a server-streaming method', async () => {
    const error: unknown = await convertProto({ ...ordersOptions, rootTypes: { watchOrders: 'Query' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((error as SpecInvalidError).problems).toEqual([{ file: ordersOptions.protoFile, at: 'rootTypes.watchOrders', message: 'a server-streaming method is always a Subscription field' }]);
  });

  it('notes streaming methods, maps and oneofs but not proto3 optional', async () => {
    const { source } = await convertToSchema(ordersOptions);
    expect(source.notes).toEqual(
      expect.arrayContaining([
        { pointer: 'orders.v1.OrderService/WatchOrders', message: 'server streaming: exposed as Subscription.watchOrders' },
        { pointer: 'orders.v1.OrderService/UploadLines', message: 'client streaming: the messages are sent from the list argument `messages` of Mutation.uploadLines' },
        { pointer: 'orders.v1.OrderService/Chat', message: expect.stringMatching(/^bidirectional streaming: not exposed/) },
        { pointer: 'orders.v1.Order.labels', message: expect.stringContaining('exposed as JSON') },
        { pointer: 'orders.v1.Order.payment', message: expect.stringContaining('oneof: cardToken, voucherCode') },
      ]),
    );
    expect(source.notes.some((note) => note.pointer.includes('_coupon'))).toBe(false);
  });

  it('applies rename and rootTypes, and notes keys that match nothing', async () => {
    const { source, schema } = await convertToSchema({
      ...ordersOptions,
      rename: { 'OrderService/GetOrder': 'order', auditServiceGetOrder: 'auditRecord', OrdersV1Order: 'Order', 'billing.v1.Order': 'Invoice', nope: 'x' },
      rootTypes: { 'orders.v1.AuditService/Ping': 'Query' },
    });
    expect(Object.keys(schema.getQueryType()?.getFields() ?? {})).toEqual(['order', 'listOrders', 'auditRecord', 'ping']);
    expect(schema.getType('Order')).toBeDefined();
    expect(schema.getType('Invoice')).toBeDefined();
    expect(source.operations.get('Query.ping')).toMatchObject({ readOnly: true, operationId: 'orders.v1.AuditService/Ping' });
    expect(source.notes).toContainEqual({ pointer: 'rename.nope', message: expect.stringContaining('matches no') });
  });

  it('follows the read verbs, idempotency_level and reserved type names', async () => {
    const { source, schema } = await convertToSchema({ name: 'naming', protoFile: path.join(fixtures, 'naming.proto') });
    const rootOf = (fieldName: string) => [...source.operations.values()].find((operation) => operation.fieldName === fieldName)?.rootType;
    expect(['getItem', 'batchGetItems', 'searchItems', 'findItem', 'lookupItem', 'countItems', 'describe'].map(rootOf)).toEqual(Array(7).fill('Query'));
    expect(['batchDeleteItems', 'getaway', 'refresh', 'importItems'].map(rootOf)).toEqual(Array(4).fill('Mutation'));
    const item = printType(schema.getType('Item') as GraphQLNamedType);
    expect(item).toContain('parent: Item');
    expect(item).toContain('oldName: String @deprecated');
    expect(item).toContain('query: NamingV1Query');
    expect(source.notes).toContainEqual({ pointer: 'naming.v1.Item.stock', message: expect.stringContaining('above 2147483647') });
  });

  it('reports clashing and invalid renames as SpecInvalidError', async () => {
    const error: unknown = await convertProto({ ...ordersOptions, rename: { listOrders: 'createOrder', Money: 'Order Money' }, rootTypes: { listOrders: 'Mutation' } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SpecInvalidError);
    expect((error as SpecInvalidError).problems).toEqual([
      { file: ordersOptions.protoFile, at: 'orders.v1.OrderService/ListOrders, orders.v1.OrderService/CreateOrder', message: expect.stringContaining('Mutation.createOrder') },
      { file: ordersOptions.protoFile, at: 'rename.Money', message: expect.stringContaining('not a valid GraphQL type name') },
    ]);
  });
});

describe('convertProto on broken input', () => {
  it('names a missing file', async () => {
    const file = path.join(fixtures, 'missing.proto');
    const error = await specError(file);
    expect(error.code).toBe('SPEC_INVALID');
    expect(error.problems).toEqual([{ file, at: '', message: 'file not found' }]);
  });

  it('names the line of a syntax error', async () => {
    const file = path.join(fixtures, 'broken/syntax-error.proto');
    expect((await specError(file)).problems).toEqual([{ file, at: 'line 6', message: "illegal token 'string', ';' expected" }]);
  });

  it('names an unresolved import and the file importing it', async () => {
    const file = path.join(fixtures, 'broken/missing-import.proto');
    expect((await specError(file)).problems).toEqual([{ file, at: 'import "does/not/exist.proto"', message: expect.stringContaining('imported file not found') }]);
  });

  it('fails without the include dir that imports need', async () => {
    const error = await specError(ordersOptions.protoFile);
    expect(error.problems[0]).toMatchObject({ file: ordersOptions.protoFile, at: 'import "common/v1/money.proto"' });
  });

  it('names the field whose type does not exist', async () => {
    const file = path.join(fixtures, 'broken/unknown-type.proto');
    expect((await specError(file)).problems).toEqual([{ file, at: 'broken.Thing.widget', message: expect.stringContaining("no such Type or Enum 'Widget'") }]);
  });
});
