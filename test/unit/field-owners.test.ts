import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createInMemoryDemo, rawSource } from '../helpers/in-memory-demo.js';
import { tempDir } from '../helpers/temp-dir.js';
import { hs256Auth, makeToken } from '../helpers/tokens.js';

/**
 * What the request-level checks (a token needed: 401 before anything runs; `by: source` rate limits) read: every
 * public field that calls a backend, with its operation. A remote GraphQL source's root fields are operations of
 * their own under their public names, and a merged type's field belongs to the source that alone serves it.
 */
const DEMO_LINKS = join(import.meta.dirname, '..', '..', 'schemas', 'links.graphql');
const bearer = async () => ({ authorization: `Bearer ${await makeToken({ sub: 'u1' })}` });

describe('field owners: remote GraphQL sources and merged types (finding 8)', () => {
  it('an operation rule on a remote root field answers 401 with a challenge, as on a REST field', async () => {
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['auth'] = hs256Auth();
        rawSource(raw, 'reviews')['operations'] = { reviewsByProduct: { auth: 'authenticated' } };
      },
    });
    const refused = await demo.query('{ reviewsByProduct(productId: "p1") { rating } }');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="interchange"');
    expect(demo.backends.calls).toEqual([]);
    // Its sibling has no rule of its own: the source's (public) applies.
    expect((await demo.query('{ reviewsByProducts(productIds: ["p1"]) { rating } }')).status).toBe(200);
    expect((await demo.query('{ reviewsByProduct(productId: "p1") { rating } }', { headers: await bearer() })).status).toBe(200);
  });

  it('on an authenticated remote source: a renamed root field and a merged field need a token, a public operation and the other source\'s fields do not', async () => {
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['auth'] = hs256Auth();
        Object.assign(rawSource(raw, 'reviews'), { auth: 'authenticated', rename: { reviewsByProduct: 'productReviews' }, operations: { reviewsByProducts: { auth: 'public' } } });
      },
    });
    for (const query of ['{ productReviews(productId: "p1") { rating } }', '{ products(limit: 2) { id averageRating } }']) {
      const { status, headers } = await demo.query(query);
      expect([query, status, headers.get('www-authenticate')]).toEqual([query, 401, 'Bearer realm="interchange"']);
    }
    expect(demo.backends.calls).toEqual([]);
    expect((await demo.query('{ reviewsByProducts(productIds: ["p1"]) { rating } }')).body.errors).toBeUndefined();
    expect((await demo.query('{ products(limit: 2) { id name } }')).body.errors).toBeUndefined();
    expect((await demo.query('{ products(limit: 2) { id averageRating } }', { headers: await bearer() })).body.errors).toBeUndefined();
  });

  it('`by: source` counts a renamed remote root field and a merged field of that source', async () => {
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['rateLimits'] = [{ by: 'source', source: 'reviews', points: 2, windowSeconds: 60 }];
        rawSource(raw, 'reviews')['rename'] = { reviewsByProduct: 'productReviews' };
      },
    });
    expect((await demo.query('{ productReviews(productId: "p1") { rating } }')).status).toBe(200);
    expect((await demo.query('{ products(limit: 2) { id name } }')).status).toBe(200); // inventory only: not counted
    expect((await demo.query('{ products(limit: 2) { id averageRating } }')).status).toBe(200);
    expect((await demo.query('{ products(limit: 2) { id averageRating } }')).status).toBe(429);
  });
});

describe('field owners come with the generation (finding 9)', () => {
  it('are built when the generation is, so a links file half-saved afterwards changes nothing until a reload', async () => {
    using dir = tempDir();
    const links = dir.write('links.graphql', readFileSync(DEMO_LINKS, 'utf8'));
    await using demo = await createInMemoryDemo({
      edit: (raw) => {
        raw['links'] = links;
        raw['rateLimits'] = [{ by: 'source', source: 'reviews', points: 1, windowSeconds: 60 }];
      },
    });
    dir.write('links.graphql', 'extend type Product {\n  reviews: [Review!] @delegate(source: "reviews", field:');
    expect((await demo.query('{ products(limit: 2) { id name } }')).body).toEqual({ data: { products: [{ id: 'p1', name: 'Pallet jack' }, { id: 'p2', name: 'Barcode scanner' }] } });
    // The link to reviews is still known as reaching reviews.
    expect((await demo.query('{ products(limit: 1) { reviews { rating } } }')).status).toBe(200);
    expect((await demo.query('{ products(limit: 1) { reviews { rating } } }')).status).toBe(429);
  });
});
