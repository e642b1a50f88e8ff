import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { ConfigInvalidError } from '../../src/errors.js';
import { loadSources } from '../../src/gateway/load-sources.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const REMOTE_SDL = 'type Query { price(sku: ID!): Float  item(sku: ID!): Item }\ntype Item { sku: ID! }\n';

/** `operations:` keys name fields; a key naming none is a located config error for every kind, found at load. */
describe('keys that name fields the source does not have', () => {
  it('are reported together, each at sources[i].<key>, for openapi, grpc and graphql sources', async () => {
    using dir = tempDir();
    const config = validateConfig(
      {
        sources: [
          { name: 'pets', kind: 'openapi', spec: join(FIXTURES, 'openapi', 'petstore.yaml'), endpoints: ['http://pets.test'], operations: { listPetz: { timeoutMs: 5 } } },
          { name: 'orders', kind: 'grpc', proto: join(FIXTURES, 'grpc', 'orders.proto'), includeDirs: [join(FIXTURES, 'grpc', 'include')], endpoints: ['orders.test:1'], rename: { listOrders: 'allOrders' }, operations: { allOrders: { timeoutMs: 5 }, listOrders: { timeoutMs: 5 } } },
          {
            name: 'remote',
            kind: 'graphql',
            schema: dir.write('remote.graphql', REMOTE_SDL),
            endpoints: ['http://remote.test/graphql'],
            rename: { price: 'itemPrice', Itm: 'Article' },
            exclude: ['items'],
            operations: { itemPrice: { timeoutMs: 5 }, prise: { timeoutMs: 5 } },
          },
        ],
      },
      join(dir.path, 'interchange.yaml'),
    );
    const error = await loadSources(config).catch((caught: unknown) => caught);
    if (!(error instanceof ConfigInvalidError)) throw error;
    expect((error as ConfigInvalidError).problems.map((p) => [p.at, p.message])).toEqual([
      ['sources[0].operations.listPetz', expect.stringContaining('"pets" has no field "listPetz"')],
      ['sources[1].operations.listOrders', expect.stringContaining('it is exposed as "allOrders"')],
      ['sources[2].rename.Itm', '"Itm" is no root field or type of the remote schema'],
      ['sources[2].exclude[0]', '"items" is no root field or type of the remote schema'],
      ['sources[2].operations.prise', expect.stringContaining('"remote" has no field "prise"')],
    ]);
    expect((error as ConfigInvalidError).problems.every((p) => p.file === config.file)).toBe(true);
  });

  it('accept the public names of every kind', async () => {
    using dir = tempDir();
    const config = validateConfig(
      {
        sources: [
          { name: 'pets', kind: 'openapi', spec: join(FIXTURES, 'openapi', 'petstore.yaml'), endpoints: ['http://pets.test'], operations: { listPets: { timeoutMs: 5 } } },
          { name: 'remote', kind: 'graphql', schema: dir.write('remote.graphql', REMOTE_SDL), endpoints: ['http://remote.test/graphql'], rename: { price: 'itemPrice' }, operations: { itemPrice: { cache: { ttl: 5 } } } },
        ],
      },
      join(dir.path, 'interchange.yaml'),
    );
    const loaded = await loadSources(config);
    expect(loaded.map((s) => [...s.converted.operations.keys()].sort())).toContainEqual(['Query.item', 'Query.itemPrice']);
  });
});
