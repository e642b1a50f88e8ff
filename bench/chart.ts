/**
 * A small SVG bar chart of one benchmark run: CPU per request and peak RSS, gateway beside the direct-call
 * baseline measured in the same run. Plain SVG text, no library: the README shows the file as it is.
 */
export interface ChartSeries {
  readonly label: string;
  readonly cpuMicrosPerRequest: number;
  readonly peakRssMB: number;
  readonly idleRssMB?: number | undefined;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(options: { title: string; subtitle: string; series: readonly ChartSeries[] }): string {
  const width = 640;
  const panelWidth = 280;
  const barHeight = 22;
  const gap = 10;
  const colors = ['#3b6fd8', '#9aa4b2', '#e08a1e', '#2f9e6e'];
  const panels = [
    { title: 'CPU per request (µs)', value: (s: ChartSeries) => s.cpuMicrosPerRequest, format: (v: number) => `${Math.round(v)} µs` },
    { title: 'peak RSS under load (MB)', value: (s: ChartSeries) => s.peakRssMB, format: (v: number) => `${v.toFixed(0)} MB` },
  ];
  const top = 64;
  const height = top + options.series.length * (barHeight + gap) + 56;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="22" font-size="15" font-weight="600">${escape(options.title)}</text>`,
    `<text x="16" y="40" fill="#555">${escape(options.subtitle)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const x0 = 16 + p * (panelWidth + 48);
    const max = Math.max(...options.series.map(panel.value), 1);
    parts.push(`<text x="${x0}" y="${top - 6}" font-weight="600">${escape(panel.title)}</text>`);
    options.series.forEach((series, i) => {
      const y = top + i * (barHeight + gap);
      const length = Math.max(1, (panel.value(series) / max) * (panelWidth - 90));
      parts.push(
        `<rect x="${x0}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${colors[i % colors.length]}" rx="2"/>`,
        `<text x="${(x0 + length + 6).toFixed(1)}" y="${y + 15}">${escape(panel.format(panel.value(series)))}</text>`,
      );
      if (p === 1 && series.idleRssMB !== undefined) {
        const idle = Math.max(1, (series.idleRssMB / max) * (panelWidth - 90));
        parts.push(`<line x1="${(x0 + idle).toFixed(1)}" x2="${(x0 + idle).toFixed(1)}" y1="${y - 2}" y2="${y + barHeight + 2}" stroke="#111" stroke-width="2"><title>idle ${series.idleRssMB.toFixed(0)} MB</title></line>`);
      }
    });
  });
  const legendY = top + options.series.length * (barHeight + gap) + 16;
  options.series.forEach((series, i) => {
    const x = 16 + i * 200;
    parts.push(`<rect x="${x}" y="${legendY}" width="12" height="12" fill="${colors[i % colors.length]}"/>`, `<text x="${x + 18}" y="${legendY + 10}">${escape(series.label)}</text>`);
  });
  if (options.series.some((s) => s.idleRssMB !== undefined)) parts.push(`<text x="16" y="${legendY + 32}" fill="#555">black tick: RSS when idle, before the load</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
