import type { Method, Service } from 'protobufjs';
import type { Problem } from '../../errors.js';
import { isGraphqlName } from './type-names.js';

/**
 * How a method is called, as far as GraphQL can expose it:
 * - `unary`: one request (the field's arguments), one reply;
 * - `server-stream`: one request, a stream of replies: a Subscription field;
 * - `client-stream`: a list of requests (the `messages` argument) sent in order, one reply.
 * Bidirectional streams have no GraphQL counterpart and are not planned.
 */
export type CallType = 'unary' | 'server-stream' | 'client-stream';

/** One exposed method and the root field it becomes. */
export interface RootFieldPlan {
  readonly service: Service;
  readonly method: Method;
  readonly callType: CallType;
  readonly rootType: 'Query' | 'Mutation' | 'Subscription';
  readonly fieldName: string;
  /** `package.Service/Method`. */
  readonly operationId: string;
}

export interface RootFieldOptions {
  readonly rename: Readonly<Record<string, string>>;
  readonly rootTypes: Readonly<Record<string, 'Query' | 'Mutation'>>;
  /** Receives every `rename`/`rootTypes` key that matched, so unmatched keys can be reported. */
  readonly usedKeys: Set<string>;
  readonly problems: Problem[];
  readonly protoFile: string;
}

/**
 * Verbs that read. `Batch` only counts in front of one of them (`BatchGetOrders`): `BatchCreateOrders`
 * writes, and a read-only mark lets the pipeline cache and retry a call.
 */
const READ_VERB = /^(?:Batch)?(?:Get|List|Search|Find|Lookup|Count)(?![a-z])/;

/** Methods that are not bidirectional streams; the caller notes those. */
export function planRootFields(methods: readonly Method[], options: RootFieldOptions): RootFieldPlan[] {
  const defaultNames = disambiguate(methods);
  const plans = methods.map((method, index): RootFieldPlan => {
    const service = serviceOf(method);
    const defaultName = defaultNames[index] ?? lowerCamel(method.name);
    const keys = [`${service.name}/${method.name}`, `${service.fullName.slice(1)}/${method.name}`, defaultName];
    const callType: CallType = method.responseStream ? 'server-stream' : method.requestStream ? 'client-stream' : 'unary';
    return {
      service,
      method,
      callType,
      rootType: rootTypeOf(method, callType, keys, options),
      fieldName: renamedField(defaultName, keys, options),
      operationId: `${service.fullName.slice(1)}/${method.name}`,
    };
  });
  reportDuplicateFields(plans, options);
  return plans;
}

function rootTypeOf(method: Method, callType: CallType, keys: readonly string[], options: RootFieldOptions): RootFieldPlan['rootType'] {
  if (callType === 'server-stream') {
    // A stream of replies only fits a Subscription; an override would silently change what the field means.
    const key = keys.find((candidate) => candidate in options.rootTypes);
    if (key !== undefined) {
      options.usedKeys.add(key);
      options.problems.push({ file: options.protoFile, at: `rootTypes.${key}`, message: 'a server-streaming method is always a Subscription field' });
    }
    return 'Subscription';
  }
  const override = lookup(options.rootTypes, keys, options.usedKeys);
  if (override !== undefined) return override;
  // Sending a stream of messages is an upload or a batch write unless the config says otherwise.
  return callType === 'client-stream' ? 'Mutation' : conventionalRootType(method);
}

/** 1 is NO_SIDE_EFFECTS as an enum number: options read from a descriptor (reflection) are not named. */
function conventionalRootType(method: Method): 'Query' | 'Mutation' {
  const level = method.options?.['idempotency_level'];
  const declaredReadOnly = level === 'NO_SIDE_EFFECTS' || level === 1;
  return declaredReadOnly || READ_VERB.test(method.name) ? 'Query' : 'Mutation';
}

/** `getOrder`; when services share a method name, `orderServiceGetOrder`, then the package-qualified form. */
function disambiguate(methods: readonly Method[]): string[] {
  const levels = [
    (method: Method) => lowerCamel(method.name),
    (method: Method) => lowerCamel(`${serviceOf(method).name}_${method.name}`),
    (method: Method) => lowerCamel(`${serviceOf(method).fullName.slice(1).replaceAll('.', '_')}_${method.name}`),
  ];
  return methods.map((method) => {
    for (const level of levels) {
      const name = level(method);
      if (methods.filter((other) => level(other) === name).length === 1) return name;
    }
    return lowerCamel(method.name);
  });
}

function renamedField(defaultName: string, keys: readonly string[], options: RootFieldOptions): string {
  const name = lookup(options.rename, keys, options.usedKeys);
  if (name === undefined) return defaultName;
  if (isGraphqlName(name)) return name;
  options.problems.push({ file: options.protoFile, at: `rename.${keys[0] ?? defaultName}`, message: `"${name}" is not a valid GraphQL field name` });
  return defaultName;
}

function lookup<T>(table: Readonly<Record<string, T>>, keys: readonly string[], usedKeys: Set<string>): T | undefined {
  for (const key of keys) {
    const value = table[key];
    if (value !== undefined) {
      usedKeys.add(key);
      return value;
    }
  }
  return undefined;
}

function reportDuplicateFields(plans: readonly RootFieldPlan[], options: RootFieldOptions): void {
  const seen = new Map<string, string>();
  for (const plan of plans) {
    const key = `${plan.rootType}.${plan.fieldName}`;
    const other = seen.get(key);
    if (other !== undefined) {
      options.problems.push({ file: options.protoFile, at: `${other}, ${plan.operationId}`, message: `both become ${key}; use the rename option` });
    }
    seen.set(key, plan.operationId);
  }
}

function serviceOf(method: Method): Service {
  return method.parent as Service;
}

/** `GetOrder` → `getOrder`, `HTTPGet` → `httpGet`, `get_order` → `getOrder`. */
export function lowerCamel(name: string): string {
  const camel = name.replace(/_+([A-Za-z0-9])/g, (_match, char: string) => char.toUpperCase());
  return camel.replace(/^[A-Z]+(?=[A-Z][a-z]|[0-9]|$)|^[A-Z]/, (head) => head.toLowerCase());
}
