/**
 * The admin dashboard: one self-contained page (inline CSS and JS, no CDN) that polls `/admin/api/status`
 * with the token the operator types in; the token stays in this tab's sessionStorage.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Interchange admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; background: #f6f7fb; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0002; }
  th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #e3e6ee; vertical-align: top; }
  th { background: #eef0f6; font-weight: 600; }
  .bad { color: #b3261e; } .ok { color: #1b7f3b; } .muted { color: #6b7280; }
  form { margin-bottom: 1rem; display: flex; gap: .5rem; }
  input { padding: .35rem .5rem; min-width: 22rem; } button { padding: .35rem .8rem; cursor: pointer; }
  #error { margin: .5rem 0; }
</style>
</head>
<body>
<h1>Interchange</h1>
<form id="login"><input id="token" type="password" placeholder="admin token" autocomplete="off"><button>Connect</button></form>
<div id="error" class="bad"></div>
<p id="meta" class="muted"></p>
<table id="sources" hidden>
  <thead><tr><th>source</th><th>kind</th><th>endpoints</th><th>operations</th><th>calls</th><th>cache</th><th></th></tr></thead>
  <tbody></tbody>
</table>
<script>
(function () {
  var tokenInput = document.getElementById('token');
  var errorBox = document.getElementById('error');
  var table = document.getElementById('sources');
  var timer;
  tokenInput.value = sessionStorage.getItem('interchange-admin-token') || '';
  function text(tag, value, cls) { var el = document.createElement(tag); el.textContent = value; if (cls) el.className = cls; return el; }
  function pairs(record) { return Object.keys(record).sort().map(function (k) { return k + ': ' + record[k]; }).join(', ') || '—'; }
  function api(path, init) {
    init = init || {};
    init.headers = Object.assign({ authorization: 'Bearer ' + tokenInput.value }, init.headers || {});
    return fetch('/admin/api/' + path, init).then(function (r) {
      if (!r.ok) return r.json().catch(function () { return {}; }).then(function (b) { throw new Error(b.error || ('HTTP ' + r.status)); });
      return r.json();
    });
  }
  function render(status) {
    errorBox.textContent = '';
    document.getElementById('meta').textContent = 'up since ' + status.startedAt + ' · configuration loaded ' + status.generationLoadedAt + ' · cache store: ' + status.cacheStore;
    var body = table.querySelector('tbody');
    body.replaceChildren();
    status.sources.forEach(function (s) {
      var row = document.createElement('tr');
      var failures = Object.keys(s.calls).filter(function (k) { return k !== 'ok' && k !== 'stale'; }).length > 0;
      row.append(text('td', s.name), text('td', s.kind), text('td', s.endpoints.join(', ')), text('td', String(s.operations)),
        text('td', pairs(s.calls), failures ? 'bad' : 'ok'), text('td', pairs(s.cache)));
      var purge = document.createElement('button');
      purge.textContent = 'purge cache';
      purge.onclick = function () {
        api('cache/purge', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: s.name }) })
          .then(function (r) { errorBox.className = 'ok'; errorBox.textContent = 'purged ' + r.removed + ' entries of ' + s.name; })
          .catch(function (e) { errorBox.className = 'bad'; errorBox.textContent = e.message; });
      };
      var cell = document.createElement('td'); cell.append(purge); row.append(cell);
      body.append(row);
    });
    table.hidden = false;
  }
  function refresh() {
    api('status').then(render).catch(function (e) { errorBox.className = 'bad'; errorBox.textContent = e.message; table.hidden = true; });
  }
  document.getElementById('login').onsubmit = function (event) {
    event.preventDefault();
    sessionStorage.setItem('interchange-admin-token', tokenInput.value);
    clearInterval(timer);
    refresh();
    timer = setInterval(refresh, 2000);
  };
  if (tokenInput.value) document.getElementById('login').onsubmit(new Event('submit'));
})();
</script>
</body>
</html>
`;
