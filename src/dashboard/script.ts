import { STATUSES } from "../engine/types";

/**
 * The dashboard's script, served as /dashboard.js. Plain browser JavaScript: the API key lives in
 * this tab's sessionStorage and goes out as a Bearer header; nothing is kept in cookies.
 */
export const DASHBOARD_JS = String.raw`
"use strict";
const STATUSES = ${JSON.stringify(STATUSES)};
const KEY = "cascade-api-key";
const $ = (s) => document.querySelector(s);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const badge = (s) => '<span class="badge ' + esc(s) + '">' + esc(s) + "</span>";
const when = (t) => (t ? new Date(t).toLocaleString() : "—");
const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
const secs = (a, b) => (a && b ? ((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1) + " s" : "—");

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers || {}), authorization: "Bearer " + sessionStorage.getItem(KEY) } });
  if (res.status === 401) { sessionStorage.removeItem(KEY); route(); throw new Error("signed out"); }
  if (!res.ok) { const e = await res.json().catch(() => ({})); throw new Error((e.error && e.error.message) || res.statusText); }
  return res;
}
const json = async (path, init) => (await api(path, init)).json();

function signIn(message) {
  $("#nav").hidden = true; $("#signout").hidden = true; $("#who").textContent = "";
  $("#main").innerHTML = '<form class="signin" id="signin"><h2>Sign in</h2><label>API key<input id="key" name="key" type="password" autocomplete="off" required></label>' +
    '<button type="submit">Sign in</button><p class="err" id="signin-error">' + esc(message || "") + "</p></form>";
  $("#signin").onsubmit = async (e) => {
    e.preventDefault();
    const key = $("#key").value.trim();
    const res = await fetch("/api/client", { headers: { authorization: "Bearer " + key } });
    if (!res.ok) return signIn("That key was not accepted.");
    sessionStorage.setItem(KEY, key);
    route();
  };
}

async function taskgroups(params) {
  const status = params.get("status") || "";
  const q = new URLSearchParams({ limit: "25" }); if (status) q.set("status", status); if (params.get("cursor")) q.set("cursor", params.get("cursor"));
  const data = await json("/api/taskgroup?" + q);
  const options = ["", ...STATUSES].map((s) => "<option" + (s === status ? " selected" : "") + ">" + s + "</option>").join("");
  $("#main").innerHTML = '<h2>Taskgroups</h2><p>Status <select id="status">' + options + "</select></p>" +
    "<table><thead><tr><th>Task id</th><th>Kind</th><th>Status</th><th>Created</th><th>Updated</th></tr></thead><tbody>" +
    data.taskgroups.map((t) => '<tr><td><a class="tg" href="#/taskgroup/' + esc(t.task_id) + '"><code>' + esc(t.task_id) + "</code></a></td><td>" + esc(t.kind) + "</td><td>" + badge(t.status) + "</td><td>" + when(t.created_at) + "</td><td>" + when(t.updated_at) + "</td></tr>").join("") +
    "</tbody></table>" + (data.next_cursor ? '<p><a href="#/?' + esc(new URLSearchParams({ status, cursor: data.next_cursor })) + '">Next page →</a></p>' : "");
  $("#status").onchange = (e) => { location.hash = "#/?" + new URLSearchParams({ status: e.target.value }); };
}

async function preview(cell, url, type) {
  const blob = await (await api(url)).blob();
  const src = URL.createObjectURL(blob);
  cell.insertAdjacentHTML("beforeend", type.startsWith("image/") ? '<img class="preview" alt="output preview" src="' + src + '">' : '<video class="preview" controls src="' + src + '"></video>');
}

async function taskgroup(id) {
  const t = await json("/api/taskgroup/" + encodeURIComponent(id));
  const steps = t.steps.map((s, i) =>
    "<tr><td>" + (i + 1) + ". " + esc(s.configuration) + "</td><td>" + badge(s.state) + "</td><td>" + s.attempts + "</td><td>" + secs(s.started_at, s.ended_at) +
    '</td><td><div class="bar"><span style="width:' + (s.progress ?? (s.state === "succeeded" ? 100 : 0)) + '%"></span></div></td><td class="out" data-i="' + i + '">' +
    (s.output ? '<a href="#" class="dl" data-i="' + i + '">' + esc(s.output.file_name) + "</a> <span class=muted>" + esc(s.output.content_type) + ", " + s.output.size + " B</span>" : "") +
    (s.error ? '<div class="err">' + esc(s.error) + "</div>" : "") + "</td></tr>").join("");
  const deliveries = t.deliveries.map((d) =>
    '<tr class="delivery" data-id="' + esc(d.id) + '"><td><code>' + esc(d.id) + "</code><br><span class=muted>" + esc(d.kind) + " · " + esc(d.event) + "</span></td><td><code>" + esc(d.url) + "</code></td><td>" + badge(d.state) +
    "</td><td><ol class=attempts>" + d.attempts.map((a) => "<li>" + when(a.at) + " — " + (a.status ?? esc(a.error)) + " (" + a.latency_ms + " ms)</li>").join("") + "</ol></td><td>" +
    (d.state === "dead" ? '<button class="redeliver" data-id="' + esc(d.id) + '">Redeliver</button>' : "") + "</td></tr>").join("");
  $("#main").innerHTML = "<h2>Taskgroup <code>" + esc(t.task_id) + "</code> " + badge(t.status) + "</h2><p class=muted>created " + when(t.created_at) + " · started " + when(t.started_at) + " · ended " + when(t.ended_at) + "</p>" +
    '<p><button id="refresh">Refresh</button> ' + (["Queued", "Running"].includes(t.status) ? '<button id="cancel">Cancel</button>' : "") + (t.status === "Failed" ? '<button id="retry">Retry</button>' : "") + "</p>" +
    "<h3>Steps</h3><table><thead><tr><th>Step</th><th>State</th><th>Attempts</th><th>Duration</th><th>Progress</th><th>Output</th></tr></thead><tbody>" + steps + "</tbody></table>" +
    "<h3>Deliveries</h3><table><thead><tr><th>Message</th><th>URL</th><th>State</th><th>Attempts</th><th></th></tr></thead><tbody>" + (deliveries || '<tr><td colspan=5 class=muted>none</td></tr>') + "</tbody></table>";
  t.steps.forEach((s, i) => { if (s.output && /^(image|video)\//.test(s.output.content_type)) preview(document.querySelector('td.out[data-i="' + i + '"]'), s.output.url, s.output.content_type).catch(() => {}); });
  document.querySelectorAll("a.dl").forEach((a) => (a.onclick = async (e) => {
    e.preventDefault(); const s = t.steps[Number(a.dataset.i)];
    const link = document.createElement("a"); link.href = URL.createObjectURL(await (await api(s.output.url)).blob()); link.download = s.output.file_name; link.click();
  }));
  document.querySelectorAll("button.redeliver").forEach((b) => (b.onclick = async () => {
    b.disabled = true; b.textContent = "Sending…";
    await api("/api/taskgroup/" + encodeURIComponent(id) + "/deliveries/" + encodeURIComponent(b.dataset.id) + "/redeliver", { method: "POST" });
    setTimeout(route, 800);
  }));
  $("#refresh").onclick = route;
  if ($("#cancel")) $("#cancel").onclick = async () => { await api("/api/taskgroup/" + id + "/cancel", { method: "POST" }); route(); };
  if ($("#retry")) $("#retry").onclick = async () => { await api("/api/taskgroup/" + id + "/retry", { method: "POST" }); route(); };
}

function table(title, head, rows) {
  $("#main").innerHTML = "<h2>" + title + "</h2><table><thead><tr>" + head.map((h) => "<th>" + h + "</th>").join("") + "</tr></thead><tbody>" +
    (rows.length ? rows.map((r) => "<tr>" + r.map((c) => "<td>" + c + "</td>").join("") + "</tr>").join("") : '<tr><td colspan=' + head.length + ' class=muted>none</td></tr>') + "</tbody></table>";
}

const bytes = (n) => (n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : n < 1073741824 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB");
const age = (s) => (s === null ? "—" : s < 120 ? s + " s" : s < 7200 ? Math.round(s / 60) + " min" : (s / 3600).toFixed(1) + " h");
const counts = (title, rows, extra) =>
  "<h3>" + title + "</h3><table><thead><tr><th>Reason</th><th>Count</th>" + (extra ? "<th>Last</th>" : "") + "</tr></thead><tbody>" +
  (rows.length ? rows.map((r) => '<tr class="reason"><td><code>' + esc(r.reason) + "</code></td><td>" + r.count + "</td>" + (extra ? "<td>" + when(r.last_at) + "</td>" : "") + "</tr>").join("") : '<tr><td colspan=3 class=muted>none</td></tr>') +
  "</tbody></table>";

/** The System page: GET /api/system (the same data as JSON). */
async function systemPage() {
  const s = await json("/api/system");
  $("#main").innerHTML = '<h2>System</h2><p class=muted>as of ' + when(s.generated_at) + " · " + plural(s.scanned.taskgroups, "taskgroup") + ' read · the same as JSON: <code>GET /api/system</code></p>' +
    '<div class="cards"><div class="card" id="storage-use"><div class=muted>R2 storage</div><div class="n">' + bytes(s.storage.bytes) + "</div><div>" + plural(s.storage.objects, "object") + (s.storage.complete ? "" : " (counted up to here)") + "</div></div>" +
    '<div class="card"><div class=muted>Dead letters</div><div class="n">' + s.dead_letters.reduce((n, r) => n + r.count, 0) + '</div><div><a href="#/dead">list</a></div></div>' +
    '<div class="card"><div class=muted>Failed steps (recent)</div><div class="n">' + s.recent_failures.reduce((n, r) => n + r.count, 0) + "</div></div></div>" +
    "<h3>Queues</h3><table><thead><tr><th>Queue</th><th>Waiting</th><th>Running</th><th>Oldest waiting</th></tr></thead><tbody>" +
    s.queues.map((q) => '<tr class="queue"><td><code>' + esc(q.queue) + "</code></td><td>" + q.waiting + "</td><td>" + q.running + "</td><td>" + age(q.oldest_waiting_s) + "</td></tr>").join("") +
    "</tbody></table>" + counts("Dead letters by reason", s.dead_letters, false) + counts("Recent step failures by reason", s.recent_failures, true);
}

const pages = {
  system: systemPage,
  configurations: async () => table("Configurations", ["Name", "Adapters", "Updated"], (await json("/api/configurations")).configurations.map((c) =>
    [esc(c.name), esc((c.chain || [c]).map((l) => l.adapter).join(" → ")) + "<details><summary>params</summary><pre>" + esc(JSON.stringify(c.chain || c.params, null, 2)) + "</pre></details>", when(c.updated_at)])),
  assets: async () => table("Assets", ["Name", "Type", "Size", "Uploaded"], (await json("/api/assets")).assets.map((a) => [esc(a.name), esc(a.content_type), a.size + " B", when(a.uploaded)])),
  storage: async () => table("Storage targets", ["Name", "Bucket", "Endpoint", "Access key", "Secret", "Notify"], (await json("/api/storage")).storage.map((s) =>
    [esc(s.name), esc(s.bucket) + (s.prefix ? "/" + esc(s.prefix) : ""), esc(s.endpoint || "AWS " + s.region), "<code>" + esc(s.access_key_id) + "</code>", "<code>" + esc(s.secret_access_key) + "</code>", esc(s.notify || "")])),
  dead: async () => table("Dead-lettered deliveries", ["Message", "Taskgroup", "URL", "Attempts", "Ended"], (await json("/api/deliveries?state=dead")).deliveries.map((d) =>
    ["<code>" + esc(d.id) + "</code>", '<a href="#/taskgroup/' + esc(d.task_id) + '"><code>' + esc(d.task_id) + "</code></a>", "<code>" + esc(d.url) + "</code>", d.attempts, when(d.ended_at)])),
};

async function route() {
  if (!sessionStorage.getItem(KEY)) return signIn();
  $("#nav").hidden = false; $("#signout").hidden = false;
  try {
    if (!$("#who").textContent) $("#who").textContent = (await json("/api/client")).client;
    const [path, query] = (location.hash.slice(1) || "/").split("?");
    const params = new URLSearchParams(query || "");
    const m = /^\/taskgroup\/([\w-]+)$/.exec(path);
    if (m) await taskgroup(m[1]);
    else if (pages[path.slice(1)]) await pages[path.slice(1)]();
    else await taskgroups(params);
  } catch (err) {
    if (String(err.message) !== "signed out") $("#main").innerHTML = '<p class="err">' + esc(err.message) + "</p>";
  }
}

$("#signout").onclick = () => { sessionStorage.removeItem(KEY); location.hash = "#/"; route(); };
window.addEventListener("hashchange", route);
route();
`;
