// The report's follow-up panel: schedules a follow-up or records an attempt without leaving the
// report being written (the page's own typing and autosave go on). Without this script the same
// forms post as plain pages. What the server sends back is its own escaped HTML.
(function () {
  "use strict";
  var body = document.getElementById("followups-panel-body");
  if (!body) return;

  function problem(text) {
    var shown = document.getElementById("followups-panel-error");
    if (!shown) return;
    shown.textContent = text;
    shown.hidden = !text;
  }

  // "Schedule a follow-up" brings its form when first opened: most calls never schedule one, and
  // the editor is the page every screen pop lands on. The panel may be replaced (after a
  // schedule or an attempt), so the listener sits on the body and looks the parts up each time.
  body.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.id !== "followups-schedule" || !details.open || details.dataset.loaded) return;
    var fields = document.getElementById("followups-schedule-fields");
    var button = document.getElementById("followups-schedule-button");
    details.dataset.loaded = "loading";
    fields.setAttribute("aria-busy", "true");
    fetch(details.dataset.formUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("HTTP " + answer.status);
        return answer.json();
      })
      .then(function (found) {
        fields.innerHTML = found.html;
        fields.removeAttribute("aria-busy");
        details.dataset.loaded = "true";
        if (button) button.hidden = false;
        var first = fields.querySelector("input, select, textarea");
        if (first) first.focus();
      })
      .catch(function () {
        // The link to the form's own page stays; opening the panel again tries again.
        delete details.dataset.loaded;
        fields.removeAttribute("aria-busy");
        problem("The form could not be loaded; open it on its own page with the link.");
      });
  }, true);

  body.addEventListener("submit", function (event) {
    var form = event.target.closest("form.followups-form");
    if (!form) return;
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    form.querySelectorAll("[data-field] .field-error").forEach(function (error) { error.hidden = true; });
    problem("");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (answer) {
        return answer.json().then(function (found) { return { status: answer.status, found: found }; });
      })
      .then(function (result) {
        var found = result.found;
        if (found.ok && found.html !== undefined) {
          body.innerHTML = found.html;
          var status = document.getElementById("followups-panel-title");
          if (status) status.focus();
          return;
        }
        if (found.ok && found.url) {
          window.location.href = found.url;
          return;
        }
        form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
        if (found.errors) {
          Object.keys(found.errors).forEach(function (name) {
            var box = form.querySelector('[data-field="' + name + '"] .field-error');
            if (box) {
              box.textContent = found.errors[name].join(" ");
              box.hidden = false;
            } else {
              problem(found.errors[name].join(" "));
            }
          });
          var first = form.querySelector('[data-field] .field-error:not([hidden])');
          if (first) {
            var input = first.parentElement.querySelector("input, select, textarea");
            if (input) input.focus();
          }
        } else {
          problem(found.message || "That did not work; try again.");
        }
      })
      .catch(function () {
        form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
        problem("The server could not be reached; nothing was changed. Try again.");
      });
  });
})();
