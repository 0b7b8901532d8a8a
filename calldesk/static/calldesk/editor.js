// The call report editor: autosave, offline retries, session expiry, conflicts, submit once.
//
// Rules this script keeps:
// - a change is saved on the server within 3 seconds; saves go one at a time, in order, so an
//   older save never overtakes a newer one;
// - "Saved" is shown only when the server confirmed a save that holds every change typed;
// - nothing typed is ever dropped: offline, 5xx, an expired session or a conflict keep the page
//   as it is and say so; nothing of the caller is written to the browser's storage;
// - a value that does not pass its check yet never holds up the save: the server
//   keeps it as typed and answers which fields to mark; submit refuses them and takes the
//   specialist to the first one.
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  if (!form) return;

  var stateEl = document.getElementById("save-state");
  var versionEl = document.getElementById("id_version");
  var isDraft = form.dataset.draft === "true";
  var saveUrl = form.dataset.saveUrl;
  var submitUrl = form.dataset.submitUrl;

  var DEBOUNCE_MS = 1200; // quiet time after the last keystroke
  var MAX_WAIT_MS = 2500; // a save starts at the latest this long after the first unsaved change
  var MAX_BACKOFF_MS = 15000;

  var editSeq = 0; // bumped by every change
  var savedSeq = 0; // the edit the server has confirmed
  var busy = false; // a request is in flight
  var queue = []; // work waiting for the request in flight
  var debounceTimer = null;
  var maxWaitTimer = null;
  var retryTimer = null;
  var backoff = 1000;
  var blocked = null; // "login" or "conflict": saving waits for the specialist
  var leaving = false;

  function setState(state, text) {
    stateEl.dataset.state = state;
    stateEl.textContent = text;
  }

  function timeNow() {
    // 24-hour, as every time Calldesk shows.
    var now = new Date();
    return [now.getHours(), now.getMinutes(), now.getSeconds()]
      .map(function (n) {
        return (n < 10 ? "0" : "") + n;
      })
      .join(":");
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function body() {
    var data = new FormData(form);
    // The token in the page goes stale when the specialist logs in again; the cookie is current.
    data.delete("csrfmiddlewaretoken");
    // Form-encoded: cheaper for the server to read than multipart, and the form holds no files.
    return new URLSearchParams(data);
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (json) {
          return { status: response.status, json: json };
        });
    });
  }

  // --- the queue: one request at a time, in order -------------------------------------------
  function run(task) {
    queue.push(task);
    pump();
  }

  function pump() {
    if (busy || queue.length === 0) return;
    busy = true;
    var task = queue.shift();
    task().then(
      function () {
        busy = false;
        pump();
      },
      function () {
        busy = false;
        pump();
      }
    );
  }

  // --- changes and autosave ----------------------------------------------------------------
  function changed() {
    editSeq += 1;
    if (blocked === null) setState("dirty", "Unsaved changes");
    if (!isDraft) return; // a correction is saved when the specialist says so
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(saveSoon, DEBOUNCE_MS);
    if (maxWaitTimer === null) maxWaitTimer = setTimeout(saveSoon, MAX_WAIT_MS);
  }

  function saveSoon() {
    clearTimeout(debounceTimer);
    clearTimeout(maxWaitTimer);
    debounceTimer = null;
    maxWaitTimer = null;
    if (blocked !== null) return;
    if (queue.indexOf(saveTask) === -1) run(saveTask);
  }

  function saveTask() {
    if (editSeq === savedSeq && !blocked) return Promise.resolve();
    var seq = editSeq;
    setState("saving", "Saving…");
    return post(saveUrl, body()).then(
      function (result) {
        handleSave(result, seq);
      },
      function () {
        offline();
      }
    );
  }

  function handleSave(result, seq) {
    var json = result.json;
    if (result.status === 200 && json.ok) {
      versionEl.value = json.version;
      savedSeq = seq;
      backoff = 1000;
      var marked = Object.keys(json.marked || {}).length;
      showFieldErrors(json.marked || {}, "invalid");
      if (editSeq === savedSeq) {
        var note = marked ? " · " + marked + (marked === 1 ? " field needs" : " fields need") + " a look before submit" : "";
        var at = json.saved_at_shown || timeNow();
        setState(marked ? "marked" : "saved", (isDraft ? "Draft saved at " : "Saved at ") + at + note);
      } else {
        setState("dirty", "Unsaved changes");
        saveSoon();
      }
      return;
    }
    handleRefusal(result, "Not saved");
  }

  function handleRefusal(result, verb) {
    var json = result.json;
    if (result.status === 401 || result.status === 403) {
      askToLogIn(json.message);
    } else if (result.status === 409 && json.conflict) {
      showConflict(json);
    } else if (result.status === 409) {
      setState("error", verb + ": " + (json.message || "this report can no longer be changed here."));
    } else if (result.status === 400 && json.errors) {
      showFieldErrors(json.errors, null);
      setState("error", verb + ": check the marked fields.");
      focusFirstProblem();
      // What was typed since the last save is still saved, marks and all.
      if (isDraft && editSeq !== savedSeq) saveSoon();
    } else if (result.status === 404) {
      setState("error", verb + ": this report is not open to you any more.");
    } else {
      offline(); // 5xx: the server is there but not well; keep everything and retry
    }
  }

  // --- offline ---------------------------------------------------------------------------------
  function offline() {
    setState("offline", "Offline — your changes are kept on this page and will be saved when the server is back.");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      saveSoon();
    }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  window.addEventListener("online", function () {
    backoff = 1000;
    if (editSeq !== savedSeq) saveSoon();
  });

  // --- session ended ---------------------------------------------------------------------------
  var loginBox = null;

  function askToLogIn(message) {
    blocked = "login";
    setState("login", "Not saved — your session has ended.");
    if (loginBox === null) {
      loginBox = document.createElement("div");
      loginBox.className = "errors";
      loginBox.id = "login-needed";
      loginBox.setAttribute("role", "alert");
      var text = document.createElement("p");
      text.textContent = (message || "Your session has ended.") + " ";
      var link = document.createElement("a");
      link.href = "/accounts/login/?next=/reports/unfinished/";
      link.target = "_blank";
      link.rel = "opener";
      link.id = "login-again";
      link.textContent = "Log in again (opens a new tab), then come back here.";
      text.appendChild(link);
      loginBox.appendChild(text);
      form.parentNode.insertBefore(loginBox, form);
    }
  }

  function retryAfterLogin() {
    if (blocked !== "login") return;
    blocked = null;
    if (loginBox) {
      loginBox.remove();
      loginBox = null;
    }
    run(saveTask);
  }

  window.addEventListener("focus", retryAfterLogin);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") retryAfterLogin();
  });
  setInterval(retryAfterLogin, 5000);

  // --- conflicts -------------------------------------------------------------------------------
  function showConflict(json) {
    blocked = "conflict";
    setState("error", "Not saved — someone else changed this report.");
    var old = document.getElementById("conflict-panel");
    if (old) old.remove();
    var panel = document.createElement("div");
    panel.className = "errors";
    panel.id = "conflict-panel";
    panel.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = json.message;
    panel.appendChild(p);
    var heading = document.createElement("p");
    heading.textContent = "The saved version (yours is in the form below):";
    panel.appendChild(heading);
    var rows = document.createElement("dl");
    rows.className = "rows";
    (json.theirs || []).forEach(function (row) {
      var dt = document.createElement("dt");
      dt.textContent = row[0];
      var dd = document.createElement("dd");
      dd.textContent = row[1] === null ? "" : String(row[1]);
      rows.appendChild(dt);
      rows.appendChild(dd);
    });
    panel.appendChild(rows);
    var keep = document.createElement("button");
    keep.type = "button";
    keep.id = "keep-mine";
    keep.textContent = "Keep my version";
    keep.addEventListener("click", function () {
      versionEl.value = json.version; // overwrite knowingly: the other version stays in history
      panel.remove();
      blocked = null;
      editSeq += 1;
      run(saveTask);
    });
    var take = document.createElement("button");
    take.type = "button";
    take.id = "take-theirs";
    take.textContent = "Use the saved version";
    take.addEventListener("click", function () {
      leaving = true;
      window.location.reload();
    });
    panel.appendChild(keep);
    panel.appendChild(document.createTextNode(" "));
    panel.appendChild(take);
    form.parentNode.insertBefore(panel, form);
  }

  // --- field marks -----------------------------------------------------------------------------
  // Two kinds: "invalid" (a value that does not pass its check; every save answers them anew)
  // and "required" (found by a failed submit; kept until the field is typed in or submit runs again).
  function clearFieldErrors(kind) {
    form.querySelectorAll(".field-error").forEach(function (el) {
      if (kind === null || el.dataset.kind === kind) el.remove();
    });
    form.querySelectorAll(".field.has-error").forEach(function (el) {
      if (!el.querySelector(".field-error")) el.classList.remove("has-error");
    });
  }

  // `kind` null: `errors` is the whole picture (a refused submit); else only that kind is replaced.
  function showFieldErrors(errors, kind) {
    clearFieldErrors(kind);
    Object.keys(errors).forEach(function (name) {
      var box = document.getElementById("field-" + name) || form;
      box.classList.add("has-error");
      errors[name].forEach(function (error) {
        var p = document.createElement("p");
        p.className = "field-error";
        p.dataset.kind = error.code === "required" ? "required" : "invalid";
        p.setAttribute("role", "alert");
        p.textContent = error.message;
        box.appendChild(p);
      });
    });
  }

  function clearRequiredMark(target) {
    var box = target && target.closest ? target.closest(".field") : null;
    if (!box) return;
    box.querySelectorAll('.field-error[data-kind="required"]').forEach(function (el) {
      el.remove();
    });
    if (!box.querySelector(".field-error")) box.classList.remove("has-error");
  }

  function focusFirstProblem() {
    var box = form.querySelector(".field.has-error");
    if (!box) return;
    var control = box.querySelector("input, select, textarea");
    box.scrollIntoView({ block: "center" });
    if (control) control.focus({ preventScroll: true });
  }

  // --- submit, save and close buttons ----------------------------------------------------------
  var sending = false;

  // `makeData` is called when the request is sent, not when the button was clicked: a save still
  // on its way moves the version on, and the submit behind it must carry the new one.
  function finish(url, makeData, verb) {
    if (sending) return; // a double click sends once; the server's submit key covers retries
    sending = true;
    clearTimeout(debounceTimer);
    setState("saving", verb + "…");
    var seq = editSeq;
    run(function () {
      return post(url, makeData()).then(
        function (result) {
          sending = false;
          if (result.status === 200 && result.json.ok) {
            savedSeq = seq;
            leaving = true;
            window.location.assign(result.json.url || window.location.pathname);
            return;
          }
          handleRefusal(result, "Not " + verb.toLowerCase());
        },
        function () {
          sending = false;
          setState("offline", "Offline — not " + verb.toLowerCase() + ". Everything you typed is kept; try again when the connection is back.");
          offline();
        }
      );
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = event.submitter;
    if (button && button.name === "close_as") {
      var closeAs = button.value;
      finish(
        button.formAction,
        function () {
          var data = body();
          data.append("close_as", closeAs);
          return data;
        },
        "Closed"
      );
    } else if (button && button.id === "submit-button") {
      finish(submitUrl, body, "Submitted");
    } else if (isDraft) {
      if (editSeq === savedSeq && !busy) setState("saved", "Draft saved — nothing new to save");
      saveSoon();
    } else {
      finish(saveUrl, body, "Saved");
    }
  });

  // Every control (text, select, checkbox, date) fires "input" on each change; "change" would
  // count a text field twice (again on blur) and show saved work as unsaved.
  form.addEventListener("input", function (event) {
    clearRequiredMark(event.target);
    changed();
  });

  // --- keyboard: Ctrl+Enter submits (saves a correction), Ctrl+S saves; Cmd on a Mac ---------------
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    var submitButton = document.getElementById("submit-button");
    var saveButton = document.getElementById("save-button");
    if (event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit(submitButton || saveButton);
    } else if (event.key === "s" || event.key === "S") {
      event.preventDefault(); // not the browser's "save page as"
      form.requestSubmit(saveButton);
    }
  });

  // Tests (and people watching closely) can tell the page is fully wired up.
  form.dataset.ready = "true";

  window.addEventListener("beforeunload", function (event) {
    if (leaving) return;
    if (editSeq !== savedSeq || busy) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
