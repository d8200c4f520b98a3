// authgate console: the live failure feed, the copy button and
// browser-relative times. Served from the binary; the page's CSP allows
// no other script.
"use strict";

function cell(row, text, code) {
  const td = document.createElement("td");
  if (code) {
    const c = document.createElement("code");
    c.textContent = text;
    td.appendChild(c);
  } else {
    td.textContent = text;
  }
  row.appendChild(td);
  return td;
}

function utc(iso) {
  return iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", "Z");
}

function failureRow(f) {
  const tr = document.createElement("tr");
  tr.className = "fresh";
  tr.dataset.requestId = f.request_id;
  const time = cell(tr, utc(f.time));
  time.className = "time";
  time.appendChild(document.createElement("br"));
  const a = document.createElement("a");
  a.className = "rid";
  a.href = "/console/requests/" + encodeURIComponent(f.request_id);
  const c = document.createElement("code");
  c.textContent = f.request_id;
  a.appendChild(c);
  time.appendChild(a);
  const status = cell(tr, f.status + " ");
  const code = document.createElement("code");
  code.textContent = f.reason;
  status.appendChild(code);
  const route = cell(tr, f.route || "");
  route.appendChild(document.createElement("br"));
  const req = document.createElement("span");
  req.className = "help";
  req.textContent = f.method + " " + f.path;
  route.appendChild(req);
  const who = f.who ? cell(tr, f.who) : cell(tr, f.fingerprint || "—", Boolean(f.fingerprint));
  who.className = "who";
  who.appendChild(document.createElement("br"));
  const client = document.createElement("span");
  client.className = "help";
  client.textContent = f.client || "";
  who.appendChild(client);
  cell(tr, f.detail || "").className = "detail";
  return tr;
}

function liveFeed() {
  const body = document.getElementById("feed");
  const state = document.getElementById("feed-state");
  if (!body || !window.EventSource) return;
  const source = new EventSource(body.dataset.stream);
  source.addEventListener("open", () => { state.textContent = "Live: new refusals appear at the top."; });
  source.addEventListener("error", () => { state.textContent = "The live feed is reconnecting…"; });
  source.addEventListener("failure", (ev) => {
    const f = JSON.parse(ev.data);
    body.insertBefore(failureRow(f), body.firstChild);
    const empty = document.getElementById("feed-empty");
    if (empty) empty.remove();
    while (body.rows.length > 500) body.deleteRow(body.rows.length - 1);
  });
}

function copyButtons() {
  document.querySelectorAll("button[data-copy]").forEach((b) => {
    b.addEventListener("click", async () => {
      const input = document.getElementById(b.dataset.copy);
      const note = b.parentElement.querySelector(".copied");
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
        note.textContent = "Copied.";
      } catch (e) {
        note.textContent = document.execCommand("copy") ? "Copied." : "Select the key and copy it by hand.";
      }
    });
  });
}

function words(seconds) {
  const s = Math.abs(Math.round(seconds));
  let text;
  if (s < 60) text = s + "s";
  else if (s < 3600) text = Math.floor(s / 60) + "m" + (s % 60) + "s";
  else if (s < 172800) text = Math.floor(s / 3600) + "h" + Math.floor((s % 3600) / 60) + "m";
  else text = Math.floor(s / 86400) + "d";
  return seconds >= 0 ? text + " ago" : "in " + text;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

// localTimes shows the chart's axis and any data-epoch-time element in
// this browser's local time, and adds local time to each bar's tooltip
// (which names UTC).
function localTimes() {
  document.querySelectorAll("[data-epoch-time]").forEach((el) => {
    const d = new Date(Number(el.dataset.epochTime) * 1000);
    el.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes());
    el.setAttribute("data-utc", d.toISOString().slice(11, 16) + "Z");
  });
  document.querySelectorAll("a.bar[data-epoch-from]").forEach((a) => {
    const d = new Date(Number(a.dataset.epochFrom) * 1000);
    const title = a.querySelector("title");
    if (title) title.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + " local, " + title.textContent;
  });
}

function browserTimes() {
  const now = Date.now() / 1000;
  document.querySelectorAll("td[data-epoch]").forEach((el) => {
    el.textContent = words(now - Number(el.dataset.epoch));
  });
  const g = document.querySelector("[data-gateway-now]");
  if (g) {
    const skew = now - Number(g.dataset.gatewayNow);
    const note = document.createElement("span");
    note.textContent = Math.abs(skew) < 5
      ? " This browser's clock agrees with it."
      : " This browser's clock is " + Math.round(Math.abs(skew)) + "s " + (skew > 0 ? "ahead of" : "behind") + " it.";
    g.appendChild(note);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  liveFeed();
  copyButtons();
  browserTimes();
  localTimes();
});
