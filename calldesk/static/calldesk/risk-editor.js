// The editor's imminent-risk panel: raise with one click or Ctrl+Shift+R, record the emergency,
// all without leaving (or reloading) the report being typed. The server renders the panel.
(function () {
  "use strict";
  var panel = document.getElementById("risk-panel");
  if (!panel) return;

  var shortcuts = document.getElementById("shortcuts");
  if (shortcuts && document.getElementById("risk-raise")) {
    shortcuts.appendChild(document.createTextNode(" · "));
    ["Ctrl", "Shift", "R"].forEach(function (key, index) {
      if (index) shortcuts.appendChild(document.createTextNode("+"));
      var kbd = document.createElement("kbd");
      kbd.textContent = key;
      shortcuts.appendChild(kbd);
    });
    shortcuts.appendChild(document.createTextNode(" raises imminent risk"));
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function send(form) {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
    })
      .then(function (answer) { return answer.json(); })
      .then(function (json) {
        if (json.html) panel.innerHTML = json.html;  // rendered (and escaped) by the server
        else if (json.message) window.alert(json.message);
        var state = document.getElementById("risk-state");
        if (state && form.classList.contains("risk-raise-form")) state.focus();
      })
      .catch(function () {
        if (button) button.disabled = false;
        // Without an answer, post the plain form: the raise must not be lost.
        form.submit();
      });
  }

  panel.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-risk-form")) return;
    event.preventDefault();
    send(form);
  });

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || !event.shiftKey || (event.key || "").toLowerCase() !== "r") return;
    var raise = document.getElementById("risk-raise");
    if (!raise) return;
    event.preventDefault();
    raise.click();
  });
})();
