// The labelling page: shows one pair at a time, sends answers to the JSON API, handles keys 0-5 / s / u.
// Sentences are only ever put on the page with textContent, so markup in them shows as text.
"use strict";

(function () {
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const live = document.querySelector('meta[name="live"]').content === "true";
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const RETRIES = [500, 1000, 2000, 4000]; // the server cannot be reached (restarting, network)
  const BUSY_RETRIES = [1000, 2000]; // 503: the label store cannot be written right now
  const WAIT_POLL_MS = 1000;
  const LEASE_RENEW_MS = 30000;

  let annotator = null;
  let item = null; // {pair_id, request_id, sentence_a, sentence_b, correction?}
  let busy = false;
  let pollTimer = null;

  function newClientId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works on plain-HTTP LAN addresses, unlike crypto.randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function setBusy(value) {
    busy = value;
    document.querySelectorAll("#answers button").forEach((button) => { button.disabled = value; });
    body.dataset.state = value ? "busy" : (item ? "ready" : "idle");
  }

  function actionDone() {
    body.dataset.actions = String(Number(body.dataset.actions) + 1);
  }

  async function call(method, path, payload, retry) {
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(path, {
          method: method,
          credentials: "same-origin",
          headers: method === "GET" ? {} : { "Content-Type": "application/json", "X-CSRF-Token": csrfToken },
          body: method === "GET" ? undefined : JSON.stringify(payload || {}),
        });
      } catch (networkError) {
        response = null;
      }
      if (response && response.status < 500) {
        let data = {};
        try { data = await response.json(); } catch (e) { data = { error: "the server sent no JSON" }; }
        if (!response.ok) {
          const error = new Error(data.error || ("HTTP " + response.status));
          error.status = response.status;
          throw error;
        }
        return data;
      }
      let reason = response ? "server error " + response.status : "the server cannot be reached";
      if (response) {
        try { reason = (await response.json()).error || reason; } catch (e) { /* not JSON */ }
      }
      const waits = response && response.status === 503 ? BUSY_RETRIES : RETRIES;
      if (!retry || attempt >= waits.length) {
        const error = new Error(reason);
        error.status = response ? response.status : 0;
        throw error;
      }
      setStatus("not saved yet: " + reason + "; retrying…", "error");
      await new Promise((resolve) => setTimeout(resolve, waits[attempt]));
    }
  }

  function showProgress(progress) {
    if (!progress) return;
    const parts = [];
    if (progress.task_total > 0) parts.push(progress.task_done + " / " + progress.task_total + " judged by you");
    else parts.push(progress.answered + " answered by you");
    if (live || progress.pending > 0) parts.push(progress.pending + " waiting");
    $("progress").textContent = parts.join(" · ");
  }

  function schedulePoll(delay) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(loadNext, delay);
  }

  function show(next, waiting) {
    item = next;
    document.querySelectorAll(".score.chosen").forEach((b) => b.classList.remove("chosen"));
    if (item) {
      $("sentence-a").textContent = item.sentence_a;
      $("sentence-b").textContent = item.sentence_b;
      $("pair").hidden = false;
      $("answers").hidden = false;
      $("message").textContent = item.correction ? "Correct your answer to this pair:" : "";
      body.dataset.pairId = String(item.pair_id);
      if (live && item.request_id !== null && !item.correction) schedulePoll(LEASE_RENEW_MS);
    } else {
      $("pair").hidden = true;
      $("answers").hidden = true;
      delete body.dataset.pairId;
      if (waiting) {
        $("message").textContent = "Waiting for the next pair…";
        schedulePoll(WAIT_POLL_MS);
      } else {
        $("message").textContent = "All pairs are judged. Thank you!";
      }
    }
    body.dataset.state = busy ? "busy" : (item ? "ready" : "idle");
  }

  async function loadNext() {
    if (busy || !annotator) return;
    if (item && item.correction) return;
    try {
      const data = await call("POST", "/api/next", {}, false);
      showProgress(data.progress);
      const same = item && data.item && item.pair_id === data.item.pair_id && item.request_id === data.item.request_id;
      if (!same) show(data.item, data.waiting);
      else if (live) schedulePoll(LEASE_RENEW_MS);
    } catch (error) {
      setStatus(error.message, "error");
      if (live) schedulePoll(5000);
    }
  }

  async function answer(score, skip) {
    if (busy || !item) return;
    const shown = item;
    const payload = { pair_id: shown.pair_id, request_id: shown.request_id, client_id: newClientId() };
    if (skip) payload.skip = true; else payload.score = score;
    if (!skip) {
      const button = document.querySelector('.score[data-score="' + score + '"]');
      if (button) button.classList.add("chosen");
    }
    clearTimeout(pollTimer);
    setBusy(true);
    try {
      const data = await call("POST", "/api/judgements", payload, true);
      setStatus((skip ? "skipped pair " : "answered " + score + " for pair ") + shown.pair_id + ": " + data.note, "ok");
      showProgress(data.progress);
      setBusy(false);
      show(data.item, data.waiting);
    } catch (error) {
      const again = skip ? "press s again" : "press " + score + " again";
      setStatus("not saved: " + error.message + ". The pair is still here: " + again + " to retry.", "error");
      setBusy(false);
      show(shown, false);
    }
    actionDone();
  }

  async function undo() {
    if (busy || !annotator) return;
    clearTimeout(pollTimer);
    setBusy(true);
    try {
      const data = await call("POST", "/api/undo", {}, true);
      const previous = data.undone;
      const what = previous.skipped ? "the skip" : "answer " + previous.score;
      setStatus("undid " + what + " for pair " + previous.pair_id + ": " + data.note, "ok");
      showProgress(data.progress);
      const again = data.item;
      again.correction = Boolean(data.correction);
      setBusy(false);
      show(again, false);
    } catch (error) {
      setStatus(error.message, "error");
      setBusy(false);
    }
    actionDone();
  }

  async function start(name) {
    try {
      const data = await call("POST", "/api/session", { annotator: name }, true);
      annotator = data.annotator;
      $("annotator").value = annotator;
      try { localStorage.setItem("rcsim-annotator", annotator); } catch (e) { /* private mode */ }
      setStatus("labelling as " + annotator, "ok");
      showProgress(data.progress);
      $("annotator").blur();
      await loadNext();
    } catch (error) {
      setStatus(error.message, "error");
    }
    actionDone();
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    const key = event.key.toLowerCase();
    if (key.length === 1 && key >= "0" && key <= "5") { event.preventDefault(); answer(Number(key), false); }
    else if (key === "s") { event.preventDefault(); answer(null, true); }
    else if (key === "u") { event.preventDefault(); undo(); }
  });

  document.querySelectorAll(".score").forEach((button) => {
    button.addEventListener("click", () => answer(Number(button.dataset.score), false));
  });
  $("skip").addEventListener("click", () => answer(null, true));
  $("undo").addEventListener("click", () => undo());
  $("annotator-form").addEventListener("submit", (event) => {
    event.preventDefault();
    start($("annotator").value);
  });

  (async function init() {
    try {
      const data = await call("GET", "/api/session", null, true);
      showProgress(data.progress);
      let name = data.annotator;
      if (!name) { try { name = localStorage.getItem("rcsim-annotator"); } catch (e) { name = null; } }
      if (name) { await start(name); return; }
      $("annotator").focus();
      body.dataset.state = "idle";
    } catch (error) {
      setStatus(error.message, "error");
    }
  })();
})();
