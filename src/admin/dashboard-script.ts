/**
 * The dashboard's script (served as `/admin/assets/dashboard.js`). It reads `/admin/api/stats` as an SSE stream
 * through fetch (EventSource cannot send the token), keeps the last hour in arrays, and draws the topology
 * (SVG), the time curves (uPlot), a latency heat map per source (canvas) and the tables. Plain browser
 * JavaScript, no build step.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var HOUR = 3600, HEAT_STEP = 30, HEAT_COLUMNS = HOUR / HEAT_STEP;
  var COLORS = { ok: '#1b7f3b', degraded: '#c77700', down: '#b3261e', idle: '#9aa0a6' };
  var CODE_COLORS = ['#b3261e', '#c77700', '#6a1b9a', '#00838f', '#5d4037', '#ad1457', '#283593', '#2e7d32'];
  var SVG = 'http://www.w3.org/2000/svg';
  function $(id) { return document.getElementById(id); }
  var tokenInput = $('token'), errorBox = $('error'), dash = $('dash');
  var controller = null, state = null, charts = {}, chartCodes = '';
  tokenInput.value = sessionStorage.getItem('interchange-admin-token') || '';

  function showError(message, ok) { errorBox.className = ok ? 'ok' : 'bad'; errorBox.textContent = message; }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function fmt(n, digits) { return n === null || n === undefined ? '–' : Number(n).toFixed(digits === undefined ? 1 : digits); }
  function pct(n) { return n === null || n === undefined ? '–' : (100 * n).toFixed(1) + '%'; }
  function authHeaders(extra) { return Object.assign({ authorization: 'Bearer ' + tokenInput.value }, extra || {}); }

  // ---- the stream
  function connect() {
    if (controller) controller.abort();
    controller = new AbortController();
    var signal = controller.signal;
    fetch('/admin/api/stats', { headers: authHeaders({ accept: 'text/event-stream' }), signal: signal })
      .then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (body) { throw new Error(body.error || ('HTTP ' + response.status)); });
        }
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = '';
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error('the stats stream ended');
            buffer += decoder.decode(chunk.value, { stream: true });
            var blocks = buffer.split('\n\n');
            buffer = blocks.pop();
            blocks.forEach(handleBlock);
            return pump();
          });
        }
        return pump();
      })
      .catch(function (error) {
        if (signal.aborted) return;
        dash.hidden = true;
        showError(error.message);
      });
  }

  function handleBlock(block) {
    var event = 'message', data = '';
    block.split('\n').forEach(function (line) {
      if (line.indexOf('event: ') === 0) event = line.slice(7);
      else if (line.indexOf('data: ') === 0) data += line.slice(6);
    });
    if (!data) return;
    var message = JSON.parse(data);
    if (event === 'snapshot') reset(message); else append(message);
    render(message);
  }

  // ---- the last hour, kept here
  function reset(message) {
    state = { t: [], requests: [], p50: [], p95: [], p99: [], hit: [], stale: [], codes: {}, heat: {}, events: [], bounds: message.latencyBoundsMs };
    append(message);
  }

  function append(message) {
    var h = message.history, g = h.gateway, n = g.requests.length, i;
    var codes = Object.keys(h.errorsByCode);
    codes.forEach(function (code) { if (!state.codes[code]) state.codes[code] = state.t.map(function () { return 0; }); });
    for (i = 0; i < n; i++) {
      state.t.push(h.from + i);
      state.requests.push(g.requests[i]);
      state.p50.push(g.p50[i]); state.p95.push(g.p95[i]); state.p99.push(g.p99[i]);
      state.hit.push(g.calls[i] > 0 ? g.hits[i] / g.calls[i] : null);
      state.stale.push(g.calls[i] > 0 ? g.staleCalls[i] / g.calls[i] : null);
      Object.keys(state.codes).forEach(function (code) { state.codes[code].push(h.errorsByCode[code] ? h.errorsByCode[code][i] : 0); });
    }
    var drop = state.t.length - HOUR;
    if (drop > 0) {
      ['t', 'requests', 'p50', 'p95', 'p99', 'hit', 'stale'].forEach(function (k) { state[k].splice(0, drop); });
      Object.keys(state.codes).forEach(function (code) { state.codes[code].splice(0, drop); });
    }
    Object.keys(h.sources).forEach(function (name) {
      var heat = state.heat[name] || (state.heat[name] = {});
      h.sources[name].latency.forEach(function (counts, j) {
        var column = Math.floor((h.from + j) / HEAT_STEP);
        var cell = heat[column] || (heat[column] = counts.map(function () { return 0; }));
        counts.forEach(function (c, k) { cell[k] += c; });
      });
      var oldest = Math.floor((h.from + n) / HEAT_STEP) - HEAT_COLUMNS;
      Object.keys(heat).forEach(function (column) { if (Number(column) <= oldest) delete heat[column]; });
    });
    message.events.forEach(function (event) {
      var known = state.events.findIndex(function (e) { return e.id === event.id; });
      if (known >= 0) state.events[known] = event; else state.events.push(event);
    });
    if (state.events.length > 200) state.events.splice(0, state.events.length - 200);
  }

  // ---- drawing
  function render(message) {
    showError('');
    dash.hidden = false;
    $('meta').textContent = 'up since ' + message.startedAt + ' · configuration version ' + message.configVersion + ' loaded ' + message.configLoadedAt +
      ' · ' + fmt(message.gateway.requestsPerSecond) + ' req/s · history ' + (message.historyBytes / 1048576).toFixed(1) + ' MB';
    var first = message.sources.filter(function (s) { return s.health === 'down' || s.health === 'degraded'; });
    $('look-first').textContent = first.length ? 'Look first at: ' + message.lookFirst.filter(function (n) { return first.some(function (s) { return s.name === n; }); }).join(', ') : 'Every backend looks healthy.';
    drawTopology(message);
    drawCharts();
    drawHeatmaps(message.sources);
    drawSources(message.sources);
    drawOperations(message.operations);
    drawEvents();
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function edgeLabel(rate, p95, errors) { return fmt(rate) + '/s · p95 ' + fmt(p95, 0) + ' ms · ' + pct(errors); }

  function drawTopology(message) {
    var root = $('topology');
    var rows = [];
    message.sources.forEach(function (s) { s.replicas.forEach(function (r) { rows.push({ source: s, replica: r }); }); });
    var rowHeight = 46, height = Math.max(message.sources.length, rows.length, 1) * rowHeight + 30, width = 1100;
    root.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    root.replaceChildren();
    var mid = height / 2;
    function node(x, y, w, label, sub, health, data) {
      var g = svg('g', Object.assign({ 'data-health': health }, data));
      g.append(svg('rect', { x: x, y: y - 18, width: w, height: 36, rx: 6, fill: '#fff', stroke: COLORS[health] || COLORS.idle, 'stroke-width': 2.5 }));
      g.append(svg('text', { x: x + 8, y: y - 3, 'font-size': 12, 'font-weight': 600 }, label));
      if (sub) g.append(svg('text', { x: x + 8, y: y + 12, 'font-size': 10, fill: '#6b7280' }, sub));
      root.append(g);
    }
    function edge(x1, y1, x2, y2, health, label) {
      root.append(svg('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: COLORS[health] || COLORS.idle, 'stroke-width': 2 }));
      // Labels sit past the middle, where edges that fan out from one node have spread apart.
      root.append(svg('text', { x: x1 + (x2 - x1) * 0.6 - 60, y: y1 + (y2 - y1) * 0.6 - 4, 'font-size': 10, fill: '#374151' }, label));
    }
    var g = message.gateway;
    var gatewayHealth = g.requestsPerSecond === 0 ? 'idle' : g.errorRate > 0.5 ? 'down' : g.errorRate > 0.05 ? 'degraded' : 'ok';
    edge(110, mid, 260, mid, gatewayHealth, edgeLabel(g.requestsPerSecond, g.p95Ms, g.errorRate));
    var sourceY = {};
    var spacing = height / Math.max(message.sources.length, 1);
    message.sources.forEach(function (s, i) {
      var y = spacing * (i + 0.5);
      sourceY[s.name] = y;
      edge(370, mid, 560, y, s.health, edgeLabel(s.recent.requestsPerSecond, s.recent.p95Ms, s.recent.clientErrorRate));
    });
    var replicaSpacing = height / Math.max(rows.length, 1);
    rows.forEach(function (row, i) {
      var y = replicaSpacing * (i + 0.5), r = row.replica;
      edge(720, sourceY[row.source.name], 880, y, r.health, edgeLabel(r.callsPerSecond, r.p95Ms, r.errorRate));
      node(880, y, 210, r.endpoint.replace(/^https?:\/\//, ''), r.healthy === false ? 'unhealthy' : r.health, r.health, { 'data-replica': r.endpoint, 'data-of': row.source.name });
    });
    node(10, mid, 100, 'clients', '', gatewayHealth, { 'data-node': 'clients' });
    node(260, mid, 110, 'gateway', 'v' + message.configVersion, gatewayHealth, { 'data-node': 'gateway' });
    message.sources.forEach(function (s) {
      var sub = s.kind + (s.breaker ? ' · breaker ' + s.breaker.replace('_', '-') : '') + (s.staleServing ? ' · STALE' : '');
      node(560, sourceY[s.name], 160, s.name, sub, s.health, { 'data-source': s.name, 'data-stale': String(s.staleServing), 'data-breaker': s.breaker || 'none' });
    });
  }

  // A value with no neighbour (a second of traffic between idle ones) makes no line segment: it is drawn as a
  // point instead, or a short burst would not show at all. Dense data keeps plain lines.
  function isolatedPoints(self, seriesIdx) {
    var d = self.data[seriesIdx];
    var out = [];
    for (var i = 0; i < d.length; i++) if (d[i] != null && d[i - 1] == null && d[i + 1] == null) out.push(i);
    return out;
  }

  function chart(id, series, data, yRange) {
    var target = $(id);
    var key = id + ':' + series.map(function (s) { return s.label; }).join(',');
    if (!charts[id] || charts[id].key !== key) {
      if (charts[id]) charts[id].plot.destroy();
      var options = {
        width: Math.max(target.clientWidth, 300), height: 180,
        scales: { x: { time: true }, y: yRange ? { range: yRange } : { auto: true } },
        series: [{}].concat(series.map(function (s) { return { label: s.label, stroke: s.color, width: 1.5, spanGaps: false, points: { show: true, size: 5, fill: s.color, filter: isolatedPoints } }; })),
        legend: { live: false },
      };
      charts[id] = { key: key, plot: new uPlot(options, data, target) };
      target.dataset.drawn = 'true';
    } else {
      charts[id].plot.setData(data);
    }
  }

  function drawCharts() {
    var t = state.t;
    chart('chart-requests', [{ label: 'req/s', color: '#1d4ed8' }], [t, state.requests]);
    chart('chart-latency', [{ label: 'p50', color: '#16a34a' }, { label: 'p95', color: '#c77700' }, { label: 'p99', color: '#b3261e' }], [t, state.p50, state.p95, state.p99]);
    var codes = Object.keys(state.codes).sort();
    var codeSeries = codes.length ? codes.map(function (c, i) { return { label: c, color: CODE_COLORS[i % CODE_COLORS.length] }; }) : [{ label: 'errors', color: '#b3261e' }];
    chart('chart-errors', codeSeries, [t].concat(codes.length ? codes.map(function (c) { return state.codes[c]; }) : [t.map(function () { return 0; })]));
    chart('chart-cache', [{ label: 'hit ratio', color: '#1b7f3b' }, { label: 'stale ratio', color: '#c77700' }], [t, state.hit, state.stale], [0, 1]);
  }

  function drawHeatmaps(sources) {
    var box = $('heatmaps');
    var now = state.t.length ? state.t[state.t.length - 1] : Math.floor(Date.now() / 1000);
    var lastColumn = Math.floor(now / HEAT_STEP);
    sources.forEach(function (s) {
      var canvas = box.querySelector('canvas[data-source="' + s.name + '"]');
      if (!canvas) {
        var panel = el('div', undefined, 'panel heat');
        panel.append(el('h3', s.name + ' (' + s.kind + ')'));
        canvas = document.createElement('canvas');
        canvas.className = 'heatmap';
        canvas.dataset.source = s.name;
        panel.append(canvas);
        box.append(panel);
      }
      var width = canvas.clientWidth || 600, height = 140, left = 58;
      canvas.width = width; canvas.height = height;
      var ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, width, height);
      var bounds = state.bounds, rows = bounds.length + 1, cellW = (width - left) / HEAT_COLUMNS, cellH = (height - 14) / rows;
      var heat = state.heat[s.name] || {}, max = 0, cells = 0;
      Object.keys(heat).forEach(function (c) { heat[c].forEach(function (v) { if (v > max) max = v; }); });
      Object.keys(heat).forEach(function (c) {
        var x = left + (HEAT_COLUMNS - 1 - (lastColumn - Number(c))) * cellW;
        heat[c].forEach(function (v, k) {
          if (!v) return;
          cells++;
          var strength = Math.log(1 + v) / Math.log(1 + max);
          ctx.fillStyle = 'hsl(' + (220 - 220 * strength) + ', 80%, ' + (88 - 50 * strength) + '%)';
          ctx.fillRect(x, height - 14 - (k + 1) * cellH, Math.ceil(cellW), Math.ceil(cellH));
        });
      });
      ctx.fillStyle = '#6b7280'; ctx.font = '10px system-ui';
      for (var k = 0; k < rows; k += 3) ctx.fillText(k < bounds.length ? '≤' + bounds[k] + ' ms' : '>' + bounds[bounds.length - 1], 2, height - 14 - k * cellH - 2);
      ctx.fillText('−60 min', left, height - 2); ctx.fillText('now', width - 24, height - 2);
      canvas.dataset.cells = String(cells);
    });
  }

  function drawSources(sources) {
    var body = $('sources').querySelector('tbody');
    body.replaceChildren();
    sources.forEach(function (s) {
      var row = document.createElement('tr');
      var health = el('td'); health.append(el('span', s.health, 'badge b-' + s.health));
      var up = s.replicas.filter(function (r) { return r.health !== 'down'; }).length;
      var trend = s.p95Change === null ? '–' : '×' + s.p95Change.toFixed(2) + ' vs the hour';
      row.append(el('td', s.name), el('td', s.kind), health, el('td', fmt(s.recent.requestsPerSecond)), el('td', fmt(s.recent.callsPerSecond)),
        el('td', fmt(s.recent.p95Ms, 0)), el('td', pct(Math.max(s.recent.errorRate, s.recent.clientErrorRate)), s.recent.errorRate > 0.05 ? 'bad' : ''),
        el('td', pct(s.recent.hitRatio)), el('td', s.staleServing ? 'serving stale' : pct(s.recent.staleRatio), s.staleServing ? 'warn' : ''),
        el('td', s.breaker ? s.breaker.replace('_', '-') : '–', s.breaker === 'open' ? 'bad' : ''), el('td', up + '/' + s.replicas.length, up < s.replicas.length ? 'bad' : ''),
        el('td', trend, s.p95Change !== null && s.p95Change > 1.5 ? 'warn' : ''));
      var purge = el('button', 'purge cache');
      purge.onclick = function () {
        fetch('/admin/api/cache/purge', { method: 'POST', headers: authHeaders({ 'content-type': 'application/json' }), body: JSON.stringify({ source: s.name }) })
          .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error(b.error || ('HTTP ' + r.status)); return b; }); })
          .then(function (b) { showError('purged ' + b.removed + ' entries of ' + s.name, true); })
          .catch(function (e) { showError(e.message); });
      };
      var cell = el('td'); cell.append(purge); row.append(cell);
      body.append(row);
    });
  }

  function drawOperations(operations) {
    var body = $('operations').querySelector('tbody');
    body.replaceChildren();
    operations.forEach(function (o) {
      var row = document.createElement('tr');
      row.append(el('td', o.name), el('td', String(o.count)), el('td', fmt(o.p50Ms, 0)), el('td', fmt(o.p95Ms, 0)), el('td', String(o.errors), o.errors ? 'bad' : ''));
      body.append(row);
    });
  }

  function drawEvents() {
    var body = $('events').querySelector('tbody');
    body.replaceChildren();
    state.events.slice().reverse().slice(0, 50).forEach(function (e) {
      var row = document.createElement('tr');
      var bad = e.type === 'breaker' || e.type === 'stale_started' || e.type === 'abuse' || (e.type === 'replica_health' && e.summary.indexOf('unhealthy') >= 0);
      row.append(el('td', new Date(e.at).toLocaleTimeString()), el('td', e.type), el('td', e.summary, bad ? 'bad' : ''), el('td', String(e.count)));
      body.append(row);
    });
  }

  $('login').onsubmit = function (event) {
    event.preventDefault();
    sessionStorage.setItem('interchange-admin-token', tokenInput.value);
    connect();
  };
  if (tokenInput.value) connect();
})();
`;
