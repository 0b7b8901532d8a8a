// Draws each dashboard chart from the JSON the page carries (a non-executed data block).
"use strict";

(() => {
  const source = document.getElementById("dashboard-data");
  if (!source) return;
  const charts = JSON.parse(source.textContent);
  for (const chart of charts) {
    const figure = document.getElementById(`chart-${chart.id}`);
    if (!figure || chart.values.reduce((a, b) => a + b, 0) === 0) continue;
    const table = figure.querySelector("table");
    figure.insertBefore(CalldeskCharts.draw(chart), table);
    // The numbers stay one click away for those who read tables rather than bars.
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Numbers";
    details.appendChild(summary);
    figure.insertBefore(details, table);
    details.appendChild(table);
    figure.dataset.drawn = "true";
  }
})();
