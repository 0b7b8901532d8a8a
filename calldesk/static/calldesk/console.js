// The live console: receives the calls pushed to this user over server-sent events,
// shows them, opens each pushed draft in the report window, shows the supervisors' board.
// Everything from the server is shown with textContent: caller data is never markup.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) return;
  var connection = document.getElementById("console-connection");
  var calls = document.getElementById("console-calls");
  var empty = document.getElementById("console-empty");
  var windowButton = document.getElementById("console-open-window");
  var windowState = document.getElementById("console-window-state");
  var board = document.getElementById("console-board");
  var lastId = root.dataset.after || "0";
  var source = null;
  var retryDelay = 1000;
  var reportWindow = null;
  var seen = {};
  var staleMs = (parseInt(root.dataset.staleSeconds, 10) || 4 * 3600) * 1000;

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function ago(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " s ago";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min ago";
  }

  function lasted(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min";
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  function span(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  // Only a draft address of this site is ever followed.
  function editorOf(call) {
    return /^\/reports\/[0-9a-f-]+\/edit\/$/.test(call.editor || "") ? call.editor : "";
  }

  // A caller profile's block and active alerts come first (calldesk.callers).
  function callerFlags(li, call) {
    if (call.callerBlocked) {
      var until = call.callerBlockedUntil ? "until " + new Date(call.callerBlockedUntil).toLocaleString() : "permanently";
      li.appendChild(span("call-blocked", "Blocked number " + until));
    }
    if (call.callerAlerts && call.callerAlerts.length) {
      var list = document.createElement("ul");
      list.className = "call-alerts";
      call.callerAlerts.forEach(function (text) {
        var entry = document.createElement("li");
        entry.textContent = text;
        list.appendChild(entry);
      });
      li.appendChild(list);
    }
  }

  function item(call) {
    var li = document.createElement("li");
    li.dataset.call = call.call;
    li.dataset.state = call.state;
    callerFlags(li, call);
    li.appendChild(span("call-who", call.caller || "Unknown caller"));
    li.appendChild(span("call-line", call.line ? "on " + call.line : call.form));
    var when = span("call-ago", ago(call.receivedAt));
    when.dataset.at = call.receivedAt;
    li.appendChild(when);
    if (call.agent) li.appendChild(span("call-agent", call.agent));
    li.appendChild(span("call-state", call.state)).dataset.state = call.state;
    if (call.state === "talking" && call.answeredAt) {
      // Answered: by whom (the specialist who has the draft) and for how long.
      var answered = span("call-answered", "");
      answered.dataset.at = call.answeredAt;
      answered.dataset.by = call.agent || "";
      answered.textContent = answeredText(answered);
      li.appendChild(answered);
    }
    var editor = editorOf(call);
    if (editor) {
      var link = document.createElement("a");
      link.href = editor;
      link.target = "calldesk-report";
      link.className = "call-open";
      link.textContent = "Open the report";
      li.appendChild(link);
    }
    return li;
  }

  function answeredText(element) {
    return "answered" + (element.dataset.by ? " by " + element.dataset.by : "") + ", talking for " + lasted(element.dataset.at);
  }

  function place(list, li) {
    var old = list.querySelector('li[data-call="' + li.dataset.call + '"]');
    if (old) list.replaceChild(li, old);
    else list.insertBefore(li, list.firstChild);
  }

  function showOnBoard(call) {
    if (!board) return;
    board.querySelectorAll('li[data-call="' + call.call + '"]').forEach(function (old) { old.remove(); });
    if (call.state === "ended" || call.finished) return;
    var column = call.unassigned ? "unassigned" : call.state;
    var list = board.querySelector('ul[data-column="' + column + '"]');
    if (list) place(list, item(call));
  }

  function popUp(call) {
    var li = item(call);
    li.classList.add("fresh");
    place(calls, li);
    empty.hidden = true;
    var editor = editorOf(call);
    if (!editor || call.state === "ended") return;
    if (reportWindow && !reportWindow.closed) {
      // The window was opened by a click, so setting its address is never blocked.
      reportWindow.location.href = editor;
    }
    if (document.hidden && window.Notification && Notification.permission === "granted") {
      var note = new Notification("Call " + (call.caller || "from an unknown number"), {
        body: call.line ? "On " + call.line : call.form,
        tag: call.call,
      });
      note.onclick = function () {
        window.focus();
        if (reportWindow && !reportWindow.closed) reportWindow.focus();
        else window.open(editor, "calldesk-report");
        note.close();
      };
    }
  }

  // A catch-up re-sends the events of the few seconds before the id it starts from (one may have
  // committed late, calldesk/push/events.py LATE_COMMIT): each id is handled once, and the id the
  // console reconnects from never goes back.
  function firstTime(event) {
    var key = event.lastEventId;
    if (key && parseInt(key, 10) > parseInt(lastId, 10)) lastId = key;
    if (seen[key]) return false;
    seen[key] = true;
    return true;
  }

  function received(event) {
    if (!firstTime(event)) return;
    var call = JSON.parse(event.data);
    if (call.pop) popUp(call);
    else if (calls.querySelector('li[data-call="' + call.call + '"]')) place(calls, item(call));
    showOnBoard(call);
  }

  function connect() {
    setConnection(source ? "reconnecting" : "connecting", source ? "Reconnecting…" : "Connecting…");
    source = new EventSource(root.dataset.stream + "?after=" + encodeURIComponent(lastId));
    // Other parts of the console (followups-console.js) listen to their own kinds of event.
    document.dispatchEvent(new CustomEvent("calldesk:stream", { detail: source }));
    source.addEventListener("open", function () {
      retryDelay = 1000;
      setConnection("connected", "Connected: calls arrive live");
    });
    source.addEventListener("call", received);
    // Other kinds of events (a risk raised, ...) are handed to their own page scripts.
    (root.dataset.kinds || "").split(" ").filter(Boolean).forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        if (!firstTime(event)) return;
        root.dispatchEvent(new CustomEvent("calldesk:push", { detail: { kind: kind, data: JSON.parse(event.data) } }));
      });
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CONNECTING) {
        setConnection("reconnecting", "Disconnected: reconnecting…");
        return;
      }
      // The browser gave up (the server refused the stream): find out why, then try again.
      source.close();
      fetch(root.dataset.status, { headers: { "X-Calldesk-Background": "1" }, credentials: "same-origin" })
        .then(function (answer) {
          if (answer.status === 401) {
            setConnection("loggedout", "Logged out: log in again to receive calls");
            return;
          }
          setConnection("reconnecting", "Disconnected: reconnecting…");
          setTimeout(connect, retryDelay);
          retryDelay = Math.min(retryDelay * 2, 30000);
        })
        .catch(function () {
          setConnection("reconnecting", "Disconnected: reconnecting…");
          setTimeout(connect, retryDelay);
          retryDelay = Math.min(retryDelay * 2, 30000);
        });
    });
  }

  windowButton.addEventListener("click", function () {
    reportWindow = window.open(root.dataset.window, "calldesk-report");
    windowState.dataset.state = reportWindow ? "open" : "closed";
    windowState.textContent = reportWindow
      ? "The report window is open: calls sent to you open there."
      : "The browser did not open the window: allow pop-ups for this site.";
    if (window.Notification && Notification.permission === "default") Notification.requestPermission();
  });

  setInterval(function () {
    document.querySelectorAll(".call-ago").forEach(function (when) { when.textContent = ago(when.dataset.at); });
    document.querySelectorAll(".call-answered").forEach(function (since) { since.textContent = answeredText(since); });
    if (board) {
      // A call whose phone system never says it ended leaves the board at the stale limit, as
      // it does for the server (a console kept open all day shows what a reload would).
      board.querySelectorAll("li[data-call]").forEach(function (li) {
        var when = li.querySelector(".call-ago");
        if (when && Date.now() - Date.parse(when.dataset.at) > staleMs) li.remove();
      });
    }
    if (reportWindow && reportWindow.closed && windowState.dataset.state === "open") {
      windowState.dataset.state = "closed";
      windowState.textContent = "The report window was closed: open it again to have calls open there.";
    }
  }, 5000);

  // The events of the few seconds before the page's id that it already shows: the stream sends
  // them again (for one that may commit late), and they are skipped like any id seen.
  JSON.parse(document.getElementById("console-shown-events").textContent).forEach(function (id) {
    seen[String(id)] = true;
  });

  // Opened or reloaded: the calls sent to this user that still wait for them (no report window
  // is pointed at them again: they were popped when they came).
  JSON.parse(document.getElementById("console-mine-calls").textContent).forEach(function (call) {
    place(calls, item(call));
    empty.hidden = true;
  });
  if (board) {
    JSON.parse(document.getElementById("console-board-calls").textContent).forEach(showOnBoard);
  }
  connect();
})();
