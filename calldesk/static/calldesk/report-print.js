// Printing a report: the browser's own print dialog (which also saves as PDF); the history goes
// on paper only when asked for (the print stylesheet reads the class on <body>).
(function () {
  "use strict";
  var button = document.getElementById("print-report");
  var withHistory = document.getElementById("print-with-history");
  if (!button || !withHistory) return;
  function apply() {
    document.body.classList.toggle("print-history", withHistory.checked);
  }
  withHistory.addEventListener("change", apply);
  button.addEventListener("click", function () {
    apply();
    window.print();
  });
})();
