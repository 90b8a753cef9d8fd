// The inspector's script: keeps the key for this browser session, loads server-rendered
// fragments with it, follows a running run over its SSE stream, and sends the page's forms to
// the public API. Plain JavaScript, no build step, nothing loaded from elsewhere.
"use strict";

const KEY = "asoto.key";
const body = document.body;
const view = document.getElementById("view");
let live = null; // what follows the open thread: {abort, timers}

function key() { return sessionStorage.getItem(KEY); }

function api(path, options = {}) {
  const headers = Object.assign({ "x-api-key": key() || "" }, options.headers || {});
  return fetch(path, Object.assign({}, options, { headers, cache: "no-store" }));
}

function toast(text, bad = false) {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.className = bad ? "bad" : "good";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

async function problem(response) {
  try {
    const data = await response.json();
    return `${response.status} ${data.code || ""}: ${data.detail || ""}`;
  } catch (_) {
    return `${response.status}`;
  }
}

function askForKey(invalid) {
  stopLive();
  sessionStorage.removeItem(KEY);
  document.getElementById("nav").hidden = true;
  view.innerHTML = "";
  const form = document.getElementById("key-form");
  form.hidden = false;
  document.getElementById("key-error").hidden = !invalid;
  form.querySelector("input").focus();
}

async function part(path) {
  const response = await api(path);
  if (response.status === 401) { askForKey(true); return null; }
  if (!response.ok) { view.innerHTML = ""; toast(await problem(response), true); return null; }
  return response.text();
}

async function signIn() {
  const html = await part("/ui/parts/me");
  if (html === null) return false;
  document.getElementById("me").innerHTML = html;
  document.getElementById("key-form").hidden = true;
  document.getElementById("nav").hidden = false;
  return true;
}

function stopLive() {
  if (!live) return;
  live.abort.abort();
  live.timers.forEach(clearInterval);
  live = null;
}

async function route() {
  stopLive();
  if (!key()) { askForKey(false); return; }
  const hash = location.hash.replace(/^#\/?/, "") || "threads";
  const [path, query] = hash.split("?");
  const parts = path.split("/");
  document.querySelectorAll("[data-nav]").forEach(a => a.classList.toggle("on", a.dataset.nav === parts[0]));
  let url;
  if (parts[0] === "threads" && parts[1]) url = `/ui/parts/threads/${encodeURIComponent(parts[1])}`;
  else if (parts[0] === "approvals") url = "/ui/parts/approvals";
  else url = "/ui/parts/threads" + (query ? `?${query}` : "");
  const html = await part(url);
  if (html === null) return;
  view.innerHTML = html;
  const thread = view.querySelector("section.thread");
  if (thread) follow(thread);
}

// --- following a thread: its run's SSE stream while one goes on, else a light poll for a new run

async function refreshGraph(threadId, signal) {
  const response = await api(`/threads/${threadId}/graph.svg`, { signal });
  if (response.ok) document.getElementById("graph").innerHTML = await response.text();
}

function follow(section) {
  const threadId = section.dataset.thread;
  const runId = section.dataset.activeRun;
  live = { abort: new AbortController(), timers: [] };
  const mine = live;
  const signal = mine.abort.signal;
  if (runId) {
    // checkpoints land as the run goes: redraw the path on every event and every half second
    mine.timers.push(setInterval(() => refreshGraph(threadId, signal).catch(() => {}), 500));
    joinStream(threadId, runId, signal)
      .catch(() => {})
      .finally(() => { if (live === mine) route(); });
    return;
  }
  const shown = section.querySelector(".run-row");
  const before = shown ? `${shown.dataset.run}:${shown.dataset.status}` : "";
  mine.timers.push(setInterval(async () => {
    const response = await api(`/threads/${threadId}/runs?limit=1`, { signal }).catch(() => null);
    if (!response || !response.ok || live !== mine) return;
    const [newest] = await response.json();
    const now = newest ? `${newest.run_id}:${newest.status}` : "";
    if (now !== before) route();
  }, 1000));
}

async function joinStream(threadId, runId, signal) {
  const response = await api(`/threads/${threadId}/runs/${runId}/stream`, { signal });
  if (!response.ok || !response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const counter = document.getElementById("live-count");
  let buffered = "";
  let count = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    const blocks = buffered.split(/\r?\n\r?\n/);
    buffered = blocks.pop();
    for (const block of blocks) {
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      if (!name) continue; // a heartbeat
      count += 1;
      counter.textContent = String(count);
      document.getElementById("live").dataset.lastEvent = name;
      await refreshGraph(threadId, signal).catch(() => {});
    }
  }
}

// --- forms: filters change the address; actions call the public API with the key

function payloadOf(form) {
  const payload = {};
  for (const input of form.querySelectorAll("[data-field]")) {
    let value = input.value;
    if (input.dataset.type === "json") {
      if (value.trim() === "") continue;
      try { value = JSON.parse(value); } catch (_) { throw new Error(`${input.dataset.field}: ${body.dataset.invalidJson}`); }
    } else if (input.dataset.type === "number") {
      if (value === "") continue;
      value = Number(value);
    }
    const path = input.dataset.field.split(".");
    let at = payload;
    path.slice(0, -1).forEach(p => { at = at[p] = at[p] || {}; });
    at[path[path.length - 1]] = value;
  }
  return payload;
}

function bodyOf(form, submitter) {
  if (form.dataset.kind === "fork") {
    return { assistant_id: form.elements.assistant_id.value, checkpoint_id: form.elements.checkpoint_id.value };
  }
  const decision = submitter ? submitter.value : "approve";
  const out = { decision };
  const comment = form.elements.comment && form.elements.comment.value.trim();
  if (comment) out.comment = comment;
  if (decision === "edit") out.payload = payloadOf(form);
  return out;
}

document.addEventListener("submit", async event => {
  const form = event.target;
  if (form.id === "key-form") {
    event.preventDefault();
    sessionStorage.setItem(KEY, form.elements.key.value.trim());
    form.reset();
    if (await signIn()) route();
    return;
  }
  if (form.dataset.filter === "threads") {
    event.preventDefault();
    const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v !== "")).toString();
    location.hash = "#/threads" + (query ? `?${query}` : "");
    return;
  }
  if (!form.dataset.api) return;
  event.preventDefault();
  let payload;
  try { payload = bodyOf(form, event.submitter); } catch (error) { toast(error.message, true); return; }
  form.querySelectorAll("button").forEach(b => { b.disabled = true; });
  const response = await api(form.dataset.api, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  if (!response.ok) {
    toast(await problem(response), true);
    form.querySelectorAll("button").forEach(b => { b.disabled = false; });
    return;
  }
  const made = await response.json();
  if (form.dataset.kind === "fork") {
    toast(body.dataset.forkDone);
    route();
  } else {
    const approval = form.closest("[data-approval]");
    approval.classList.add("decided");
    approval.dataset.status = made.approval ? made.approval.status : "";
    toast(`${body.dataset.decided}: ${approval.dataset.status}`);
    if (made.run && made.run.thread_id) location.hash = `#/threads/${made.run.thread_id}`;
  }
});

document.getElementById("forget").addEventListener("click", () => askForKey(false));
window.addEventListener("hashchange", route);
(async () => { if (key() && await signIn()) route(); else if (!key()) askForKey(false); })();
