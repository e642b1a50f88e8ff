import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IResolvers } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createSchema, createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';

/** A real remote GraphQL service (graphql-yoga on node:http, graphql-ws beside it) on a free port. */
export interface GraphqlRemote extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/graphql`. */
  readonly url: string;
  /** Root field executions so far, by `Query.field` / `Mutation.field` / `Subscription.field`. */
  readonly calls: Map<string, number>;
  /** Arguments of every root field execution, in arrival order. */
  readonly arrivals: { field: string; args: Record<string, unknown> }[];
  /** HTTP requests received (a document with several root fields is one). */
  readonly requests: { count: number };
  count(field: string): number;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Serves `typeDefs` + `resolvers` (or a ready schema, e.g. an @apollo/subgraph one); every root field's resolver
 * (and subscription's `subscribe`) counts as one call of that field.
 */
export async function startGraphqlRemote(options: { typeDefs?: string; resolvers?: IResolvers; schema?: GraphQLSchema; port?: number }): Promise<GraphqlRemote> {
  const calls = new Map<string, number>();
  const arrivals: { field: string; args: Record<string, unknown> }[] = [];
  const requests = { count: 0 };
  const record = (field: string, args: Record<string, unknown>) => {
    calls.set(field, (calls.get(field) ?? 0) + 1);
    arrivals.push({ field, args });
  };
  const schema = options.schema ?? createSchema({ typeDefs: options.typeDefs ?? '', resolvers: countingResolvers(options.resolvers ?? {}, record) });
  if (options.schema) countRootFields(options.schema, record);
  const yoga = createYoga({ schema, logging: false, graphiql: false, maskedErrors: false, landingPage: false });
  const server: Server = createServer((req, res) => {
    requests.count++;
    void yoga.requestListener(req, res);
  });
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const ws = useServer({ schema }, wsServer);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await ws.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    calls,
    arrivals,
    requests,
    count: (field) => calls.get(field) ?? 0,
    reset() {
      calls.clear();
      arrivals.length = 0;
      requests.count = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

type Record_ = (field: string, args: Record<string, unknown>) => void;

function countingResolvers(resolvers: IResolvers, record: Record_): IResolvers {
  const out: Record<string, unknown> = { ...resolvers };
  for (const root of ['Query', 'Mutation', 'Subscription']) {
    const fields = resolvers[root] as Record<string, unknown> | undefined;
    if (!fields) continue;
    out[root] = Object.fromEntries(
      Object.entries(fields).map(([name, resolver]) => {
        if (typeof resolver === 'function') {
          return [name, (parent: unknown, args: Record<string, unknown>, ...rest: unknown[]) => (record(`${root}.${name}`, args), (resolver as (...a: unknown[]) => unknown)(parent, args, ...rest))];
        }
        const config = resolver as { subscribe?: (...a: unknown[]) => unknown; resolve?: unknown };
        return [name, { ...config, subscribe: (parent: unknown, args: Record<string, unknown>, ...rest: unknown[]) => (record(`${root}.${name}`, args), config.subscribe!(parent, args, ...rest)) }];
      }),
    );
  }
  return out as IResolvers;
}

/** Wraps the root resolvers of a built schema in place (for schemas built by other libraries). */
function countRootFields(schema: GraphQLSchema, record: Record_): void {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      const resolve = field.resolve;
      if (!resolve) continue;
      field.resolve = (parent, args, context, info) => (record(`${root.name}.${field.name}`, args), resolve(parent, args, context, info));
    }
  }
}
