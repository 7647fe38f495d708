// The study session: shows the next card from /api/v1/study/next, reveals the answer, records a
// rating with POST /api/v1/reviews and undoes with POST /api/v1/reviews/undo. Keyboard first.
(function () {
  "use strict";

  var root = document.getElementById("study");
  if (!root) return;
  var $ = function (id) { return document.getElementById(id); };
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var filters = ["deck", "topic", "difficulty"].filter(function (name) { return root.dataset[name]; })
    .map(function (name) { return name + "=" + encodeURIComponent(root.dataset[name]); }).join("&");

  var session = { started: Date.now(), ratings: [], left: 0 };
  var current = null;  // { card, buttons, shownAt, key }
  var side = "loading";  // loading | question | answer | done
  var busy = false;

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);  // works on plain http too, unlike crypto.randomUUID
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function api(method, url, body) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf ? csrf.content : "";
    if (body) headers["Content-Type"] = "application/json";
    return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
                        credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) {
          location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
          throw new Error("Log in again.");
        }
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.detail || "The server said " + response.status + ".");
          return data;
        });
      });
  }

  function say(text) { $("study-message").textContent = text; }

  function renderMath(el) {
    if (!window.katex) return;
    el.querySelectorAll(".math").forEach(function (node) {
      window.katex.render(node.textContent, node, { throwOnError: false,
        displayMode: node.classList.contains("block") || node.classList.contains("display") });
    });
  }

  function interval(seconds) {
    var minute = 60, hour = 3600, day = 86400;
    if (seconds < hour) return Math.max(1, Math.round(seconds / minute)) + "m";
    if (seconds < day) return Math.round(seconds / hour) + "h";
    if (seconds < 30 * day) return Math.round(seconds / day) + "d";
    if (seconds < 365 * day) return (seconds / (30 * day)).toFixed(1).replace(/\.0$/, "") + "mo";
    return (seconds / (365 * day)).toFixed(1).replace(/\.0$/, "") + "y";
  }

  function duration(ms) {
    var seconds = Math.round(ms / 1000);
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }

  function progress() {
    var done = session.ratings.length, total = done + session.left;
    var bar = $("study-progress");
    bar.max = Math.max(total, 1);
    bar.value = done;
    $("progress-text").textContent = side === "done" ? done + " of " + total + " done"
      : Math.min(done + 1, total) + " of " + total;
  }

  function chip(level) {
    var span = document.createElement("span");
    span.className = "chip chip-" + level;
    span.title = "Difficulty: " + level;
    span.textContent = level;
    return span;
  }

  function showCard(next) {
    var card = next.card;
    current = { card: card, buttons: next.buttons, shownAt: Date.now(), key: randomKey() };
    session.left = next.due_left + next.new_left;
    $("study-card").className = "study-card card-page difficulty-" + card.difficulty;
    $("study-number").textContent = card.number;
    var meta = $("study-meta");
    meta.replaceChildren(chip(card.difficulty));
    card.topics.forEach(function (topic) {
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = topic;
      meta.appendChild(tag);
    });
    $("study-state").textContent = next.state ? next.state.state : "new";
    $("study-question").innerHTML = card.question_html;  // rendered and sanitised by the server
    $("study-answer-body").innerHTML = card.answer_html;
    $("card-link").href = "/cards/" + encodeURIComponent(card.slug);
    $("show-demo").hidden = !card.demo;
    if (window.gradcardsDemo) window.gradcardsDemo.clear();
    $("study-demo").replaceChildren();
    next.buttons.forEach(function (button) {
      var label = root.querySelector('[data-interval-for="' + button.rating + '"]');
      if (label) label.textContent = interval(button.interval_seconds);
    });
    renderMath($("study-question"));
    side = "question";
    $("study-answer").hidden = true;
    $("reveal-row").hidden = false;
    $("grade-bar").hidden = true;
    $("study-summary").hidden = true;
    $("study-card").hidden = false;
    progress();
    $("study-card").focus({ preventScroll: true });
  }

  function finish() {
    side = "done";
    current = null;
    session.left = 0;
    var done = session.ratings.length;
    var again = session.ratings.filter(function (r) { return r === 1; }).length;
    $("study-card").hidden = true;
    $("grade-bar").hidden = true;
    $("summary-cards").textContent = done;
    $("summary-time").textContent = duration(Date.now() - session.started);
    $("summary-again").textContent = done ? Math.round(100 * again / done) + "%" : "—";
    $("summary-note").textContent = done ? "Nothing more is due in this selection today."
      : "Nothing is due in this selection today. Come back tomorrow, or take a quiz.";
    $("summary-quiz").href = "/quiz" + (filters ? "?" + filters : "");
    $("study-summary").hidden = false;
    progress();
    $("study-summary").focus({ preventScroll: true });
  }

  function load() {
    busy = true;
    return api("GET", root.dataset.nextUrl + (filters ? "?" + filters : ""))
      .then(function (next) { if (next.card) showCard(next); else finish(); })
      .catch(function (error) { say(error.message); })
      .finally(function () { busy = false; });
  }

  function reveal() {
    if (side !== "question") return;
    side = "answer";
    $("reveal-row").hidden = true;
    $("study-answer").hidden = false;
    $("grade-bar").hidden = false;
    renderMath($("study-answer-body"));
    $("study-card").focus({ preventScroll: true });
  }

  function rate(rating) {
    if (side !== "answer" || busy) return;
    busy = true;
    say("");
    var body = { card: current.card.slug, rating: rating, duration_ms: Date.now() - current.shownAt,
                 idempotency_key: current.key };
    api("POST", root.dataset.reviewUrl, body)
      .then(function () { session.ratings.push(rating); return load(); })
      .catch(function (error) { busy = false; say(error.message); });
  }

  function undo() {
    if (busy || side === "loading") return;
    if (!session.ratings.length) { say("Nothing to undo in this session."); return; }
    busy = true;
    api("POST", root.dataset.undoUrl)
      .then(function (state) {
        session.ratings.pop();
        say("Undone: the last review of " + state.card + " was removed.");
        return load();
      })
      .catch(function (error) { busy = false; say(error.message); });
  }

  function showDemo() {
    if (side !== "answer" || !current || !current.card.demo) return;
    var holder = $("study-demo");
    if (holder.firstElementChild) { holder.firstElementChild.focus(); return; }
    fetch("/cards/" + encodeURIComponent(current.card.slug) + "/demo", { headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        holder.innerHTML = html;
        var section = holder.querySelector(".demo");
        if (window.gradcardsDemo) window.gradcardsDemo.show(holder);
        if (section) { section.tabIndex = -1; section.focus(); }
      })
      .catch(function () { say("The demo could not be loaded; open the card page instead."); });
  }

  function interactive(el) {
    return el && el.closest && el.closest("a, button, input, select, textarea, summary, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.metaKey) return;
    var key = event.key;
    var typing = event.target.closest && event.target.closest("input, select, textarea");
    if (typing) return;
    if ((event.ctrlKey && key.toLowerCase() === "z") || (!event.ctrlKey && key.toLowerCase() === "u")) {
      event.preventDefault();
      undo();
      return;
    }
    if (event.ctrlKey) return;
    // Enter or Space on a focused link or button does what that control does.
    if ((key === " " || key === "Enter") && interactive(event.target)) return;
    if (side === "question" && (key === " " || key === "Enter")) {
      event.preventDefault();
      reveal();
    } else if (side === "answer") {
      if (key === " " || key === "Enter") { event.preventDefault(); rate(3); }
      else if (/^[1-4]$/.test(key)) { event.preventDefault(); rate(Number(key)); }
      else if (key.toLowerCase() === "d") { event.preventDefault(); showDemo(); }
    }
  });

  $("reveal").addEventListener("click", reveal);
  $("show-demo").addEventListener("click", showDemo);
  $("grade-bar").addEventListener("click", function (event) {
    var button = event.target.closest("[data-rating]");
    if (button) rate(Number(button.dataset.rating));
  });

  load();
})();
