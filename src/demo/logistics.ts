/**
 * Logistics: shipments of orders over REST, as described by `schemas/logistics.openapi.yaml`.
 */
import {
  createCallStats,
  decodePathParam,
  DemoHttpError,
  readCsvParam,
  resolveLatencyMs,
  sendJson,
  simulateLatency,
  startHttpBackend,
  type DemoBackend,
  type DemoBackendOptions,
} from './backend.js';
import { createShipments } from './data.js';

export const LOGISTICS_SPEC_FILE = 'logistics.openapi.yaml';

const SHIPMENT_BY_ORDER_PATH = /^\/orders\/([^/]+)\/shipment$/;

export async function startLogistics(options: DemoBackendOptions = {}): Promise<DemoBackend> {
  const latencyMs = resolveLatencyMs(options.latencyMs);
  const stats = createCallStats();
  const shipments = createShipments();

  return startHttpBackend({
    name: 'logistics',
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    stats,
    async handle(req, res, url) {
      const { pathname } = url;
      if (req.method === 'GET' && pathname === '/shipments') {
        const orderIds = readCsvParam(url, 'orderIds');
        stats.record('shipmentsByOrders', { orderIds });
        await simulateLatency(latencyMs);
        return sendJson(res, 200, orderIds.flatMap((orderId) => shipments.get(orderId) ?? []));
      }
      const match = req.method === 'GET' ? SHIPMENT_BY_ORDER_PATH.exec(pathname) : null;
      if (match?.[1] !== undefined) {
        const orderId = decodePathParam(match[1]);
        stats.record('shipmentByOrder', { orderId });
        await simulateLatency(latencyMs);
        const shipment = shipments.get(orderId);
        if (shipment === undefined) throw new DemoHttpError(404, `no shipment for order ${orderId}`);
        return sendJson(res, 200, shipment);
      }
      throw new DemoHttpError(404, `no route for ${req.method ?? 'GET'} ${pathname}`);
    },
  });
}
