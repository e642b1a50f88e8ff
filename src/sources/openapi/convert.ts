import { SpecInvalidError, type Problem } from '../../errors.js';
import type { ConvertedSource } from '../types.js';
import { assembleTypeDefs, type RootFieldDraft } from './assemble-type-defs.js';
import { childNode, docPointer, isRecord, loadSpec, nodeLabel, type FetchedDocument, type SpecNode } from './load-document.js';
import { camelCase, claimUniqueName, defaultOperationName, graphqlFieldName, pascalCase, prefixedFieldName } from './naming.js';
import type { BodyEncoding, OpenApiOperation, OpenApiParameter, OpenApiRequestBody, OpenApiResponse, ParameterStyle, PathPiece } from './operation.js';
import { describe, SchemaMapper, unionResolvers, type MappedType } from './schema-to-sdl.js';
import { Int64Finder } from './int64.js';
import { carriesInt64, pruneShapes, type Shape } from './shape.js';

export interface OpenApiSourceOptions {
  /** Source name from the config. */
  readonly name: string;
  /**
   * The OpenAPI 3.0/3.1 or Swagger 2.0 document, YAML or JSON: an absolute path, or an http(s) URL fetched once
   * at load time (relative `$ref`s in it are fetched beside it).
   */
  readonly specFile: string;
  /**
   * Default field name, operationId or default type name → new name. Default: none. Type renames apply to one
   * type each: renaming `Pet` leaves its input type `PetInput` as it is.
   */
  readonly rename?: Readonly<Record<string, string>>;
  /**
   * Put before every type name (`Inv` → `InvProduct`) and root field name (`invProducts`) of this source, after
   * `rename`; resolves collisions between sources. The shared `JSON` and `DateTime` scalars keep their names.
   * Default: none.
   */
  readonly prefix?: string;
  /**
   * Operations and types to leave out: an operationId, a default or final field name, or a type name (final,
   * or without the prefix). Leaving out a type leaves out every operation that reaches it. Default: none.
   */
  readonly exclude?: readonly string[];
  /** Milliseconds a spec given as a URL may take to download. Default 10000. */
  readonly fetchTimeoutMs?: number;
  /**
   * The documents an earlier load fetched (`ConvertedOpenApi.fetchedDocuments`, from a schema snapshot), used
   * instead of fetching the spec URL and its `$ref`s. Default: fetch them.
   */
  readonly offlineDocuments?: ReadonlyMap<string, FetchedDocument>;
}

/** A converted OpenAPI source, with the documents fetched over http(s) to build it. */
export interface ConvertedOpenApi extends ConvertedSource<OpenApiOperation> {
  /** By URL; set when the spec is a URL fetched for this load (not when it came from `offlineDocuments`). */
  readonly fetchedDocuments?: ReadonlyMap<string, FetchedDocument>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** Request body media types in order of preference, with how each is sent. */
const BODY_MEDIA: readonly (readonly [BodyEncoding, (mediaType: string) => boolean])[] = [
  ['json', (mediaType) => JSON_MEDIA_TYPE.test(mediaType)],
  ['form', (mediaType) => /^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(mediaType)],
  ['multipart', (mediaType) => /^multipart\/form-data\s*(?:;|$)/i.test(mediaType)],
  ['text', (mediaType) => /^text\//i.test(mediaType)],
  ['binary', (mediaType) => !/^multipart\//i.test(mediaType)],
];

/** The first media type of a `content` map that matches, with its node. */
function pickMedia(content: SpecNode, accept: (mediaType: string) => boolean): { readonly mediaType: string; readonly node: SpecNode } | undefined {
  if (!isRecord(content.value)) return undefined;
  const mediaType = Object.keys(content.value).find(accept);
  return mediaType === undefined ? undefined : { mediaType, node: childNode(content, mediaType) };
}

function isBinarySchema(value: unknown): boolean {
  return isRecord(value) && (value['format'] === 'binary' || value['format'] === 'base64' || typeof value['contentMediaType'] === 'string');
}

interface ParameterDraft {
  readonly parameter: Omit<OpenApiParameter, 'shape' | 'int64'>;
  readonly shape: Shape | undefined;
}

interface BodyDraft {
  readonly argName: string;
  readonly contentType: string;
  readonly encoding: BodyEncoding;
  readonly shape: Shape | undefined;
  readonly binaryFields: readonly string[];
}

interface OperationDraft extends RootFieldDraft {
  readonly rootType: 'Query' | 'Mutation';
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly parameters: readonly ParameterDraft[];
  readonly body: BodyDraft | undefined;
  readonly response: Omit<OpenApiResponse, 'shape'> & { readonly shape: Shape | undefined };
}

type Location = OpenApiParameter['in'];

const DEFAULT_STYLE: Record<Location, ParameterStyle> = { path: 'simple', query: 'form', header: 'simple', cookie: 'form' };
const ALLOWED_STYLES: Record<Location, readonly ParameterStyle[]> = {
  path: ['simple'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
};

/** Converts one OpenAPI operation; `problems` collects what makes the spec unusable, the mapper's notes what was simplified. */
class OperationConverter {
  readonly problems: Problem[] = [];
  private readonly fieldNames: Record<'Query' | 'Mutation', Set<string>> = { Query: new Set(), Mutation: new Set() };
  private readonly int64Finder: Int64Finder;

  constructor(
    private readonly mapper: SchemaMapper,
    private readonly deref: (node: SpecNode) => SpecNode,
    private readonly rename: Readonly<Record<string, string>>,
    private readonly prefix: string,
  ) {
    this.int64Finder = new Int64Finder(deref);
  }

  problem(at: SpecNode, message: string): void {
    this.problems.push({ file: at.doc.file, at: docPointer(at), message });
  }

  convert(pathItem: SpecNode, path: string, method: (typeof METHODS)[number]): OperationDraft | undefined {
    const operation = childNode(pathItem, method);
    const spec = operation.value as Record<string, unknown>;
    const specOperationId = typeof spec['operationId'] === 'string' ? spec['operationId'] : undefined;
    const defaultName = specOperationId !== undefined ? camelCase(specOperationId) : defaultOperationName(method, path);
    const rootType = method === 'get' ? 'Query' : 'Mutation';
    const wanted = prefixedFieldName(this.prefix, this.rename[defaultName] ?? (specOperationId !== undefined ? this.rename[specOperationId] : undefined) ?? defaultName);
    const typeBase = pascalCase(defaultName);

    const argNames = new Set<string>();
    const argLines: string[] = [];
    const parameters: ParameterDraft[] = [];
    for (const parameterNode of this.mergedParameters(pathItem, operation)) {
      const draft = this.convertParameter(parameterNode, typeBase, argNames, argLines);
      if (draft) parameters.push(draft);
    }
    for (const match of path.matchAll(/\{([^}]+)\}/g)) {
      if (!parameters.some(({ parameter }) => parameter.in === 'path' && parameter.name === match[1])) {
        this.problem(operation, `path parameter {${match[1] ?? ''}} is not declared`);
      }
    }

    const body = this.convertBody(operation, typeBase, argNames, argLines);
    if (body === 'skip') return undefined;
    const response = this.convertResponse(operation, typeBase);
    if (isRecord(spec['callbacks'])) this.mapper.note(childNode(operation, 'callbacks'), 'callbacks (requests the backend makes) are not exposed');

    const fieldName = claimUniqueName(wanted, this.fieldNames[rootType]);
    if (fieldName !== wanted) this.mapper.note(operation, `field name ${rootType}.${wanted} is taken: named ${fieldName}`);
    const args = argLines.length > 0 ? `(\n${argLines.join('\n')}\n  )` : '';
    const deprecated = spec['deprecated'] === true ? ' @deprecated' : '';
    const summary = spec['summary'] ?? spec['description'];
    const description = describe(response.note === undefined ? summary : [summary, response.note].filter((text) => typeof text === 'string').join('\n\n'), '  ');
    return {
      rootType,
      fieldName,
      defaultName,
      node: operation,
      operationId: specOperationId ?? `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      sdl: `${description}  ${fieldName}${args}: ${response.type}${deprecated}`,
      parameters,
      body,
      response: { kind: response.kind, shape: response.shape, int64: response.int64 },
    };
  }

  /** Path-level parameters, overridden by operation-level ones with the same name and location. */
  private mergedParameters(pathItem: SpecNode, operation: SpecNode): SpecNode[] {
    const byKey = new Map<string, SpecNode>();
    for (const owner of [pathItem, operation]) {
      const list = childNode(owner, 'parameters');
      if (list.value === undefined) continue;
      if (!Array.isArray(list.value)) {
        this.problem(list, '`parameters` is not a list');
        continue;
      }
      list.value.forEach((_, index) => {
        const parameter = this.deref(childNode(list, index));
        const value = parameter.value;
        byKey.set(isRecord(value) ? `${String(value['in'])}:${String(value['name'])}` : `#${index}`, parameter);
      });
    }
    return [...byKey.values()];
  }

  private convertParameter(node: SpecNode, typeBase: string, argNames: Set<string>, argLines: string[]): ParameterDraft | undefined {
    const value = node.value;
    if (!isRecord(value) || typeof value['name'] !== 'string' || typeof value['in'] !== 'string') {
      this.problem(node, 'a parameter needs a string `name` and `in`');
      return undefined;
    }
    const name = value['name'];
    const location = value['in'];
    if (location !== 'path' && location !== 'query' && location !== 'header' && location !== 'cookie') {
      this.problem(childNode(node, 'in'), `unknown parameter location ${JSON.stringify(location)}`);
      return undefined;
    }
    // OpenAPI says these header parameters "SHALL be ignored": the media types and security schemes cover them.
    if (location === 'header' && /^(accept|content-type|authorization)$/i.test(name)) return undefined;
    const media = isRecord(value['content']) ? pickMedia(childNode(node, 'content'), () => true) : undefined;
    const schemaNode = media ? childNode(media.node, 'schema') : childNode(node, 'schema');
    const argName = claimUniqueName(graphqlFieldName(name), argNames);
    if (argName !== name) this.mapper.note(node, `parameter ${JSON.stringify(name)} is exposed as argument ${argName}`);
    const mapped: MappedType =
      schemaNode.value === undefined
        ? { type: 'String', kind: 'scalar', nullable: true, shape: undefined, literal: () => undefined }
        : this.mapper.map(schemaNode, 'input', `${typeBase}${pascalCase(name)}`);
    const required = location === 'path' || value['required'] === true;
    const nonNull = required && !mapped.nullable ? '!' : '';
    const schemaValue = this.deref(schemaNode).value;
    const defaultValue = isRecord(schemaValue) ? this.mapper.defaultClause(schemaNode, schemaValue, mapped) : '';
    let deprecated = '';
    if (value['deprecated'] === true) {
      if (nonNull === '') deprecated = ' @deprecated';
      else this.mapper.note(childNode(node, 'deprecated'), 'a required argument cannot be deprecated in GraphQL: the deprecation is not shown');
    }
    argLines.push(`${describe(value['description'], '    ')}    ${argName}: ${mapped.type}${nonNull}${defaultValue}${deprecated}`);

    const declaredStyle = value['style'];
    let style = DEFAULT_STYLE[location];
    if (declaredStyle !== undefined) {
      if ((ALLOWED_STYLES[location] as readonly unknown[]).includes(declaredStyle)) style = declaredStyle as ParameterStyle;
      else this.mapper.note(childNode(node, 'style'), `style ${JSON.stringify(declaredStyle)} is not supported: sent as ${style}`);
    }
    const explode = typeof value['explode'] === 'boolean' ? value['explode'] : style === 'form';
    return {
      parameter: { name: location === 'header' ? name.toLowerCase() : name, in: location, argName, style, explode, json: media !== undefined },
      shape: mapped.shape,
    };
  }

  private convertBody(operation: SpecNode, typeBase: string, argNames: Set<string>, argLines: string[]): BodyDraft | undefined | 'skip' {
    const bodyNode = this.deref(childNode(operation, 'requestBody'));
    if (!isRecord(bodyNode.value)) return undefined;
    const required = bodyNode.value['required'] === true;
    const content = childNode(bodyNode, 'content');
    let picked: { readonly encoding: BodyEncoding; readonly mediaType: string; readonly node: SpecNode } | undefined;
    for (const [encoding, accept] of BODY_MEDIA) {
      const media = pickMedia(content, accept);
      if (media) {
        picked = { encoding, ...media };
        break;
      }
    }
    if (!picked) {
      const types = isRecord(content.value) ? Object.keys(content.value).join(', ') : 'none';
      this.mapper.note(bodyNode, `request body media types (${types}) are not supported: ${required ? 'the operation is left out' : 'the body is not exposed'}`);
      return required ? 'skip' : undefined;
    }
    const schemaNode = childNode(picked.node, 'schema');
    const contentType = picked.mediaType.split(';')[0]?.trim() ?? picked.mediaType;
    const argName = claimUniqueName(argNames.has('input') ? 'requestBody' : 'input', argNames);
    const description = describe(bodyNode.value['description'], '    ');
    const bang = required ? '!' : '';

    if (picked.encoding === 'binary' || picked.encoding === 'text') {
      if (picked.encoding === 'binary') this.mapper.note(picked.node, `the ${contentType} body is given as base64 text (argument ${argName})`);
      argLines.push(`${description}    ${argName}: String${bang}`);
      // `*/*` says nothing about the bytes: send them as the generic binary type.
      const sent = contentType.includes('*') ? 'application/octet-stream' : contentType;
      return { argName, contentType: sent, encoding: picked.encoding, shape: undefined, binaryFields: [] };
    }
    const mapped = this.mapper.map(schemaNode, 'input', typeBase);
    if (picked.encoding !== 'json' && mapped.kind !== 'object' && mapped.kind !== 'json') {
      this.mapper.note(schemaNode, `a ${contentType} body must be an object: ${required ? 'the operation is left out' : 'the body is not exposed'}`);
      return required ? 'skip' : undefined;
    }
    argLines.push(`${description}    ${argName}: ${mapped.type}${required && !mapped.nullable ? '!' : ''}`);
    const binaryFields = picked.encoding === 'multipart' ? this.binaryProperties(schemaNode, argName) : [];
    return { argName, contentType, encoding: picked.encoding, shape: mapped.shape, binaryFields };
  }

  /** Wire names of a multipart schema's file properties (`format: binary`, also as array items). */
  private binaryProperties(schemaNode: SpecNode, argName: string): string[] {
    const target = this.deref(schemaNode);
    const properties = isRecord(target.value) && isRecord(target.value['properties']) ? target.value['properties'] : {};
    const names: string[] = [];
    for (const name of Object.keys(properties)) {
      const property = this.deref(childNode(target, 'properties', name));
      const items = isRecord(property.value) ? property.value['items'] : undefined;
      if (isBinarySchema(property.value) || isBinarySchema(items === undefined ? undefined : this.deref(childNode(property, 'items')).value)) {
        names.push(name);
        this.mapper.note(property, `file part ${JSON.stringify(name)} is given as base64 text in ${argName}`);
      }
    }
    return names;
  }

  /**
   * The first 2xx response (200 first), else `default`; JSON content → its schema, text → String, other media
   * types → base64 String, nothing → Boolean.
   */
  private convertResponse(
    operation: SpecNode,
    typeBase: string,
  ): { readonly type: string; readonly kind: OpenApiResponse['kind']; readonly shape: Shape | undefined; readonly int64: boolean; readonly note?: string } {
    const responses = childNode(operation, 'responses');
    const codes = isRecord(responses.value) ? Object.keys(responses.value) : [];
    const success = codes.filter((code) => /^2\d\d$/.test(code)).sort()[0] ?? codes.find((code) => code.toUpperCase() === '2XX') ?? codes.find((code) => code === 'default');
    const response = success === undefined ? undefined : this.deref(childNode(responses, success));
    const content = response && childNode(response, 'content');
    if (!content || !isRecord(content.value) || Object.keys(content.value).length === 0) {
      return { type: 'Boolean', kind: 'none', shape: undefined, int64: false };
    }
    const json = pickMedia(content, (mediaType) => JSON_MEDIA_TYPE.test(mediaType));
    if (json) {
      const schemaNode = childNode(json.node, 'schema');
      const mapped = this.mapper.map(schemaNode, 'output', `${typeBase}Response`);
      return { type: mapped.type, kind: 'json', shape: mapped.shape, int64: this.int64Finder.reaches(schemaNode) };
    }
    if (pickMedia(content, (mediaType) => mediaType.startsWith('text/'))) return { type: 'String', kind: 'text', shape: undefined, int64: false };
    const mediaTypes = Object.keys(content.value).join(', ');
    return { type: 'String', kind: 'binary', shape: undefined, int64: false, note: `Returns the response body (${mediaTypes}) as base64.` };
  }
}

function buildBody(draft: BodyDraft, prune: (shape: Shape | undefined) => Shape | undefined): OpenApiRequestBody {
  const shape = prune(draft.shape);
  return { ...draft, shape, int64: carriesInt64(shape) };
}

function buildOperation(draft: OperationDraft, prune: (shape: Shape | undefined) => Shape | undefined): OpenApiOperation {
  const parameters = draft.parameters.map(({ parameter, shape }): OpenApiParameter => {
    const pruned = prune(shape);
    return { ...parameter, shape: pruned, int64: carriesInt64(pruned) };
  });
  const pathPieces: PathPiece[] = [];
  for (const [index, piece] of draft.path.split(/\{([^}]+)\}/).entries()) {
    // split() with a capture group alternates literal text (even indexes) and parameter names (odd ones).
    const parameter = index % 2 === 1 ? parameters.find((candidate) => candidate.in === 'path' && candidate.name === piece) : undefined;
    if (parameter) pathPieces.push(parameter);
    else if (piece !== '') pathPieces.push(piece);
  }
  return {
    rootType: draft.rootType,
    fieldName: draft.fieldName,
    operationId: draft.operationId,
    readOnly: draft.method === 'GET' || draft.method === 'HEAD',
    idempotent: ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(draft.method),
    method: draft.method,
    path: draft.path,
    pathPieces,
    queryParameters: parameters.filter((parameter) => parameter.in === 'query'),
    headerParameters: parameters.filter((parameter) => parameter.in === 'header'),
    cookieParameters: parameters.filter((parameter) => parameter.in === 'cookie'),
    body: draft.body && buildBody(draft.body, prune),
    response: { ...draft.response, shape: prune(draft.response.shape) },
  };
}

/** Every operation of the spec as a draft; a crash on one operation is a problem at its pointer, not a stack trace. */
function convertOperations(root: SpecNode, converter: OperationConverter, deref: (node: SpecNode) => SpecNode): OperationDraft[] {
  const paths = childNode(root, 'paths');
  const drafts: OperationDraft[] = [];
  for (const path of isRecord(paths.value) ? Object.keys(paths.value) : []) {
    const pathItem = deref(childNode(paths, path));
    if (!isRecord(pathItem.value)) {
      converter.problem(pathItem, 'a path item must be a mapping');
      continue;
    }
    for (const method of METHODS) {
      const operation = childNode(pathItem, method);
      if (operation.value === undefined) continue;
      if (!isRecord(operation.value)) {
        converter.problem(operation, 'an operation must be a mapping');
        continue;
      }
      try {
        const draft = converter.convert(pathItem, path, method);
        if (draft) drafts.push(draft);
      } catch (error) {
        converter.problem(operation, `cannot be converted: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return drafts;
}

/**
 * Turns an OpenAPI 3.0/3.1 or Swagger 2.0 document into SDL, an operation table and the resolvers of its
 * unions. Reads the spec (and the files its `$ref`s name; a URL spec is fetched), calls no backend. Throws
 * `SpecInvalidError` listing every problem, with its pointer, when the spec is unusable.
 */
export async function convertOpenApi(options: OpenApiSourceOptions): Promise<ConvertedOpenApi> {
  const spec = await loadSpec(options.specFile, {
    ...(options.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: options.fetchTimeoutMs } : {}),
    ...(options.offlineDocuments ? { offline: options.offlineDocuments } : {}),
  });
  const rename = options.rename ?? {};
  const prefix = options.prefix ?? '';
  const mapper = new SchemaMapper(spec, { rename, prefix });
  const deref = (node: SpecNode): SpecNode => spec.deref(node);
  const converter = new OperationConverter(mapper, deref, rename, prefix);
  const rootNode: SpecNode = { doc: spec.main, pointer: '#', value: spec.main.root };
  const drafts = convertOperations(rootNode, converter, deref);
  if (converter.problems.length > 0) throw new SpecInvalidError(`OpenAPI spec ${options.specFile} cannot be converted`, converter.problems);
  const webhooks = childNode(rootNode, 'webhooks');
  if (isRecord(webhooks.value) && Object.keys(webhooks.value).length > 0) mapper.note(webhooks, 'webhooks (requests the backend makes) are not exposed');
  mapper.finishUnions();

  const assembled = assembleTypeDefs({
    drafts,
    definitions: mapper.typeDefinitions(),
    exclude: options.exclude ?? [],
    prefix,
    note: (at, message) => mapper.note(at, message),
  });
  if (assembled.fields.length === 0) {
    const paths = childNode(rootNode, 'paths');
    mapper.note(paths.value === undefined ? '#' : nodeLabel(paths), 'the spec has no operations to expose');
  }
  const kept = new Set(assembled.fields);
  const keptDrafts = drafts.filter((draft) => kept.has(draft));

  const prune = pruneShapes(mapper.objectShapes, mapper.unionShapes);
  const operations = new Map<string, OpenApiOperation>();
  for (const draft of keptDrafts) operations.set(`${draft.rootType}.${draft.fieldName}`, buildOperation(draft, prune));
  const unions = new Map([...mapper.unions].filter(([name]) => assembled.typeNames.has(name)));
  return {
    name: options.name,
    kind: 'openapi',
    typeDefs: assembled.typeDefs,
    operations,
    notes: mapper.notes,
    ...(unions.size > 0 ? { resolvers: unionResolvers(unions) } : {}),
    ...(spec.fetched.size > 0 ? { fetchedDocuments: spec.fetched } : {}),
  };
}
