import { existsSync } from 'node:fs';
import path from 'node:path';
// Importing proto-loader registers the well-known protos protobufjs does not bundle (descriptor, api, type,
// source_context), so `import "google/protobuf/descriptor.proto"` resolves here as it does for grpc-js users.
import '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { IParseOptions, NamespaceBase, ReflectionObject, Root } from 'protobufjs';
import { SpecInvalidError, type Problem } from '../../errors.js';

/**
 * proto-loader's `keepCase: false` (field names camelCased, `customer_id` → `customerId`), plus
 * `alternateCommentMode` so plain `//` comments become descriptions too.
 */
const PARSE_OPTIONS: IParseOptions = { keepCase: false, alternateCommentMode: true };

interface ImportSite {
  readonly importer: string;
  readonly target: string;
}

/**
 * Parses `protoFile` and everything it imports into one resolved protobufjs root.
 * Imports resolve against `includeDirs` first, then relative to the importing file (proto-loader's order).
 * Throws `SpecInvalidError` naming the file and line or proto path of every problem found.
 */
export function loadProto(protoFile: string, includeDirs: readonly string[]): Root {
  const root = new protobuf.Root();
  const importSites = new Map<string, ImportSite>();
  root.resolvePath = function resolveImport(origin: string, target: string): string {
    const resolved = resolveImportPath(origin, target, includeDirs);
    if (origin !== '') importSites.set(resolved, { importer: origin, target });
    return resolved;
  };
  try {
    // Sync on purpose: protobufjs' async `load` runs `resolveAll` inside a file-read callback, so an unknown
    // type there becomes an uncaught exception instead of a rejection.
    root.loadSync(protoFile, PARSE_OPTIONS);
    return root;
  } catch (error) {
    throw new SpecInvalidError(`Cannot load ${protoFile}`, describeLoadFailure(error, root, protoFile, importSites, includeDirs));
  }
}

function resolveImportPath(origin: string, target: string, includeDirs: readonly string[]): string {
  if (path.isAbsolute(target)) return target;
  for (const dir of includeDirs) {
    const candidate = path.join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  return protobuf.util.path.resolve(origin, target);
}

function describeLoadFailure(
  error: unknown,
  root: Root,
  protoFile: string,
  importSites: ReadonlyMap<string, ImportSite>,
  includeDirs: readonly string[],
): Problem[] {
  const message = error instanceof Error ? error.message : String(error);
  const missingPath = fileErrorPath(error);
  if (missingPath !== undefined) {
    const site = importSites.get(missingPath);
    if (site === undefined) return [{ file: protoFile, at: '', message: isNotFound(error) ? 'file not found' : `cannot read the file: ${message}` }];
    const searched = [...includeDirs, path.dirname(site.importer)].join(', ');
    const reason = isNotFound(error) ? `imported file not found (searched ${searched})` : `cannot read the imported file: ${message}`;
    return [{ file: site.importer, at: `import "${site.target}"`, message: reason }];
  }
  // Loading is depth first and synchronous, so a syntax error is in the file read last.
  const currentFile = root.files.at(-1) ?? protoFile;
  const syntax = /\s*\((?:.*, )?line (\d+)\)$/.exec(message);
  if (syntax !== null) return [{ file: currentFile, at: `line ${syntax[1] ?? '?'}`, message: message.slice(0, syntax.index) }];
  const unresolved = findUnresolvedReferences(root, protoFile);
  return unresolved.length > 0 ? unresolved : [{ file: currentFile, at: '', message }];
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

function fileErrorPath(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('path' in error) || !('code' in error)) return undefined;
  return typeof error.path === 'string' ? error.path : undefined;
}

/** `resolveAll` stops at the first unknown type; this lists all of them, each with its file and proto path. */
function findUnresolvedReferences(root: Root, protoFile: string): Problem[] {
  const problems: Problem[] = [];
  const visit = (namespace: NamespaceBase): void => {
    for (const child of namespace.nestedArray) {
      const members: ReflectionObject[] =
        child instanceof protobuf.Type ? child.fieldsArray : child instanceof protobuf.Service ? child.methodsArray : [];
      for (const member of members) {
        try {
          member.resolve();
        } catch (error) {
          problems.push({
            file: member.filename ?? child.filename ?? protoFile,
            at: member.fullName.slice(1),
            message: error instanceof Error ? error.message : String(error),
          });
        }
      }
      if (child instanceof protobuf.Namespace) visit(child);
    }
  };
  visit(root);
  return problems;
}
