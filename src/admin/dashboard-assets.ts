import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

/**
 * The dashboard's static files, served by the gateway itself (no CDN): its script and uPlot, the chart library,
 * read from the installed npm package on first use and kept (about 53 KB).
 */
export interface Asset {
  readonly type: string;
  readonly body: string;
}

const require = createRequire(import.meta.url);
const loaded = new Map<string, Asset>();

const FILES: Record<string, () => Asset> = {
  'dashboard.js': () => ({ type: 'text/javascript; charset=utf-8', body: DASHBOARD_SCRIPT }),
  'uplot.min.js': () => ({ type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8') }),
  'uplot.min.css': () => ({ type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') }),
};

/** The asset named `name`, or undefined for any other name. */
export function dashboardAsset(name: string): Asset | undefined {
  const make = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!make) return undefined;
  let asset = loaded.get(name);
  if (!asset) loaded.set(name, (asset = make()));
  return asset;
}
