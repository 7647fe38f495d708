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

  var session = { started: Date.now(), ratings: [], counts: null };
  var current = null;  // { card, buttons, shownAt, key }
  var side = "loading";  // loading | question | answer | done
  var busy = false;

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);  // works on plain http too, unlike crypto.randomUUID
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // Errors carry `unreachable` when no answer came back at all, so a review can say it was
  // not recorded (an answer from the server, even an error, means the server decided).
  function api(method, url, body) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf ? csrf.content : "";
    if (body) headers["Content-Type"] = "application/json";
    return fetch(url, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
                        credentials: "same-origin" })
      .catch(function () {
        var error = new Error("The server could not be reached.");
        error.unreachable = true;
        throw error;
      })
      .then(function (response) {
        if (response.status === 401) {
          location.href = "/login?expired=1&next=" + encodeURIComponent(location.pathname + location.search);
          throw new Error("Your session has expired; log in again.");
        }
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var detail = typeof data.detail === "string" ? data.detail : "";
            throw new Error(detail || "The server answered " + response.status + ".");
          }
          return data;
        });
      });
  }

  function say(text) { $("study-message").textContent = text; }

  // A failure shows above the grade bar, where the user is looking, with a Retry when one helps.
  var retryAction = null;
  function fail(text, retry) {
    $("study-error-text").textContent = text;
    retryAction = retry || null;
    $("study-retry").hidden = !retry;
    $("study-error").hidden = false;
  }
  // An error from api(): the given words when the server was not reached, else its own detail.
  function failed(error, unreachable, retry) {
    fail(error.unreachable ? unreachable : error.message, retry);
  }

  function clearError() { $("study-error").hidden = true; retryAction = null; }

  function cardName(deck, number) { return deck + ", card " + number; }

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

  // Two buttons never read alike unless the scheduler truly gives both the same interval:
  // rounding that merges two different intervals is undone with one more digit, and a true tie
  // says so.
  function intervalLabels(buttons) {
    var texts = buttons.map(function (b) { return interval(b.interval_seconds); });
    return texts.map(function (text, i) {
      var seconds = buttons[i].interval_seconds;
      var twins = buttons.filter(function (b, j) { return j !== i && texts[j] === text; });
      if (!twins.length) return text;
      if (twins.every(function (b) { return b.interval_seconds === seconds; })) return text + " (same)";
      return preciseInterval(seconds);
    });
  }

  window.gradcardsIntervalLabels = intervalLabels;  // for the browser test

  function preciseInterval(seconds) {
    if (seconds < 3600) return (seconds / 60).toFixed(1).replace(/\.0$/, "") + "m";
    if (seconds < 86400) return (seconds / 3600).toFixed(1).replace(/\.0$/, "") + "h";
    if (seconds < 10 * 86400) return Math.round(seconds / 3600) + "h";
    return (seconds / 86400).toFixed(1).replace(/\.0$/, "") + "d";
  }

  function duration(ms) {
    var seconds = Math.round(ms / 1000);
    if (seconds < 60) return seconds + " s";
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }

  // Anki's counts: what is left today, the card on screen included, by kind.
  function progress() {
    var c = session.counts || { new_left: 0, learning_left: 0, review_left: 0 };
    $("count-new").textContent = c.new_left;
    $("count-learning").textContent = c.learning_left;
    $("count-review").textContent = c.review_left;
    var done = session.ratings.length;
    $("count-done").textContent = done ? "· " + done + " done" : "";
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
    session.counts = next;
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
    intervalLabels(next.buttons).forEach(function (text, i) {
      var label = root.querySelector('[data-interval-for="' + next.buttons[i].rating + '"]');
      if (label) label.textContent = text;
    });
    renderMath($("study-question"));
    $("card-info").hidden = true;
    $("card-info").dataset.slug = "";
    root.querySelector('[data-action="info"]').setAttribute("aria-expanded", "false");
    side = "question";
    $("study-answer").hidden = true;
    $("reveal-row").hidden = false;
    $("grade-bar").hidden = true;
    $("study-summary").hidden = true;
    $("study-card").hidden = false;
    progress();
    $("study-card").focus({ preventScroll: true });
  }

  function minutesUntil(iso) {
    var minutes = Math.max(1, Math.round((Date.parse(iso) - Date.now()) / 60000));
    if (minutes < 90) return minutes + " min";
    var hours = Math.round(minutes / 60);
    return hours < 36 ? hours + " h" : Math.round(hours / 24) + " days";
  }

  function finish(end) {
    side = "done";
    current = null;
    session.counts = null;
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
    var waiting = end ? end.new_waiting : 0;
    $("summary-waiting").hidden = !waiting;
    if (waiting) {
      var more = Math.min(waiting, 10);
      $("summary-waiting-text").textContent = waiting + " new card" + (waiting === 1 ? "" : "s") +
        " wait" + (waiting === 1 ? "s" : "") + " behind today's limit of " + end.new_limit_today + ".";
      $("summary-more").textContent = "Study " + more + " more today";
      $("summary-more").dataset.extra = more;
    }
    var nextDue = end && end.next_learning_due;
    $("summary-next").hidden = !nextDue;
    if (nextDue) {
      $("summary-next").textContent = "The next learning card is due in " + minutesUntil(nextDue) +
        ": come back then, or it waits for your next session.";
    }
    $("study-summary").hidden = false;
    progress();
    $("study-summary").focus({ preventScroll: true });
  }

  function load() {
    busy = true;
    return api("GET", root.dataset.nextUrl + (filters ? "?" + filters : ""))
      .then(function (next) { if (next.card) showCard(next); else finish(next.end); })
      .catch(function (error) {
        failed(error, "The server could not be reached, so the next card could not be loaded.", load);
      })
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
    clearError();
    // The same idempotency key on a retry: if the first attempt did arrive, it is not counted twice.
    var body = { card: current.card.slug, rating: rating, duration_ms: Date.now() - current.shownAt,
                 idempotency_key: current.key };
    api("POST", root.dataset.reviewUrl, body)
      .then(function () { session.ratings.push(rating); return load(); })
      .catch(function (error) {
        busy = false;
        fail(error.unreachable ? "The server could not be reached; your answer was not recorded."
          : "Your answer was not recorded: " + error.message, function () { rate(rating); });
      });
  }

  // The server keeps the last review, so undo works after a reload too.
  function undo() {
    if (busy || side === "loading") return;
    busy = true;
    clearError();
    api("POST", root.dataset.undoUrl)
      .then(function (state) {
        session.ratings.pop();
        say("Undone: your last review of " + cardName(state.deck, state.number) + ".");
        return load();
      })
      .catch(function (error) {
        busy = false;
        if (error.unreachable) fail("The server could not be reached; nothing was undone.", undo);
        else say(error.message);
      });
  }

  function act(action) {
    if (busy || !current || (side !== "question" && side !== "answer")) return;
    var card = current.card;
    busy = true;
    clearError();
    api("POST", root.dataset.cardUrl + encodeURIComponent(card.slug) + "/" + action)
      .then(function (state) {
        var name = cardName(state.deck, state.number);
        say(action === "bury" ? "Buried until tomorrow: " + name + "."
          : "Suspended: " + name + ". It stays out of your reviews until you unsuspend it on its card page.");
        return load();
      })
      .catch(function (error) {
        busy = false;
        failed(error, "The server could not be reached; the card was not changed.", function () { act(action); });
      });
  }

  function when(iso) {
    if (!iso) return "—";
    var date = new Date(iso);
    return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) + " " +
      date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  var RATINGS = { 1: "Again", 2: "Hard", 3: "Good", 4: "Easy" };

  function showInfo(info) {
    var figures = [
      ["State", info.state],
      ["Due", when(info.due)],
      ["Stability", info.stability == null ? "—" : info.stability.toFixed(2) + " days"],
      ["Difficulty", info.difficulty == null ? "—" : info.difficulty.toFixed(2) + " of 10"],
      ["Recall odds now", info.retrievability == null ? "—" : Math.round(100 * info.retrievability) + " %"],
      ["Reviews", String(info.reviews.length)],
      ["Lapses", String(info.lapses)],
    ];
    if (info.suspended) figures.push(["Suspended", "yes"]);
    $("card-info-figures").replaceChildren.apply($("card-info-figures"), figures.map(function (pair) {
      var div = document.createElement("div");
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = pair[0];
      dd.textContent = pair[1];
      div.append(dt, dd);
      return div;
    }));
    var rows = info.reviews.map(function (r) {
      var tr = document.createElement("tr");
      [when(r.reviewed_at), RATINGS[r.rating], r.state, when(r.due)].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      return tr;
    });
    if (!rows.length) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      td.colSpan = 4;
      td.textContent = "Not reviewed yet: this card is new to you.";
      tr.appendChild(td);
      rows.push(tr);
    }
    $("card-info-history").replaceChildren.apply($("card-info-history"), rows);
  }

  function toggleInfo() {
    if (!current || (side !== "question" && side !== "answer")) return;
    var panel = $("card-info"), button = root.querySelector('[data-action="info"]');
    if (!panel.hidden) { panel.hidden = true; button.setAttribute("aria-expanded", "false"); return; }
    var slug = current.card.slug;
    api("GET", root.dataset.cardUrl + encodeURIComponent(slug) + "/info")
      .then(function (info) {
        if (!current || current.card.slug !== slug) return;
        showInfo(info);
        panel.hidden = false;
        button.setAttribute("aria-expanded", "true");
      })
      .catch(function (error) {
        failed(error, "The server could not be reached; card info is not available.");
      });
  }

  function raiseNewLimit() {
    var extra = Number($("summary-more").dataset.extra);
    api("POST", root.dataset.newTodayUrl, { extra: extra })
      .then(function (limit) {
        say("Today's new-card limit is " + limit.new_limit_today + " (" + limit.new_per_day + " on other days).");
        return load();
      })
      .catch(function (error) { failed(error, "The server could not be reached."); });
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
      return;
    }
    if (side === "question" || side === "answer") {
      if (key === "-") { event.preventDefault(); act("bury"); return; }
      if (key === "@") { event.preventDefault(); act("suspend"); return; }
      if (key.toLowerCase() === "i") { event.preventDefault(); toggleInfo(); return; }
    }
    if (side === "answer") {
      if (key === " " || key === "Enter") { event.preventDefault(); rate(3); }
      else if (/^[1-4]$/.test(key)) { event.preventDefault(); rate(Number(key)); }
      else if (key.toLowerCase() === "d") { event.preventDefault(); showDemo(); }
    }
  });

  $("reveal").addEventListener("click", reveal);
  $("card-actions").addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    if (button.dataset.action === "info") toggleInfo(); else act(button.dataset.action);
  });
  $("study-retry").addEventListener("click", function () { if (retryAction) retryAction(); });
  $("summary-more").addEventListener("click", raiseNewLimit);
  $("show-demo").addEventListener("click", showDemo);
  $("grade-bar").addEventListener("click", function (event) {
    var button = event.target.closest("[data-rating]");
    if (button) rate(Number(button.dataset.rating));
  });

  load();
})();
