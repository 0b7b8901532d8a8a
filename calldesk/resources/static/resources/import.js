// The directory import page: the upload's progress, then the background import's progress,
// read from its status URL every second until it has finished (the page itself shows the
// latest import's state without a script; this keeps it moving).
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var box = document.getElementById("import-job");
  if (!form || !box || !window.XMLHttpRequest) return;
  var title = document.getElementById("import-job-title");
  var bar = document.getElementById("import-progress");
  var state = document.getElementById("import-state");
  var result = document.getElementById("import-result");
  var button = document.getElementById("import-button");
  var POLL_MS = 1000;

  function listProblems(problems) {
    result.textContent = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p;
      result.appendChild(li);
    });
  }

  function show(job) {
    title.textContent = "Import of " + job.file;
    bar.max = job.total;
    bar.value = job.done;
    bar.textContent = job.done + "%";
    if (job.state === "done") {
      state.textContent = "Imported: " + job.summary;
      listProblems([]);
    } else if (job.finished) {
      state.textContent = "Nothing was imported:";
      listProblems(job.problems);
    } else {
      state.textContent = job.state === "queued" ? "Waiting to start…" : "Importing: " + job.step + "…";
    }
    button.disabled = !job.finished;
  }

  function poll(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (job) {
        show(job);
        if (!job.finished) setTimeout(function () { poll(url); }, POLL_MS);
      })
      .catch(function () {
        state.textContent = "The import's progress cannot be read just now; retrying…";
        setTimeout(function () { poll(url); }, POLL_MS * 5);
      });
  }

  if (box.dataset.statusUrl && box.dataset.finished === "0") poll(box.dataset.statusUrl);

  form.addEventListener("submit", function (event) {
    var file = document.getElementById("id_file");
    if (!file.files.length) return;
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", window.location.pathname);
    request.setRequestHeader("Accept", "application/json");
    box.hidden = false;
    title.textContent = "Upload of " + file.files[0].name;
    bar.max = 100;
    bar.value = 0;
    listProblems([]);
    state.textContent = "Uploading…";
    button.disabled = true;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    request.addEventListener("load", function () {
      var body;
      try { body = JSON.parse(request.responseText); } catch (e) { body = { ok: false, problems: ["The server answered " + request.status + "."] }; }
      if (body.ok) {
        show(body.job);
        poll(body.status_url);
      } else {
        bar.value = 0;
        state.textContent = "Nothing was imported:";
        listProblems(body.problems);
        button.disabled = false;
      }
    });
    request.addEventListener("error", function () {
      state.textContent = "The upload failed; nothing was imported.";
      button.disabled = false;
    });
    request.send(new FormData(form));
  });
})();
