// The operator console page: talks to brokerd's admin listener only (the
// page, its script and its data all come from there; no build step, no CDN).
"use strict";

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("brokerd-operator-token") || "";
let operatorName = sessionStorage.getItem("brokerd-operator") || "";
let live = null;
let selectedActor = null;
let pendingAction = null;

async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => ({}));
  if (r.status === 401 && path !== "/admin/v1/login") logout("Your session ended; log in again.");
  return { status: r.status, data };
}

function errorText(data) {
  return data && data.error ? data.error.code + ": " + data.error.message : "unexpected answer";
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  row.appendChild(td);
}

// --- login -------------------------------------------------------------------

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  const name = $("login-name").value;
  const r = await fetch("/admin/v1/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, password: $("login-password").value }),
  });
  const data = await r.json().catch(() => ({}));
  if (r.status !== 200) {
    $("login-error").textContent = errorText(data);
    return;
  }
  token = data.token;
  operatorName = data.operator;
  sessionStorage.setItem("brokerd-operator-token", token);
  sessionStorage.setItem("brokerd-operator", operatorName);
  start();
});

function logout(message) {
  token = "";
  sessionStorage.removeItem("brokerd-operator-token");
  if (live) live.close();
  live = null;
  $("console-view").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message || "";
}

// --- the live actor table ------------------------------------------------------

function watchQuery() {
  return {
    action: "watch",
    sort: $("actor-sort").value,
    kind: $("actor-kind").value,
    key: $("actor-key").value,
    limit: Math.max(1, Math.min(1000, Number($("actor-limit").value) || 20)),
  };
}

function connectLive() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  live = new WebSocket(scheme + location.host + "/admin/v1/live");
  live.onopen = () => {
    live.send(JSON.stringify({ action: "auth", token }));
    live.send(JSON.stringify(watchQuery()));
  };
  live.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "actors") showActors(msg);
    else if (msg.type === "charts") showCharts(msg.charts);
    else if (msg.type === "error" && msg.code === "unauthorized") logout("Your session ended; log in again.");
  };
  live.onclose = () => {
    $("link-status").textContent = "live feed closed";
    if (token) setTimeout(() => { if (token && (!live || live.readyState === WebSocket.CLOSED)) connectLive(); }, 2000);
  };
}

function showActors(msg) {
  const t = msg.table;
  $("actors-summary").textContent =
    `${t.matched} of ${t.total} · ` + Object.entries(t.kinds).map(([k, n]) => `${k} ${n}`).join(", ");
  $("link-status").textContent = (msg.exchangeUp ? "exchange up" : "EXCHANGE DOWN") + ` · ${msg.halts} halted · ${msg.at}`;
  const body = $("actors").tBodies[0];
  body.textContent = "";
  for (const a of t.actors) {
    const row = document.createElement("tr");
    row.dataset.id = a.id;
    row.dataset.kind = a.kind;
    row.dataset.key = a.key;
    if (String(a.id) === String(selectedActor)) row.className = "selected";
    for (const v of [a.id, a.kind, a.key, a.mailbox, a.messagesPerSecond, a.messages, a.handlerMs.toFixed(2),
                     a.idleMs, a.restarts])
      cell(row, v);
    row.addEventListener("click", () => showState(a.id));
    body.appendChild(row);
  }
}

for (const id of ["actor-sort", "actor-kind", "actor-key", "actor-limit"])
  $(id).addEventListener("change", () => live && live.readyState === WebSocket.OPEN && live.send(JSON.stringify(watchQuery())));
$("actor-filter").addEventListener("submit", (ev) => ev.preventDefault());

// --- load charts: requests per endpoint and the node's rates, 15 minutes ------

const svgNS = "http://www.w3.org/2000/svg";

// A sparkline of `values` (null: unknown, drawn as a gap), scaled to its own top.
function sparkline(values, title) {
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 " + values.length + " 100");
  svg.setAttribute("preserveAspectRatio", "none");
  const top = Math.max(1e-9, ...values.filter((v) => v !== null));
  let points = [];
  const flush = () => {
    if (points.length > 0) {
      const line = document.createElementNS(svgNS, "polyline");
      line.setAttribute("points", points.join(" "));
      line.setAttribute("vector-effect", "non-scaling-stroke");
      svg.appendChild(line);
    }
    points = [];
  };
  values.forEach((v, i) => {
    if (v === null) flush();
    else points.push(i + "," + (100 - (v / top) * 96 - 2).toFixed(1));
  });
  flush();
  const t = document.createElementNS(svgNS, "title");
  t.textContent = title + " (top " + top.toPrecision(3) + ")";
  svg.appendChild(t);
  return svg;
}

// The mean of the last `n` known values.
function recent(values, n) {
  const known = values.slice(-n).filter((v) => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
}

const rateNames = {
  quotePushes: "quotes fanned out /s",
  storeCommits: "store commits /s",
  ticksIngested: "ticks ingested /s",
  actorMessages: "actor messages /s",
};

function showCharts(c) {
  const minute = Math.max(1, Math.round(60 / c.slotSeconds));
  const windowText = "last " + Math.round((c.slots * c.slotSeconds) / 60) + " min";
  $("load-summary").textContent = windowText + ", one point per " + c.slotSeconds + " s; figures: last minute";
  for (const th of document.querySelectorAll("#endpoints th.window"))
    th.textContent = th.textContent.split(",")[0] + ", " + windowText;
  const rates = $("rates");
  rates.textContent = "";
  for (const r of c.rates) {
    const box = document.createElement("div");
    box.className = "rate";
    box.dataset.rate = r.name;
    const label = document.createElement("span");
    label.textContent = (rateNames[r.name] || r.name) + ": " + recent(r.perSecond, minute).toFixed(1);
    box.appendChild(label);
    box.appendChild(sparkline(r.perSecond, rateNames[r.name] || r.name));
    rates.appendChild(box);
  }
  const body = $("endpoints").tBodies[0];
  body.textContent = "";
  for (const e of c.endpoints) {
    const row = document.createElement("tr");
    row.dataset.endpoint = e.method + " " + e.endpoint;
    const last = e.perSecond.slice(-minute);
    cell(row, e.method + " " + e.endpoint);
    cell(row, recent(e.perSecond, minute).toFixed(2));
    // Per-slot quantiles averaged over the minute, weighted by requests.
    const weighted = (q) => {
      const w = last.reduce((a, b) => a + b, 0);
      return w ? q.slice(-minute).reduce((a, v, i) => a + v * last[i], 0) / w : 0;
    };
    cell(row, weighted(e.p50Ms).toFixed(2));
    cell(row, weighted(e.p99Ms).toFixed(2));
    cell(row, e.serverErrors.slice(-minute).reduce((a, b) => a + b, 0));
    for (const [values, title] of [[e.perSecond, "requests/s"], [e.p99Ms, "p99 ms"]]) {
      const td = document.createElement("td");
      td.appendChild(sparkline(values, title));
      row.appendChild(td);
    }
    body.appendChild(row);
  }
}

async function showState(id) {
  selectedActor = id;
  const r = await api("GET", "/admin/v1/actors/" + id);
  if (r.status !== 200) {
    $("state-title").textContent = `actor ${id}`;
    $("actor-state").textContent = errorText(r.data);
    return;
  }
  const a = r.data.actor;
  $("state-title").textContent = `${a.kind} ${a.key} (actor ${a.id}, mailbox ${a.mailbox})`;
  $("actor-state").textContent = JSON.stringify(r.data.state, null, 2);
}

// --- actions: asked, confirmed, then carried out -------------------------------

function ask(text, action, body) {
  pendingAction = { action, body };
  $("confirm-text").textContent = text;
  $("confirm-box").hidden = false;
}

$("confirm-no").addEventListener("click", () => {
  pendingAction = null;
  $("confirm-box").hidden = true;
});

$("confirm-yes").addEventListener("click", async () => {
  if (!pendingAction) return;
  const { action, body } = pendingAction;
  pendingAction = null;
  $("confirm-box").hidden = true;
  const r = await api("POST", "/admin/v1/actions/" + action, Object.assign({ confirm: true }, body));
  $("action-result").textContent =
    r.status === 200 ? `${action}: ${body.symbol} done` : `${action} refused: ${errorText(r.data)}`;
  loadHalts();
  loadAudit();
});

$("halt-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const symbol = $("halt-symbol").value.trim().toUpperCase();
  const reason = $("halt-reason").value.trim();
  ask(`Halt trading in ${symbol}? New orders will be refused until it resumes.`, "halt", { symbol, reason });
});

async function loadHalts() {
  const r = await api("GET", "/admin/v1/halts");
  const list = $("halts");
  list.textContent = "";
  for (const h of (r.data.halts || [])) {
    const li = document.createElement("li");
    li.dataset.symbol = h.symbol;
    li.textContent = `${h.symbol}: ${h.reason} (by ${h.operator}, since ${h.since}) `;
    const resume = document.createElement("button");
    resume.type = "button";
    resume.textContent = "Resume…";
    resume.addEventListener("click", () => ask(`Resume trading in ${h.symbol}?`, "resume", { symbol: h.symbol }));
    li.appendChild(resume);
    list.appendChild(li);
  }
}

// --- the tree and the audit log ---------------------------------------------------

function treeNode(n) {
  const li = document.createElement("li");
  li.textContent = `${n.kind} ${n.key}` + (n.id ? ` #${n.id}` : "") + (n.restarts ? ` (restarts: ${n.restarts})` : "")
                   + (n.childCount ? ` · ${n.childCount} children` : "");
  if (n.children && n.children.length) {
    const ul = document.createElement("ul");
    for (const c of n.children) ul.appendChild(treeNode(c));
    li.appendChild(ul);
  }
  return li;
}

async function loadTree() {
  const r = await api("GET", "/admin/v1/tree");
  const root = document.createElement("ul");
  if (r.status === 200) root.appendChild(treeNode(r.data));
  $("tree").textContent = "";
  $("tree").appendChild(root);
}

async function loadAudit() {
  const r = await api("GET", "/admin/v1/audit?limit=50");
  const body = $("audit").tBodies[0];
  body.textContent = "";
  for (const e of (r.data.entries || [])) {
    const row = document.createElement("tr");
    for (const v of [e.id, e.at, e.operator, e.action, e.target, e.detail, e.status]) cell(row, v);
    body.appendChild(row);
  }
}

$("tree-refresh").addEventListener("click", loadTree);
$("audit-refresh").addEventListener("click", loadAudit);

function start() {
  $("login-view").hidden = true;
  $("console-view").hidden = false;
  $("who").textContent = "operator " + operatorName;
  connectLive();
  loadHalts();
  loadTree();
  loadAudit();
}

if (token) start();
