/**
 * Inventory: the product catalogue over REST, as described by `schemas/inventory.openapi.yaml`.
 */
import type { IncomingMessage } from 'node:http';
import {
  createCallStats,
  decodePathParam,
  DemoHttpError,
  readCsvParam,
  readJsonBody,
  resolveLatencyMs,
  sendJson,
  simulateLatency,
  startHttpBackend,
  type DemoBackend,
  type DemoBackendOptions,
} from './backend.js';
import { createProducts, type Product } from './data.js';

export const INVENTORY_SPEC_FILE = 'inventory.openapi.yaml';

const DEFAULT_PRODUCTS_LIMIT = 20;
const PRODUCT_PATH = /^\/products\/([^/]+)$/;
const STOCK_ADJUSTMENT_PATH = /^\/products\/([^/]+)\/stock-adjustments$/;

export async function startInventory(options: DemoBackendOptions = {}): Promise<DemoBackend> {
  const latencyMs = resolveLatencyMs(options.latencyMs);
  const stats = createCallStats();
  const products = createProducts();

  function findProduct(id: string): Product {
    const product = products.get(id);
    if (product === undefined) throw new DemoHttpError(404, `product ${id} not found`);
    return product;
  }

  async function adjustStock(req: IncomingMessage, id: string): Promise<Product> {
    const body = await readJsonBody(req);
    const { delta, reason } = parseStockAdjustment(body);
    stats.record('adjustStock', reason === undefined ? { id, delta } : { id, delta, reason });
    await simulateLatency(latencyMs);
    const product = findProduct(id);
    if (product.stock + delta < 0) {
      throw new DemoHttpError(409, `stock of ${id} is ${product.stock}, cannot remove ${-delta}`);
    }
    product.stock += delta;
    return product;
  }

  return startHttpBackend({
    name: 'inventory',
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    stats,
    async handle(req, res, url) {
      const { pathname } = url;
      if (req.method === 'GET' && pathname === '/products') {
        const limit = readLimit(url);
        stats.record('products', { limit });
        await simulateLatency(latencyMs);
        return sendJson(res, 200, [...products.values()].slice(0, limit));
      }
      // Matched before /products/{id}, which would otherwise take "batch" for an id.
      if (req.method === 'GET' && pathname === '/products/batch') {
        const ids = readCsvParam(url, 'ids');
        stats.record('productsByIds', { ids });
        await simulateLatency(latencyMs);
        return sendJson(res, 200, ids.flatMap((id) => products.get(id) ?? []));
      }
      const productMatch = req.method === 'GET' ? PRODUCT_PATH.exec(pathname) : null;
      if (productMatch?.[1] !== undefined) {
        const id = decodePathParam(productMatch[1]);
        stats.record('product', { id });
        await simulateLatency(latencyMs);
        return sendJson(res, 200, findProduct(id));
      }
      const adjustmentMatch = req.method === 'POST' ? STOCK_ADJUSTMENT_PATH.exec(pathname) : null;
      if (adjustmentMatch?.[1] !== undefined) {
        return sendJson(res, 200, await adjustStock(req, decodePathParam(adjustmentMatch[1])));
      }
      throw new DemoHttpError(404, `no route for ${req.method ?? 'GET'} ${pathname}`);
    },
  });
}

function readLimit(url: URL): number {
  const raw = url.searchParams.get('limit');
  if (raw === null) return DEFAULT_PRODUCTS_LIMIT;
  const limit = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(limit) || limit < 0) {
    throw new DemoHttpError(400, `query parameter limit must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return limit;
}

function parseStockAdjustment(body: unknown): { delta: number; reason?: string } {
  if (typeof body !== 'object' || body === null) throw new DemoHttpError(400, 'body must be a StockAdjustment object');
  const { delta, reason } = body as Record<string, unknown>;
  if (typeof delta !== 'number' || !Number.isInteger(delta)) throw new DemoHttpError(400, 'delta must be an integer');
  if (reason === undefined || reason === null) return { delta };
  if (typeof reason !== 'string') throw new DemoHttpError(400, 'reason must be a string');
  return { delta, reason };
}
