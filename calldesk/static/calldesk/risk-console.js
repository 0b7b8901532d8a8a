// A supervisor's imminent-risk alerts on the console: shown and sounded until a supervisor
// takes them. The alerts open with the page (found by a query) and come live over the
// console's stream (console.js hands over the "risk" events). Shown with textContent only.
(function () {
  "use strict";
  var root = document.getElementById("console");
  var section = document.getElementById("risk-alerts");
  var list = document.getElementById("risk-list");
  var soundNote = document.getElementById("risk-sound");
  if (!root || !section || !list) return;
  var audio = null;
  var title = document.title;

  function ago(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min ago";
  }

  function text(tag, className, value) {
    var element = document.createElement(tag);
    element.className = className;
    element.textContent = value;
    return element;
  }

  function csrfToken() {
    var input = document.querySelector("#risk-csrf input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function take(risk, button) {
    button.disabled = true;
    fetch(risk.take, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    })
      .then(function (answer) { return answer.json(); })
      .then(function (json) { if (json.risk) show(json.risk); })
      .catch(function () { button.disabled = false; });
  }

  function show(risk) {
    if (!risk || !risk.risk) return;
    var old = list.querySelector('li[data-risk="' + risk.risk + '"]');
    if (risk.state !== "raised") {
      if (old) old.remove();
    } else {
      var li = document.createElement("li");
      li.dataset.risk = risk.risk;
      li.appendChild(text("strong", "risk-what", "Imminent risk"));
      li.appendChild(text("span", "risk-line", risk.line ? "on " + risk.line : "line not known"));
      li.appendChild(text("span", "risk-specialist", risk.specialist || "a specialist"));
      var when = text("span", "risk-ago", ago(risk.raisedAt));
      when.dataset.at = risk.raisedAt;
      li.appendChild(when);
      if (/^\/reports\/[0-9a-f-]+\/$/.test(risk.report || "")) {
        var link = text("a", "risk-open", "Open the report");
        link.href = risk.report;
        link.target = "calldesk-report";
        li.appendChild(link);
      }
      if (/^\/risk\/[0-9a-f-]+\/take$/.test(risk.take || "")) {
        var button = text("button", "primary risk-take", "Take it");
        button.type = "button";
        button.addEventListener("click", function () { take(risk, button); });
        li.appendChild(button);
      }
      if (old) list.replaceChild(li, old);
      else list.appendChild(li);
    }
    alerting();
  }

  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    } catch (error) {
      return;
    }
    if (audio.state === "suspended") {
      audio.resume();
      if (soundNote) soundNote.hidden = audio.state !== "suspended";
    }
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
    section.dataset.sound = audio.state;  // "running", or "suspended" until the page is clicked
  }

  function alerting() {
    var count = list.children.length;
    section.hidden = count === 0;
    section.dataset.alerting = count ? "yes" : "no";
    document.title = count ? "(" + count + ") Imminent risk — " + title : title;
    if (count) beep();
  }

  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") audio.resume();
    if (soundNote) soundNote.hidden = true;
  });

  root.addEventListener("calldesk:push", function (event) {
    if (event.detail.kind === "risk") show(event.detail.data);
  });

  setInterval(function () {
    list.querySelectorAll(".risk-ago").forEach(function (when) { when.textContent = ago(when.dataset.at); });
    if (list.children.length) beep();
  }, 2000);

  JSON.parse(document.getElementById("risk-open").textContent).forEach(show);
})();
