// The quiz: one question at a time; an answer is graded by the server (GET, a fragment swapped
// in); the score comes at the end. Answers reach the study schedule only if the box is ticked.
(function () {
  "use strict";

  var root = document.getElementById("quiz");
  if (!root) return;
  var questions = Array.prototype.slice.call(root.querySelectorAll(".quiz-question"));
  var total = questions.length;
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var record = document.getElementById("quiz-record");
  var results = [];  // { number, heading (the question's element), correct, card }
  var index = 0;

  // The quiz's progress survives leaving it (for a card or a worked solution) and coming Back:
  // the verdicts the server sent, the question reached and whether the score was shown, kept in
  // sessionStorage under this quiz's URL (which names its questions).
  var storeKey = "gradcards-quiz:" + location.pathname + location.search;
  function loadState() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "null"); } catch (e) { return null; }
  }
  var saved = loadState() || { index: 0, answers: {}, done: false };
  function saveState() {
    try { sessionStorage.setItem(storeKey, JSON.stringify(saved)); } catch (e) { /* private mode: fine */ }
  }

  function renderMath(el) {
    if (!window.katex) return;
    el.querySelectorAll(".math").forEach(function (node) {
      if (node.dataset.rendered) return;
      window.katex.render(node.textContent, node, { throwOnError: false,
        displayMode: node.classList.contains("block") || node.classList.contains("display") });
      node.dataset.rendered = "1";
    });
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  function show(i, focus) {
    index = i;
    questions.forEach(function (q, j) { q.hidden = j !== i; });
    var progress = document.getElementById("quiz-progress");
    progress.value = results.length;
    document.getElementById("quiz-progress-text").textContent =
      i < total ? "Question " + (i + 1) + " of " + total : results.length + " of " + total + " answered";
    if (i < total && focus) {
      var first = questions[i].querySelector(".choice-button, input[type=text]");
      if (first) first.focus({ preventScroll: true });
      questions[i].scrollIntoView({ block: "nearest" });
    }
  }

  // A JSON POST with the session cookie and its CSRF token (the API's browser credentials).
  function postJson(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify(body),
    });
  }

  function recordReview(question, correct) {
    if (!record || !record.checked || question.dataset.kind !== "choice") return;
    var note = document.createElement("p");
    note.className = "record-note";
    postJson("/api/v1/reviews",
      { card: question.dataset.card, rating: correct ? 3 : 1, idempotency_key: randomKey() }
    ).then(function (response) {
      return response.json().then(function (data) {
        note.textContent = response.ok ? "Recorded in your schedule as " + (correct ? "Good." : "Again.")
          : "Not recorded: " + (data.detail || response.status);
      });
    }).catch(function () { note.textContent = "Not recorded: the server could not be reached."; })
      .finally(function () { question.querySelector(".quiz-result").appendChild(note); });
  }

  function answered(question, html, restoring) {
    var holder = question.querySelector(".quiz-result");
    holder.innerHTML = html;
    var verdict = holder.querySelector("[data-correct]");
    if (!verdict) {  // unreadable entries: keep the form, show the problems
      renderMath(holder);
      return;
    }
    var correct = verdict.dataset.correct === "true";
    var form = question.querySelector("form");
    if (form) form.remove();
    renderMath(holder);
    results.push({ number: Number(question.dataset.number), correct: correct,
                   heading: question.querySelector(".question"), card: question.dataset.card });
    document.getElementById("quiz-progress").value = results.length;
    var next = question.querySelector(".quiz-next");
    next.hidden = false;
    if (restoring) return;
    saved.answers[question.dataset.number] = html;
    saveState();
    recordReview(question, correct);
    next.querySelector("button").focus({ preventScroll: true });
  }

  function submit(form, submitter) {
    var params = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) params.set(submitter.name, submitter.value);
    params.set("fragment", "1");
    var question = form.closest(".quiz-question");
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.action + "?" + params.toString(), { headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) { answered(question, html); })
      .catch(function () { form.submit(); })
      .finally(function () {
        form.removeAttribute("aria-busy");
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      });
  }

  // A signed-in user's score goes to their quiz history (once, even if the page is reloaded).
  function keepScore(right) {
    if (root.dataset.loggedIn !== "true" || saved.kept || !total) return;
    var note = document.getElementById("score-kept");
    postJson("/api/v1/quiz-results", { deck: root.dataset.deck || null,
      scope: root.dataset.scope || "All decks", right: right, total: total }
    ).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      saved.kept = true;
      saveState();
      note.textContent = "Kept in your quiz history on the stats page.";
    }).catch(function () {
      note.textContent = "The score could not be kept in your history (the server could not be reached).";
    }).finally(function () { note.hidden = false; });
  }

  function score() {
    var right = results.filter(function (r) { return r.correct; }).length;
    document.getElementById("score-right").textContent = right;
    document.getElementById("score-percent").textContent = total ? "(" + Math.round(100 * right / total) + "%)" : "";
    var list = document.getElementById("score-list");
    list.replaceChildren();
    results.forEach(function (r) {
      var item = document.createElement("li");
      item.className = r.correct ? "right" : "wrong";
      var link = document.createElement("a");
      link.href = "#q" + r.number;
      // A copy of the typeset question: its text alone would repeat every formula (KaTeX keeps
      // a MathML copy for screen readers beside the drawn one).
      r.heading.childNodes.forEach(function (node) { link.appendChild(node.cloneNode(true)); });
      var mark = document.createElement("span");
      mark.className = "score-mark";
      mark.textContent = r.correct ? "✓ right" : "✗ wrong";
      item.append(mark, " ", link);
      list.appendChild(item);
    });
    questions.forEach(function (q) { q.hidden = false; });  // the whole quiz, answers and all
    var missed = results.filter(function (r) { return !r.correct; }).map(function (r) { return r.card; })
      .filter(function (slug, i, all) { return slug && all.indexOf(slug) === i; });
    var retry = document.getElementById("quiz-retry");
    if (retry && missed.length) {
      retry.href = "/quiz?cards=" + encodeURIComponent(missed.join(","));
      retry.textContent = "Retry the " + (missed.length === 1 ? "one" : missed.length) + " I missed";
      retry.hidden = false;
    }
    saved.done = true;
    saveState();
    keepScore(right);
    var section = document.getElementById("quiz-score");
    section.hidden = false;
    show(total);
    questions.forEach(function (q) { q.hidden = false; });
    section.scrollIntoView({ block: "start" });
    section.focus({ preventScroll: true });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches(".quiz-choices, .quiz-exercise")) return;
    event.preventDefault();
    submit(form, event.submitter);
  });

  root.addEventListener("click", function (event) {
    var next = event.target.closest(".next-question");
    if (!next) return;
    if (index + 1 < total) {
      show(index + 1, true);
      saved.index = index;
      saveState();
    } else score();
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.metaKey || event.ctrlKey || index >= total) return;
    // Typing goes to a text field; a ticked checkbox ("also record") keeps the number keys.
    if (event.target.closest && event.target.closest("input:not([type=checkbox]), textarea, select")) return;
    var question = questions[index];
    var buttons = question.querySelectorAll(".choice-button");
    if (/^[1-9]$/.test(event.key) && buttons.length >= Number(event.key)) {
      event.preventDefault();
      buttons[Number(event.key) - 1].click();
    }
  });

  renderMath(root);
  questions.forEach(function (question) {
    var html = saved.answers[question.dataset.number];
    if (html) answered(question, html, true);
  });
  if (saved.done && results.length === total) score();
  else if (total) show(Math.min(saved.index || 0, total - 1), false);
})();
