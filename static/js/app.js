// Progressive enhancement for the pages: math rendered by KaTeX, Space reveals an answer,
// copy buttons.
(function () {
  "use strict";

  function renderMath(root) {
    if (!window.katex) return;
    root.querySelectorAll(".math").forEach(function (el) {
      if (el.dataset.rendered) return;
      var tex = el.textContent;
      try {
        window.katex.render(tex, el, {
          displayMode: el.classList.contains("block") || el.classList.contains("display"),
          throwOnError: false,
        });
        el.dataset.rendered = "1";
      } catch (err) {
        // Leave the TeX visible rather than break the page.
        el.textContent = tex;
      }
    });
  }

  function isTyping(event) {
    var tag = event.target && event.target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || event.target.isContentEditable;
  }

  // A link to the demo (#demo, or a check inside it) opens the answer it belongs to.
  var gatedAnswer = document.getElementById("answer");
  if (gatedAnswer && location.hash && location.hash !== "#answer") gatedAnswer.open = true;

  document.addEventListener("keydown", function (event) {
    if (event.key !== " " || isTyping(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    var answer = document.getElementById("answer");
    if (answer && !answer.open && document.activeElement.tagName !== "SUMMARY") {
      event.preventDefault();
      answer.open = true;
    }
  });

  // "Copy" buttons (a new API token): shown only where the clipboard can be written.
  function enableCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = "Copied";
        }, function () {
          button.textContent = "Select and copy it by hand";
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    renderMath(document);
    enableCopy();
  });
})();
