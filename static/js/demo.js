// The live demo on a card page: draws its charts with Chart.js and re-runs it with new params
// by swapping in the server-rendered fragment, so the page does not reload.
(function () {
  "use strict";

  var charts = [];

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function palette() {
    return [cssVar("--accent", "#3557d4"), cssVar("--hard", "#b83629"),
            cssVar("--easy", "#1b7a43"), cssVar("--medium", "#9a5c00")];
  }

  function numeric(values) {
    return values.map(function (v) { return typeof v === "number" ? v : NaN; });
  }

  function drawChart(canvas) {
    var spec = JSON.parse(canvas.dataset.chart);
    var colours = palette();
    var datasets = spec.series.map(function (series, i) {
      var x = numeric(series.x), y = numeric(series.y);
      return {
        label: series.label,
        data: x.map(function (xv, j) { return { x: xv, y: y[j] }; }),
        borderColor: colours[i % colours.length],
        backgroundColor: colours[i % colours.length],
        showLine: spec.kind !== "scatter",
        pointRadius: spec.kind === "line" ? 2 : 3,
      };
    });
    var text = cssVar("--text", "#1c1f23"), grid = cssVar("--border", "#dfe2e6");
    var axis = function (title, log, fromZero) {
      var ticks = { color: text };
      // Log axes span many decades: 1e-8 reads better than 0.00000001.
      if (log) ticks.callback = function (value) {
        var v = Number(value), exponent = Math.log10(Math.abs(v));
        if (!Number.isInteger(Math.round(exponent * 1e6) / 1e6)) return "";
        return Math.abs(exponent) >= 3 ? v.toExponential(0) : String(v);
      };
      return { type: log ? "logarithmic" : "linear", title: { display: true, text: title, color: text },
               ticks: ticks, grid: { color: grid }, beginAtZero: !log && Boolean(fromZero) };
    };
    var chart = new window.Chart(canvas, {
      type: spec.kind === "bar" ? "bar" : "scatter",
      data: spec.kind === "bar"
        ? { labels: spec.x_labels && spec.x_labels.length ? spec.x_labels : spec.series[0].x, datasets: datasets.map(function (d, i) {
            return { label: d.label, data: numeric(spec.series[i].y), backgroundColor: d.backgroundColor }; }) }
        : { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { labels: { color: text } } },
        scales: spec.kind === "bar"
          ? { x: { title: { display: true, text: spec.x_label, color: text }, ticks: { color: text } },
              y: axis(spec.y_label, spec.log_y, spec.y_from_zero) }
          : { x: axis(spec.x_label, spec.log_x), y: axis(spec.y_label, spec.log_y, spec.y_from_zero) },
      },
    });
    charts.push(chart);
  }

  function drawAll(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(drawChart);
  }

  function renderMath(root) {
    if (!window.katex) return;
    root.querySelectorAll(".math").forEach(function (el) {
      window.katex.render(el.textContent, el, { throwOnError: false,
        displayMode: el.classList.contains("block") });
    });
  }

  function rerun(form) {
    var section = form.closest(".demo");
    var query = new URLSearchParams(new FormData(form)).toString();
    section.setAttribute("aria-busy", "true");
    fetch(form.dataset.fragmentUrl + "?" + query, { headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        charts.forEach(function (chart) { chart.destroy(); });
        charts = [];
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(".demo");
        section.replaceWith(fresh);
        renderMath(fresh);
        drawAll(fresh);
        // Only the demo's own page keeps its params in the URL (not a study session showing it).
        if (new URL(form.action, location.href).pathname === location.pathname) {
          history.replaceState(null, "", "?" + query + "#demo");
        }
      })
      .catch(function () { form.submit(); });  // fall back to a full page load
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".demo-form")) return;
    event.preventDefault();
    rerun(form);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-new-seed]");
    if (!button) return;
    var form = button.closest("form");
    form.elements.seed.value = Math.floor(Math.random() * 1000000);
    rerun(form);
  });

  // For pages that insert a demo later (the study session): draw its charts and math.
  window.gradcardsDemo = {
    show: function (root) { renderMath(root); drawAll(root); },
    clear: function () {
      charts.forEach(function (chart) { chart.destroy(); });
      charts = [];
    },
  };

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
})();
