// The directory import page: the upload's progress, then the import's answer, without leaving the page.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest) return;
  var bar = document.getElementById("import-progress");
  var state = document.getElementById("import-state");
  var result = document.getElementById("import-result");
  form.addEventListener("submit", function (event) {
    var file = document.getElementById("id_file");
    if (!file.files.length) return;
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", window.location.pathname);
    request.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    bar.value = 0;
    result.textContent = "";
    state.textContent = "Uploading…";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    request.upload.addEventListener("load", function () {
      bar.removeAttribute("value"); // indeterminate while the server checks and imports
      state.textContent = "Checking and importing…";
    });
    request.addEventListener("load", function () {
      bar.value = 100;
      var body;
      try { body = JSON.parse(request.responseText); } catch (e) { body = { ok: false, problems: ["The server answered " + request.status + "."] }; }
      if (body.ok) {
        state.textContent = "Imported: " + body.summary;
      } else {
        state.textContent = "Nothing was imported:";
        body.problems.forEach(function (p) {
          var li = document.createElement("li");
          li.textContent = p;
          result.appendChild(li);
        });
      }
    });
    request.addEventListener("error", function () { state.textContent = "The upload failed; nothing was imported."; });
    request.send(new FormData(form));
  });
})();
