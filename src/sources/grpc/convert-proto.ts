import protobuf from 'protobufjs';
import type { Method, NamespaceBase, Root, Service, Type } from 'protobufjs';
import { SpecInvalidError, type Problem } from '../../errors.js';
import type { ConversionNote, ConvertedSource, OperationSpec } from '../types.js';
import { collectReachableTypes } from './collect-types.js';
import { loadProto } from './load-proto.js';
import { printTypeDefs } from './print-type-defs.js';
import { planRootFields } from './root-fields.js';
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
   * BatchGet..., or `idempotency_level = NO_SIDE_EFFECTS` → Query; everything else → Mutation). Default: none.
   */
  rootTypes?: Readonly<Record<string, 'Query' | 'Mutation'>>;
}

/** A unary method exposed as a root field, with what the transport needs to call it. */
export interface GrpcOperation extends OperationSpec {
  readonly rootType: 'Query' | 'Mutation';
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

const STREAMING_KIND = { server: 'server streaming', client: 'client streaming', bidi: 'bidirectional streaming' } as const;

/**
 * Turns a .proto file into GraphQL SDL plus one operation per unary method. Pure: reads the files, no network.
 * Throws `SpecInvalidError` listing every problem (unreadable file, syntax error, missing import, unknown
 * type, clashing or invalid names).
 */
export async function convertProto(options: GrpcSourceOptions): Promise<ConvertedSource<GrpcOperation>> {
  const root = loadProto(options.protoFile, options.includeDirs ?? []);
  const notes: ConversionNote[] = [];
  const unary: Method[] = [];
  for (const service of servicesDeclaredIn(root, root.files[0] ?? options.protoFile)) {
    for (const method of service.methodsArray) {
      const streaming = streamingKind(method);
      if (streaming === undefined) unary.push(method);
      else notes.push({ pointer: `${service.fullName.slice(1)}/${method.name}`, message: `${STREAMING_KIND[streaming]}: not exposed yet` });
    }
  }

  const problems: Problem[] = [];
  const usedKeys = new Set<string>();
  const rename = options.rename ?? {};
  const rootTypes = options.rootTypes ?? {};
  const plans = planRootFields(unary, { rename, rootTypes, usedKeys, problems, protoFile: options.protoFile });
  const reachable = collectReachableTypes(unary);
  const names = assignTypeNames({ ...reachable, rename, usedKeys, problems, protoFile: options.protoFile });
  if (problems.length > 0) throw new SpecInvalidError(`Cannot convert ${options.protoFile} to GraphQL`, problems);

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
      readOnly: plan.rootType === 'Query',
      service: service.fullName.slice(1),
      method: method.name,
      path: `/${plan.operationId}`,
      requestType: method.resolvedRequestType,
      responseType: method.resolvedResponseType,
    });
  }
  return { name: options.name, kind: 'grpc', typeDefs: printTypeDefs(plans, names), operations, notes };
}

function streamingKind(method: Method): keyof typeof STREAMING_KIND | undefined {
  if (method.requestStream && method.responseStream) return 'bidi';
  if (method.responseStream) return 'server';
  if (method.requestStream) return 'client';
  return undefined;
}

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
