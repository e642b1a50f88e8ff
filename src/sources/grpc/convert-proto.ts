import protobuf from 'protobufjs';
import type { Method, NamespaceBase, Root, Service, Type } from 'protobufjs';
import { SpecInvalidError, type Problem } from '../../errors.js';
import type { ConversionNote, ConvertedSource, OperationSpec } from '../types.js';
import { collectReachableTypes } from './collect-types.js';
import { loadProto } from './load-proto.js';
import { printTypeDefs } from './print-type-defs.js';
import { loadReflectedServices, servicesFromSnapshot, type ReflectionOptions, type ReflectionSnapshot } from './reflection-client.js';
import { planRootFields, type CallType } from './root-fields.js';
import { assignTypeNames } from './type-names.js';

export interface GrpcSourceOptions {
  /** Source name, as in the config. */
  name: string;
  /** Absolute path of the .proto file; the services declared in it are exposed. */
  protoFile: string;
  /** Absolute directories searched for imports, before the importing file's directory. Default: none. */
  includeDirs?: readonly string[];
  /**
   * New names, keyed by a root field's default name (`getOrder`), `Service/Method` (`OrderService/GetOrder`,
   * or package-qualified), or a type's default GraphQL name (`Order`) or proto name (`orders.v1.Order`).
   * Input types follow their object type (`${name}Input`). Default: none.
   */
  rename?: Readonly<Record<string, string>>;
  /**
   * Root type per method, keyed like `rename`, overriding the convention (Get/List/Search/Find/Lookup/Count and
   * BatchGet..., or `idempotency_level = NO_SIDE_EFFECTS` → Query; client streaming and everything else →
   * Mutation). Server-streaming methods are always Subscription fields. Default: none.
   */
  rootTypes?: Readonly<Record<string, 'Query' | 'Mutation'>>;
}

export type { CallType } from './root-fields.js';

/** A method exposed as a root field, with what the transport needs to call it. */
export interface GrpcOperation extends OperationSpec {
  /** Server-streaming methods are Subscription fields; unary and client-streaming ones Query or Mutation. */
  readonly callType: CallType;
  /** Fully qualified service name: `orders.v1.OrderService`. */
  readonly service: string;
  /** Method name as declared: `GetOrder`. */
  readonly method: string;
  /** HTTP/2 path of the call: `/orders.v1.OrderService/GetOrder`. */
  readonly path: string;
  /** Reflected messages, used to encode arguments and decode and reshape replies. */
  readonly requestType: Type;
  readonly responseType: Type;
}

/**
 * Turns a .proto file into GraphQL SDL plus one operation per exposed method. Pure: reads the files, no network.
 * Throws `SpecInvalidError` listing every problem (unreadable file, syntax error, missing import, unknown
 * type, clashing or invalid names).
 */
export async function convertProto(options: GrpcSourceOptions): Promise<ConvertedSource<GrpcOperation>> {
  const root = loadProto(options.protoFile, options.includeDirs ?? []);
  return convertServices(servicesDeclaredIn(root, root.files[0] ?? options.protoFile), options, options.protoFile);
}

/**
 * Like `convertProto`, with the services a running server lists through its reflection service instead of a
 * .proto file. The one load step of a gRPC source that does network I/O.
 */
export async function convertReflectedServices(options: GrpcConversionOptions & ReflectionOptions): Promise<ConvertedSource<GrpcOperation> & { snapshot: string }> {
  const { services, snapshot } = await loadReflectedServices(options);
  return { ...convertServices(services, options, `reflection at ${options.endpoint}`), snapshot: JSON.stringify(snapshot) };
}

/** Like `convertReflectedServices`, from the snapshot an earlier reflection returned (the server may be down now). */
export function convertReflectionSnapshot(options: GrpcConversionOptions, snapshot: string, endpoint: string): ConvertedSource<GrpcOperation> {
  let services: Service[];
  try {
    services = servicesFromSnapshot(JSON.parse(snapshot) as ReflectionSnapshot).services;
  } catch (error) {
    throw new SpecInvalidError(`Cannot read the reflection snapshot of "${options.name}"`, [{ file: `snapshot of ${options.name}`, at: '', message: error instanceof Error ? error.message : String(error) }]);
  }
  return convertServices(services, options, `reflection snapshot of ${endpoint}`);
}

/** Options shared by every way of getting at a service's definition. */
export type GrpcConversionOptions = Pick<GrpcSourceOptions, 'name' | 'rename' | 'rootTypes'>;

/**
 * The SDL and operations of `services`, which must be resolved (their root holds every type they reach).
 * `spec` names where they came from in problems: the .proto file, or the reflection endpoint.
 */
export function convertServices(services: readonly Service[], options: GrpcConversionOptions, spec: string): ConvertedSource<GrpcOperation> {
  const notes: ConversionNote[] = [];
  const exposed: Method[] = [];
  for (const service of services) {
    for (const method of service.methodsArray) {
      if (method.requestStream && method.responseStream) {
        notes.push({ pointer: `${service.fullName.slice(1)}/${method.name}`, message: BIDI_NOTE });
      } else {
        exposed.push(method);
      }
    }
  }

  const problems: Problem[] = [];
  const usedKeys = new Set<string>();
  const rename = options.rename ?? {};
  const rootTypes = options.rootTypes ?? {};
  const plans = planRootFields(exposed, { rename, rootTypes, usedKeys, problems, protoFile: spec });
  const reachable = collectReachableTypes(exposed);
  const names = assignTypeNames({ ...reachable, rename, usedKeys, problems, protoFile: spec });
  if (problems.length > 0) throw new SpecInvalidError(`Cannot convert ${spec} to GraphQL`, problems);

  for (const plan of plans) {
    if (plan.callType !== 'unary') notes.push({ pointer: plan.operationId, message: `${STREAMING_NOTE[plan.callType]} ${plan.rootType}.${plan.fieldName}` });
  }
  notes.push(...reachable.notes);
  for (const [option, table] of [['rename', rename], ['rootTypes', rootTypes]] as const) {
    for (const key of Object.keys(table)) {
      if (!usedKeys.has(key)) notes.push({ pointer: `${option}.${key}`, message: 'matches no method, root field or type of this source' });
    }
  }

  const operations = new Map<string, GrpcOperation>();
  for (const plan of plans) {
    const { method, service } = plan;
    if (!method.resolvedRequestType || !method.resolvedResponseType) continue;
    operations.set(`${plan.rootType}.${plan.fieldName}`, {
      rootType: plan.rootType,
      fieldName: plan.fieldName,
      operationId: plan.operationId,
      // A subscription only reads; it is never cached or retried either way.
      readOnly: plan.rootType !== 'Mutation',
      callType: plan.callType,
      service: service.fullName.slice(1),
      method: method.name,
      path: `/${plan.operationId}`,
      requestType: method.resolvedRequestType,
      responseType: method.resolvedResponseType,
    });
  }
  return { name: options.name, kind: 'grpc', typeDefs: printTypeDefs(plans, names), operations, notes };
}

const BIDI_NOTE = 'bidirectional streaming: not exposed (no GraphQL operation both sends and receives a stream)';

/** Streaming methods that are exposed are noted too, so `check` says how each one was mapped. */
const STREAMING_NOTE: Readonly<Record<Exclude<CallType, 'unary'>, string>> = {
  'server-stream': 'server streaming: exposed as',
  'client-stream': 'client streaming: the messages are sent from the list argument `messages` of',
};

/** Imported files contribute types only; their services belong to other sources. */
function servicesDeclaredIn(root: Root, file: string): Service[] {
  const services: Service[] = [];
  const visit = (namespace: NamespaceBase): void => {
    for (const child of namespace.nestedArray) {
      if (child instanceof protobuf.Service) {
        if (child.filename === file) services.push(child);
      } else if (child instanceof protobuf.Namespace) {
        visit(child);
      }
    }
  };
  visit(root);
  return services;
}
