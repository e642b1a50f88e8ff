import { SpecInvalidError, type Problem } from '../../errors.js';
import type { ConvertedSource, RootTypeName } from '../types.js';
import { childNode, isRecord, loadSpec, nodeLabel, type SpecNode } from './load-document.js';
import { camelCase, claimUniqueName, defaultOperationName, graphqlFieldName, pascalCase } from './naming.js';
import type { OpenApiOperation, OpenApiParameter, OpenApiResponse, ParameterStyle, PathPiece } from './operation.js';
import { describe, SchemaMapper, type MappedType } from './schema-to-sdl.js';
import { pruneShapes, type Shape } from './shape.js';

export interface OpenApiSourceOptions {
  /** Source name from the config. */
  readonly name: string;
  /** Absolute path of the OpenAPI 3.0/3.1 document, YAML or JSON. */
  readonly specFile: string;
  /**
   * Default field name, operationId or default type name → new name. Default: none. Type renames apply to one
   * type each: renaming `Pet` leaves its input type `PetInput` as it is.
   */
  readonly rename?: Readonly<Record<string, string>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/** The first media type of a `content` map that matches, with its node. */
function pickMedia(content: SpecNode, accept: (mediaType: string) => boolean): { readonly mediaType: string; readonly node: SpecNode } | undefined {
  if (!isRecord(content.value)) return undefined;
  const mediaType = Object.keys(content.value).find(accept);
  return mediaType === undefined ? undefined : { mediaType, node: childNode(content, mediaType) };
}

interface ParameterDraft {
  readonly parameter: Omit<OpenApiParameter, 'shape'>;
  readonly shape: Shape | undefined;
}

interface OperationDraft {
  readonly rootType: 'Query' | 'Mutation';
  readonly fieldName: string;
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly sdl: string;
  readonly parameters: readonly ParameterDraft[];
  readonly body: { readonly argName: string; readonly contentType: string; readonly shape: Shape | undefined } | undefined;
  readonly response: { readonly kind: OpenApiResponse['kind']; readonly shape: Shape | undefined };
}

const DEFAULT_STYLE: Record<OpenApiParameter['in'], ParameterStyle> = { path: 'simple', query: 'form', header: 'simple' };
const ALLOWED_STYLES: Record<OpenApiParameter['in'], readonly ParameterStyle[]> = {
  path: ['simple'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
};

/** Converts one OpenAPI operation; `problems` collects what makes the spec unusable, the mapper's notes what was simplified. */
class OperationConverter {
  readonly problems: Problem[] = [];
  private readonly fieldNames: Record<'Query' | 'Mutation', Set<string>> = { Query: new Set(), Mutation: new Set() };

  constructor(
    private readonly mapper: SchemaMapper,
    private readonly deref: (node: SpecNode) => SpecNode,
    private readonly rename: Readonly<Record<string, string>>,
  ) {}

  private problem(at: SpecNode, message: string): void {
    this.problems.push({ file: at.doc.file, at: at.pointer, message });
  }

  convert(pathItem: SpecNode, path: string, method: (typeof METHODS)[number]): OperationDraft | undefined {
    const operation = childNode(pathItem, method);
    const spec = operation.value as Record<string, unknown>;
    const specOperationId = typeof spec['operationId'] === 'string' ? spec['operationId'] : undefined;
    const defaultName = specOperationId !== undefined ? camelCase(specOperationId) : defaultOperationName(method, path);
    const rootType = method === 'get' ? 'Query' : 'Mutation';
    const wanted = this.rename[defaultName] ?? (specOperationId !== undefined ? this.rename[specOperationId] : undefined) ?? defaultName;
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

    const fieldName = claimUniqueName(wanted, this.fieldNames[rootType]);
    if (fieldName !== wanted) this.mapper.note(operation, `field name ${rootType}.${wanted} is taken: named ${fieldName}`);
    const args = argLines.length > 0 ? `(\n${argLines.join('\n')}\n  )` : '';
    const deprecated = spec['deprecated'] === true ? ' @deprecated' : '';
    const description = describe(spec['summary'] ?? spec['description'], '  ');
    return {
      rootType,
      fieldName,
      operationId: specOperationId ?? `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      sdl: `${description}  ${fieldName}${args}: ${response.type}${deprecated}`,
      parameters,
      body: body && { argName: body.argName, contentType: body.contentType, shape: body.shape },
      response: { kind: response.kind, shape: response.shape },
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
    if (location === 'cookie') {
      this.mapper.note(node, `cookie parameter ${name} is not exposed`);
      return undefined;
    }
    if (location !== 'path' && location !== 'query' && location !== 'header') {
      this.problem(childNode(node, 'in'), `unknown parameter location ${JSON.stringify(location)}`);
      return undefined;
    }
    const media = isRecord(value['content']) ? pickMedia(childNode(node, 'content'), () => true) : undefined;
    const schemaNode = media ? childNode(media.node, 'schema') : childNode(node, 'schema');
    const argName = claimUniqueName(graphqlFieldName(name), argNames);
    if (argName !== name) this.mapper.note(node, `parameter ${JSON.stringify(name)} is exposed as argument ${argName}`);
    const mapped: MappedType =
      schemaNode.value === undefined ? { type: 'String', nullable: true, shape: undefined } : this.mapper.map(schemaNode, 'input', `${typeBase}${pascalCase(name)}`);
    const required = location === 'path' || value['required'] === true;
    argLines.push(`${describe(value['description'], '    ')}    ${argName}: ${mapped.type}${required && !mapped.nullable ? '!' : ''}`);

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

  private convertBody(
    operation: SpecNode,
    typeBase: string,
    argNames: Set<string>,
    argLines: string[],
  ): { readonly argName: string; readonly contentType: string; readonly shape: Shape | undefined } | undefined | 'skip' {
    const bodyNode = this.deref(childNode(operation, 'requestBody'));
    if (!isRecord(bodyNode.value)) return undefined;
    const required = bodyNode.value['required'] === true;
    const media = pickMedia(childNode(bodyNode, 'content'), (mediaType) => JSON_MEDIA_TYPE.test(mediaType));
    if (!media) {
      const types = isRecord(bodyNode.value['content']) ? Object.keys(bodyNode.value['content']).join(', ') : 'none';
      this.mapper.note(bodyNode, `request body media types (${types}) are not supported: ${required ? 'the operation is left out' : 'the body is not exposed'}`);
      return required ? 'skip' : undefined;
    }
    const schemaNode = childNode(media.node, 'schema');
    const mapped = this.mapper.map(schemaNode, 'input', typeBase);
    const argName = claimUniqueName(argNames.has('input') ? 'requestBody' : 'input', argNames);
    argLines.push(`${describe(bodyNode.value['description'], '    ')}    ${argName}: ${mapped.type}${required && !mapped.nullable ? '!' : ''}`);
    return { argName, contentType: media.mediaType.split(';')[0]?.trim() ?? media.mediaType, shape: mapped.shape };
  }

  /** The first 2xx response (200 first), else `default`; JSON content → its schema, text → String, nothing → Boolean. */
  private convertResponse(operation: SpecNode, typeBase: string): { readonly type: string; readonly kind: OpenApiResponse['kind']; readonly shape: Shape | undefined } {
    const responses = childNode(operation, 'responses');
    const codes = isRecord(responses.value) ? Object.keys(responses.value) : [];
    const success = codes.filter((code) => /^2\d\d$/.test(code)).sort()[0] ?? codes.find((code) => code.toUpperCase() === '2XX') ?? codes.find((code) => code === 'default');
    const response = success === undefined ? undefined : this.deref(childNode(responses, success));
    const content = response && childNode(response, 'content');
    if (!content || !isRecord(content.value) || Object.keys(content.value).length === 0) {
      return { type: 'Boolean', kind: 'none', shape: undefined };
    }
    const json = pickMedia(content, (mediaType) => JSON_MEDIA_TYPE.test(mediaType));
    if (json) {
      const mapped = this.mapper.map(childNode(json.node, 'schema'), 'output', `${typeBase}Response`);
      return { type: mapped.type, kind: 'json', shape: mapped.shape };
    }
    if (pickMedia(content, (mediaType) => mediaType.startsWith('text/'))) return { type: 'String', kind: 'text', shape: undefined };
    this.mapper.note(content, `response media types (${Object.keys(content.value).join(', ')}) are not exposed: the field returns true on success`);
    return { type: 'Boolean', kind: 'none', shape: undefined };
  }
}

function buildOperation(draft: OperationDraft, prune: (shape: Shape | undefined) => Shape | undefined): OpenApiOperation {
  const parameters = draft.parameters.map(({ parameter, shape }): OpenApiParameter => ({ ...parameter, shape: prune(shape) }));
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
    method: draft.method,
    path: draft.path,
    pathPieces,
    queryParameters: parameters.filter((parameter) => parameter.in === 'query'),
    headerParameters: parameters.filter((parameter) => parameter.in === 'header'),
    body: draft.body && { ...draft.body, shape: prune(draft.body.shape) },
    response: { kind: draft.response.kind, shape: prune(draft.response.shape) },
  };
}

/**
 * Turns an OpenAPI 3.0/3.1 document into SDL and an operation table. Reads the spec (and files its `$ref`s
 * name), does no network I/O. Throws `SpecInvalidError` listing every problem when the spec is unusable.
 */
export async function convertOpenApi(options: OpenApiSourceOptions): Promise<ConvertedSource<OpenApiOperation>> {
  const spec = await loadSpec(options.specFile);
  const rename = options.rename ?? {};
  const mapper = new SchemaMapper(spec, rename);
  const converter = new OperationConverter(mapper, (node) => spec.deref(node), rename);
  const rootNode: SpecNode = { doc: spec.main, pointer: '#', value: spec.main.root };
  const paths = childNode(rootNode, 'paths');
  const drafts: OperationDraft[] = [];
  for (const path of isRecord(paths.value) ? Object.keys(paths.value) : []) {
    const pathItem = spec.deref(childNode(paths, path));
    if (!isRecord(pathItem.value)) {
      converter.problems.push({ file: pathItem.doc.file, at: pathItem.pointer, message: 'a path item must be a mapping' });
      continue;
    }
    for (const method of METHODS) {
      const operation = childNode(pathItem, method);
      if (operation.value === undefined) continue;
      if (!isRecord(operation.value)) {
        converter.problems.push({ file: operation.doc.file, at: operation.pointer, message: 'an operation must be a mapping' });
        continue;
      }
      const draft = converter.convert(pathItem, path, method);
      if (draft) drafts.push(draft);
    }
  }
  if (converter.problems.length > 0) throw new SpecInvalidError(`OpenAPI spec ${options.specFile} cannot be converted`, converter.problems);
  if (drafts.length === 0) mapper.note(nodeLabel(paths), 'the spec has no operations');

  const prune = pruneShapes(mapper.objectShapes);
  const operations = new Map<string, OpenApiOperation>();
  for (const draft of drafts) operations.set(`${draft.rootType}.${draft.fieldName}`, buildOperation(draft, prune));
  const rootTypes = (['Query', 'Mutation'] as const satisfies readonly RootTypeName[])
    .map((rootType) => ({ rootType, fields: drafts.filter((draft) => draft.rootType === rootType).map((draft) => draft.sdl) }))
    .filter(({ fields }) => fields.length > 0)
    .map(({ rootType, fields }) => `type ${rootType} {\n${fields.join('\n')}\n}`);
  return {
    name: options.name,
    kind: 'openapi',
    typeDefs: `${[...mapper.typeDefinitions(), ...rootTypes].join('\n\n')}\n`,
    operations,
    notes: mapper.notes,
  };
}
