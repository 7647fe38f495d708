// The stats page's due forecast, drawn with Chart.js in the page's own colours.
(function () {
  "use strict";

  function cssVar(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  }

  function draw() {
    var canvas = document.getElementById("forecast-chart");
    if (!canvas || !window.Chart) return;
    var data = JSON.parse(canvas.dataset.forecast);
    var text = cssVar("--text", "#1c1f23"), grid = cssVar("--border", "#dfe2e6");
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels,
              datasets: [{ label: "Cards due", data: data.counts, backgroundColor: cssVar("--accent", "#3557d4") }] },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { ticks: { color: text, maxRotation: 0, autoSkipPadding: 8 }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid },
               title: { display: true, text: "cards due", color: text } },
        },
      },
    });
    canvas.dataset.drawn = "true";  // tests and screenshots wait for this
  }

  // On a phone the calendar scrolls sideways: start at its right end, the recent weeks.
  function showRecentWeeks() {
    var scroller = document.querySelector(".heatmap-scroll");
    if (scroller) scroller.scrollLeft = scroller.scrollWidth;
  }

  document.addEventListener("DOMContentLoaded", function () { draw(); showRecentWeeks(); });
})();
