/**
 * The admin dashboard page: public, since it holds no data, only a login form and the places the data goes.
 * Everything it shows comes from `/admin/api/stats` (an SSE stream read with the token the operator types in;
 * the token stays in this tab's sessionStorage). Its script and the chart library are served by the gateway
 * from `/admin/assets/` (no CDN).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Interchange admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/admin/assets/uplot.min.css">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem 2rem; color: #1d2330; background: #f6f7fb; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; display: inline-block; margin-right: 1rem; }
  h2 { font-size: 1rem; margin: 1.4rem 0 .5rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0002; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6ee; vertical-align: top; }
  th { background: #eef0f6; font-weight: 600; }
  .bad { color: #b3261e; } .ok { color: #1b7f3b; } .warn { color: #a15c00; } .muted { color: #6b7280; }
  form { display: inline-flex; gap: .5rem; }
  input { padding: .35rem .5rem; min-width: 22rem; } button { padding: .3rem .7rem; cursor: pointer; }
  #error { margin: .5rem 0; }
  .panel { background: #fff; box-shadow: 0 1px 2px #0002; padding: .6rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: .8rem; }
  .chart h3, .heat h3 { font-size: .9rem; margin: 0 0 .3rem; font-weight: 600; }
  #topology { width: 100%; height: auto; display: block; }
  .badge { display: inline-block; padding: 0 .4rem; border-radius: .6rem; font-size: .8rem; color: #fff; }
  .b-ok { background: #1b7f3b; } .b-degraded { background: #c77700; } .b-down { background: #b3261e; } .b-idle { background: #9aa0a6; }
  canvas.heatmap { width: 100%; height: 140px; display: block; }
</style>
</head>
<body>
<h1>Interchange</h1>
<form id="login"><input id="token" type="password" placeholder="admin token" autocomplete="off"><button>Connect</button></form>
<div id="error" class="bad"></div>
<div id="dash" hidden>
  <p id="meta" class="muted"></p>
  <p id="look-first"></p>
  <h2>Topology <span class="muted">(last 10 s: calls/s · p95 · errors)</span></h2>
  <div class="panel"><svg id="topology" xmlns="http://www.w3.org/2000/svg"></svg></div>
  <h2>Last hour</h2>
  <div class="grid">
    <div class="panel chart"><h3>Requests per second</h3><div id="chart-requests"></div></div>
    <div class="panel chart"><h3>Request latency p50 / p95 / p99 (ms)</h3><div id="chart-latency"></div></div>
    <div class="panel chart"><h3>Errors per second by code</h3><div id="chart-errors"></div></div>
    <div class="panel chart"><h3>Cache hit and stale ratio of source calls</h3><div id="chart-cache"></div></div>
  </div>
  <h2>Backend latency heat maps <span class="muted">(30 s columns × latency bucket, darker = more calls)</span></h2>
  <div id="heatmaps" class="grid"></div>
  <h2>Sources</h2>
  <table id="sources">
    <thead><tr><th>source</th><th>kind</th><th>health</th><th>req/s</th><th>backend calls/s</th><th>p95 ms</th><th>errors</th><th>cache hit</th><th>stale</th><th>breaker</th><th>replicas up</th><th>p95 trend</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
  <h2>Slowest operations <span class="muted">(last hour)</span></h2>
  <table id="operations"><thead><tr><th>operation</th><th>requests</th><th>p50 ms</th><th>p95 ms</th><th>errors</th></tr></thead><tbody></tbody></table>
  <h2>Recent events</h2>
  <table id="events"><thead><tr><th>time</th><th>type</th><th>what</th><th>count</th></tr></thead><tbody></tbody></table>
</div>
<script src="/admin/assets/uplot.min.js"></script>
<script src="/admin/assets/dashboard.js"></script>
</body>
</html>
`;
