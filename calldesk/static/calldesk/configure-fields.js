// The field editor: add a row from the template, move rows up and down.
// Without this script the page still works: one blank row, and position numbers.
(function () {
  "use strict";
  var rows = document.getElementById("field-rows");
  var template = document.getElementById("field-row-template");
  var total = document.getElementById("id_fields-TOTAL_FORMS");
  if (!rows || !template || !total) return;

  function renumber() {
    var all = rows.querySelectorAll("[data-row]");
    for (var i = 0; i < all.length; i++) {
      var order = all[i].querySelector("input[name$='-ORDER']");
      if (order) order.value = String(i + 1);
      var number = all[i].querySelector("[data-row-number]");
      if (number) number.textContent = String(i + 1);
    }
  }

  // Choices only mean something for choice fields; the box is hidden for the others.
  function showChoices(row) {
    var type = row.querySelector("select[name$='-type']");
    var box = row.querySelector("[data-choices]");
    if (!type || !box) return;
    var text = box.querySelector("textarea");
    box.hidden = type.value !== "choice" && type.value !== "multi_choice" && !(text && text.value.trim());
  }
  Array.prototype.forEach.call(rows.querySelectorAll("[data-row]"), showChoices);
  rows.addEventListener("change", function (event) {
    if (event.target.matches("select[name$='-type']")) showChoices(event.target.closest("[data-row]"));
  });

  document.getElementById("add-field").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    renumber();
    showChoices(row);
    var label = row.querySelector("input[name$='-label']");
    if (label) label.focus();
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest("[data-move]");
    if (!button) return;
    var row = button.closest("[data-row]");
    if (button.getAttribute("data-move") === "-1" && row.previousElementSibling) {
      rows.insertBefore(row, row.previousElementSibling);
    } else if (button.getAttribute("data-move") === "1" && row.nextElementSibling) {
      rows.insertBefore(row.nextElementSibling, row);
    }
    renumber();
    button.focus();
  });

  rows.addEventListener("input", function (event) {
    if (!event.target.matches("input[name$='-label']")) return;
    var title = event.target.closest("[data-row]").querySelector("[data-row-title]");
    if (title) title.textContent = event.target.value || "New field";
  });
  rows.setAttribute("data-ready", "true"); // the listeners are on (a loaded machine runs this late)
})();
