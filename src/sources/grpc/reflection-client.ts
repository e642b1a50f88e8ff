import { Client, Metadata, status, type ClientDuplexStream, type ChannelCredentials } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { INamespace, Root, Service } from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { SpecInvalidError } from '../../errors.js';
import { isServiceError } from './grpc-status-error.js';

export interface ReflectionOptions {
  /** `host:port` of a server that runs the reflection service. */
  readonly endpoint: string;
  readonly credentials: ChannelCredentials;
  /** Metadata sent with the reflection call (a server may want an API key for it too). Default: none. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Milliseconds the whole exchange may take. Default 10000. */
  readonly timeoutMs?: number;
}

export interface ReflectedServices {
  /** Resolved root holding every type the services reach, named as proto-loader names them (camelCase fields). */
  readonly root: Root;
  /** The services the server lists, except the reflection service itself. */
  readonly services: readonly Service[];
  /** The reflection protocol version that answered. */
  readonly version: ReflectionVersion;
  /** What the server sent, to load the same services later without it (`servicesFromSnapshot`). */
  readonly snapshot: ReflectionSnapshot;
}

/** The services' names and the FileDescriptorProtos (base64) that define them. */
export interface ReflectionSnapshot {
  readonly services: readonly string[];
  readonly files: readonly string[];
}

/** The services of a snapshot taken by an earlier reflection, as `loadReflectedServices` returned them. */
export function servicesFromSnapshot(snapshot: ReflectionSnapshot): { root: Root; services: Service[] } {
  const root = rootFromDescriptors(snapshot.files.map((file) => Buffer.from(file, 'base64')));
  return { root, services: snapshot.services.map((name) => root.lookupService(name)) };
}

export type ReflectionVersion = 'v1' | 'v1alpha';

/** v1 first; servers that predate it (grpc-go before 1.45, many others) only answer v1alpha. */
const VERSIONS: readonly ReflectionVersion[] = ['v1', 'v1alpha'];

/** The part of reflection.proto this client uses; v1 and v1alpha differ only in the package name. */
function reflectionProto(version: ReflectionVersion): string {
  return `syntax = "proto3";
package grpc.reflection.${version};
message ServerReflectionRequest {
  string host = 1;
  oneof message_request { string file_by_filename = 3; string file_containing_symbol = 4; string list_services = 7; }
}
message ServerReflectionResponse {
  string valid_host = 1;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }`;
}

interface ReflectionRequest {
  fileByFilename?: string;
  fileContainingSymbol?: string;
  listServices?: string;
}

interface ReflectionResponse {
  fileDescriptorResponse?: { fileDescriptorProto?: Uint8Array[] };
  listServicesResponse?: { service?: { name?: string }[] };
  errorResponse?: { errorCode?: number; errorMessage?: string };
}

/** The fields of a decoded FileDescriptorProto this client follows. */
interface FileDescriptor {
  name?: string;
  dependency?: string[];
}

/**
 * Loads the service definitions from a server's reflection service (grpc.reflection.v1, else v1alpha): lists
 * the services, fetches the files declaring them and, transitively, the files they import. Load-time I/O, like
 * introspecting a GraphQL source. Throws `SpecInvalidError` naming the endpoint when reflection fails.
 */
export async function loadReflectedServices(options: ReflectionOptions): Promise<ReflectedServices> {
  const spec = `reflection at ${options.endpoint}`;
  const client = new Client(options.endpoint, options.credentials);
  try {
    for (const version of VERSIONS) {
      try {
        return await reflectWith(client, version, options);
      } catch (error) {
        const unimplemented = isServiceError(error) && error.code === status.UNIMPLEMENTED;
        if (unimplemented && version !== VERSIONS.at(-1)) continue;
        const reason = isServiceError(error) ? `${status[error.code] ?? error.code}: ${error.details}` : error instanceof Error ? error.message : String(error);
        throw new SpecInvalidError(`Cannot load the gRPC services of ${options.endpoint} by reflection`, [{ file: spec, at: `grpc.reflection.${version}`, message: reason }]);
      }
    }
    throw new Error('unreachable: the last reflection version rethrows');
  } finally {
    client.close();
  }
}

async function reflectWith(client: Client, version: ReflectionVersion, options: ReflectionOptions): Promise<ReflectedServices> {
  const proto = protobuf.parse(reflectionProto(version), { keepCase: false }).root;
  const requestType = proto.lookupType(`grpc.reflection.${version}.ServerReflectionRequest`);
  const responseType = proto.lookupType(`grpc.reflection.${version}.ServerReflectionResponse`);
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(options.metadata ?? {})) metadata.set(name.toLowerCase(), value);
  const stream = client.makeBidiStreamRequest(
    `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    (request: ReflectionRequest) => Buffer.from(requestType.encode(requestType.fromObject(request)).finish()),
    (bytes: Buffer) => responseType.toObject(responseType.decode(bytes)) as ReflectionResponse,
    metadata,
    { deadline: Date.now() + (options.timeoutMs ?? 10_000) },
  );
  const ask = createAsker(stream);
  try {
    const listed = await ask({ listServices: '*' });
    const serviceNames = (listed.listServicesResponse?.service ?? []).map((s) => s.name ?? '').filter((name) => name !== '' && !name.startsWith('grpc.reflection.'));

    const files = new Map<string, Uint8Array>();
    const addFiles = (response: ReflectionResponse, asked: string): FileDescriptor[] => {
      if (response.errorResponse) throw new Error(`${asked}: ${status[response.errorResponse.errorCode ?? 2] ?? 'UNKNOWN'}: ${response.errorResponse.errorMessage ?? ''}`);
      const added: FileDescriptor[] = [];
      for (const bytes of response.fileDescriptorResponse?.fileDescriptorProto ?? []) {
        const file = descriptor.FileDescriptorProto.decode(bytes) as FileDescriptor;
        if (file.name !== undefined && !files.has(file.name)) {
          files.set(file.name, bytes);
          added.push(file);
        }
      }
      return added;
    };
    // A server may send a file's imports along with it or not; what is missing is asked for by name.
    const pending: FileDescriptor[] = [];
    for (const name of serviceNames) pending.push(...addFiles(await ask({ fileContainingSymbol: name }), `symbol ${name}`));
    while (pending.length > 0) {
      for (const dependency of pending.pop()?.dependency ?? []) {
        if (!files.has(dependency)) pending.push(...addFiles(await ask({ fileByFilename: dependency }), `file ${dependency}`));
      }
    }
    const root = rootFromDescriptors([...files.values()]);
    const services = serviceNames.map((name) => root.lookupService(name));
    const snapshot = { services: serviceNames, files: [...files.values()].map((bytes) => Buffer.from(bytes).toString('base64')) };
    return { root, services, version, snapshot };
  } finally {
    stream.end();
  }
}

/** One request at a time on the bidi stream; the server answers each in order. */
function createAsker(stream: ClientDuplexStream<ReflectionRequest, ReflectionResponse>): (request: ReflectionRequest) => Promise<ReflectionResponse> {
  const waiting: { resolve: (response: ReflectionResponse) => void; reject: (error: unknown) => void }[] = [];
  let failure: unknown;
  stream.on('data', (response: ReflectionResponse) => waiting.shift()?.resolve(response));
  stream.on('error', (error: unknown) => {
    failure = error;
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  });
  stream.on('end', () => {
    failure ??= new Error('the reflection stream ended before answering');
    for (const waiter of waiting.splice(0)) waiter.reject(failure);
  });
  return function ask(request) {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      stream.write(request);
    });
  };
}

type DescriptorRoot = (set: unknown) => Root;

/** The parts of a decoded DescriptorProto that say which nested messages are map entries. */
interface MessageDescriptor {
  name?: string;
  field?: { name?: string; proto3Optional?: boolean }[];
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean } | null;
}

/** Full names of map entry messages, and of proto3 `optional` fields (`pkg.Message.field`). */
interface DescriptorFacts {
  readonly mapEntries: Set<string>;
  readonly optionalFields: Set<string>;
}

/**
 * Three things protobufjs' descriptor import does not do, done through the JSON form: map fields (it keeps the
 * `XEntry` messages as repeated message fields), proto3 `optional` marks (it reads a snake_case key of a
 * camelCase object), and the field names a .proto loaded from disk gets (proto-loader's `keepCase: false`
 * camelCases them; descriptors keep snake_case).
 */
function rootFromDescriptors(files: readonly Uint8Array[]): Root {
  const decoded = files.map((bytes) => descriptor.FileDescriptorProto.decode(bytes));
  const facts: DescriptorFacts = { mapEntries: new Set(), optionalFields: new Set() };
  for (const file of decoded as { package?: string; messageType?: MessageDescriptor[] }[]) collectFacts(file.messageType ?? [], file.package ?? '', facts);
  const set = descriptor.FileDescriptorSet.create({ file: decoded });
  const fromDescriptor = (protobuf.Root as unknown as { fromDescriptor: DescriptorRoot }).fromDescriptor;
  const root = protobuf.Root.fromJSON(normalizeNamespace(fromDescriptor(set).toJSON(), '', facts));
  root.resolveAll();
  return root;
}

function collectFacts(messages: readonly MessageDescriptor[], scope: string, facts: DescriptorFacts): void {
  for (const message of messages) {
    const fullName = scope === '' ? (message.name ?? '') : `${scope}.${message.name ?? ''}`;
    if (message.options?.mapEntry === true) facts.mapEntries.add(fullName);
    for (const field of message.field ?? []) if (field.proto3Optional === true) facts.optionalFields.add(`${fullName}.${field.name ?? ''}`);
    collectFacts(message.nestedType ?? [], fullName, facts);
  }
}

interface FieldJson {
  type: string;
  id: number;
  rule?: string;
  keyType?: string;
  options?: Record<string, unknown>;
}

type NamespaceJson = INamespace & { fields?: Record<string, FieldJson>; oneofs?: Record<string, { oneof: string[] }> };

function normalizeNamespace(namespace: NamespaceJson, scope: string, facts: DescriptorFacts): NamespaceJson {
  const { mapEntries } = facts;
  const copy: NamespaceJson = { ...namespace };
  const nested = { ...(namespace.nested ?? {}) } as Record<string, NamespaceJson>;
  if (namespace.fields !== undefined) {
    const fields: Record<string, FieldJson> = {};
    for (const [name, field] of Object.entries(namespace.fields)) {
      // A map entry is always nested in the message whose field uses it, whatever form its type reference takes.
      const entryName = field.type.slice(field.type.lastIndexOf('.') + 1);
      const entry = nested[entryName];
      if (mapEntries.has(`${scope}.${entryName}`) && entry?.fields !== undefined) {
        const { rule: _repeated, ...rest } = field;
        fields[protobuf.util.camelCase(name)] = { ...rest, keyType: entry.fields['key']?.type ?? 'string', type: entry.fields['value']?.type ?? 'string' };
      } else if (facts.optionalFields.has(`${scope}.${name}`) || isSyntheticOneofMember(namespace, name)) {
        fields[protobuf.util.camelCase(name)] = { ...field, options: { ...field.options, proto3_optional: true } };
      } else {
        fields[protobuf.util.camelCase(name)] = field;
      }
    }
    copy.fields = fields;
  }
  if (namespace.oneofs !== undefined) {
    copy.oneofs = Object.fromEntries(Object.entries(namespace.oneofs).map(([name, oneof]) => [name, { ...oneof, oneof: oneof.oneof.map((field) => protobuf.util.camelCase(field)) }]));
  }
  if (namespace.nested !== undefined) {
    const normalized: Record<string, NamespaceJson> = {};
    for (const [name, child] of Object.entries(nested)) {
      const childScope = scope === '' ? name : `${scope}.${name}`;
      if (!mapEntries.has(childScope)) normalized[name] = normalizeNamespace(child, childScope, facts);
    }
    copy.nested = normalized as NonNullable<INamespace['nested']>;
  }
  return copy;
}

/**
 * protoc names a proto3 `optional` field's synthetic oneof `_field`; servers whose descriptors come from
 * protobufjs (grpc-js with proto-loader) lose the `proto3_optional` flag itself, so the name is what is left.
 */
function isSyntheticOneofMember(type: NamespaceJson, field: string): boolean {
  const oneof = type.oneofs?.[`_${field}`];
  return oneof !== undefined && oneof.oneof.length === 1 && oneof.oneof[0] === field;
}
