import { createRequire } from 'node:module';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { convertProto } from '../../src/sources/grpc/index.js';

// The package root is the include dir: its protos import each other as "google/api/...", "google/protobuf/...".
const protoRoot = path.dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'));

interface Expected {
  readonly query: number;
  readonly mutation: number;
  readonly subscription: number;
  /** Streaming methods left out (bidirectional). */
  readonly bidi: number;
}

/**
 * Protos nobody here wrote, picked for imports across packages, well-known types (Timestamp, Duration,
 * FieldMask, Any, Struct, Empty, wrappers), maps, oneofs and every kind of streaming. The counts pin what
 * `check` would list; they change only when the mapping does.
 */
const PROTOS: readonly (readonly [string, Expected])[] = [
  // 25 rpcs: 8 Get/List → Query, StreamingPull is bidirectional; Duration, FieldMask, Timestamp, Empty, maps.
  ['google/pubsub/v1/pubsub.proto', { query: 8, mutation: 16, subscription: 0, bidi: 1 }],
  // 5 rpcs: List/Get → Query; Any (Operation.metadata/response), Duration, Empty, google.rpc.Status.
  ['google/longrunning/operations.proto', { query: 2, mutation: 3, subscription: 0, bidi: 0 }],
  // 17 rpcs: 4 server-streaming (BatchGetDocuments, RunQuery, ...), Write/Listen bidirectional; oneofs, wrappers, maps.
  ['google/firestore/v1/firestore.proto', { query: 3, mutation: 8, subscription: 4, bidi: 2 }],
  // 15 rpcs: 6 server-streaming (ReadRows, MutateRows, ...), 3 bidirectional sessions; int64 and bytes everywhere.
  ['google/bigtable/v2/bigtable.proto', { query: 1, mutation: 5, subscription: 6, bidi: 3 }],
];

describe('google-proto-files protos', () => {
  it.each(PROTOS)('%s converts into a valid schema', async (file, expected) => {
    const source = await convertProto({ name: 'google', protoFile: path.join(protoRoot, file), includeDirs: [protoRoot] });
    const schema = buildSchema(source.typeDefs);
    const count = (type: ReturnType<typeof schema.getQueryType>) => Object.keys(type?.getFields() ?? {}).length;
    const bidi = source.notes.filter((note) => note.message.startsWith('bidirectional streaming: not exposed'));
    expect({ query: count(schema.getQueryType()), mutation: count(schema.getMutationType()), subscription: count(schema.getSubscriptionType()), bidi: bidi.length }).toEqual(expected);
    expect(source.operations.size).toBe(expected.query + expected.mutation + expected.subscription);
    for (const operation of source.operations.values()) expect(operation.readOnly).toBe(operation.rootType !== 'Mutation');
  });
});
