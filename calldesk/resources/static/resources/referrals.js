// The resource panel beside the report editor: search the directory, add a service to the
// report's referrals in one click, record an unmet need. The referrals live in the field's
// hidden input as one JSON document (callforms.referrals); every change fires "input" on it,
// so the editor's autosave keeps it like anything typed. Text is only ever set as textContent.
(function () {
  "use strict";
  var panel = document.getElementById("resource-panel");
  var field = document.querySelector("input[data-referrals]");
  if (!panel || !field) return;
  panel.hidden = false;
  var list = document.querySelector('[data-referrals-list="' + field.id + '"]');
  var results = document.getElementById("resource-results");
  var status = document.getElementById("resource-status");

  function read() {
    try {
      var doc = field.value ? JSON.parse(field.value) : {};
      return { services: doc.services || [], unmet: doc.unmet || [] };
    } catch (e) {
      return { services: [], unmet: [] };
    }
  }

  function write(doc) {
    field.value = doc.services.length || doc.unmet.length ? JSON.stringify(doc) : "";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    render();
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function button(text, label, onClick) {
    var b = el("button", text);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function render() {
    var doc = read();
    list.textContent = "";
    doc.services.forEach(function (s, i) {
      var li = el("li", [s.name, s.phone, s.address].filter(Boolean).join(" · "), "service");
      li.appendChild(button("Remove", "Remove " + s.name, function () {
        var d = read(); d.services.splice(i, 1); write(d);
      }));
      list.appendChild(li);
    });
    doc.unmet.forEach(function (u, i) {
      var li = el("li", u.name, "unmet");
      li.appendChild(button("Remove", "Remove unmet need " + u.name, function () {
        var d = read(); d.unmet.splice(i, 1); write(d);
      }));
      list.appendChild(li);
    });
  }

  function has(doc, id) {
    return doc.services.concat(doc.unmet).some(function (x) { return x.id === id; });
  }

  function addService(hit) {
    var doc = read();
    if (has(doc, hit.id)) return;
    doc.services.push({
      id: hit.id, name: hit.name, organization: hit.organization,
      phone: hit.phones[0] || "", address: hit.address, terms: hit.terms.slice(0, 10)
    });
    write(doc);
  }

  function addUnmet(term) {
    var doc = read();
    if (has(doc, term.id)) return;
    doc.unmet.push({ id: term.id, name: term.name, code: term.code });
    write(doc);
  }

  function showResults(data) {
    results.textContent = "";
    status.textContent = data.results.length ? data.results.length + " found" : (data.notices[0] || "Nothing found");
    data.results.forEach(function (hit) {
      var li = el("li");
      li.appendChild(el("div", hit.name, "name"));
      var facts = [hit.organization];
      if (hit.distance_km !== null) facts.push(hit.distance_km.toFixed(1) + " km");
      if (hit.phones.length) facts.push(hit.phones.join(", "));
      if (hit.address) facts.push(hit.address);
      li.appendChild(el("div", facts.join(" · "), "facts"));
      if (hit.hours.length) li.appendChild(el("div", "Hours: " + hit.hours.join("; "), "facts"));
      if (hit.eligibility) li.appendChild(el("div", "Eligibility: " + hit.eligibility, "facts"));
      if (hit.fees) li.appendChild(el("div", "Fees: " + hit.fees, "facts"));
      li.appendChild(button("Add", "Add " + hit.name + " to the referrals", function () { addService(hit); }));
      results.appendChild(li);
    });
  }

  function get(url, params, then) {
    var query = new URLSearchParams(params).toString();
    fetch(url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(then)
      .catch(function () { status.textContent = "The directory could not be searched just now."; });
  }

  // The taxonomy as a tree: a term's button searches by it (with the terms under it); its
  // disclosure button (aria-expanded) loads and shows the terms under it. Native buttons, so
  // Tab, Enter and Space work without a script of their own.
  var searchForm = document.getElementById("resource-search");
  var picked = null;
  var pickedBox = document.getElementById("resource-picked");
  var pickedName = document.getElementById("resource-picked-name");

  function pick(term) {
    picked = term;
    pickedBox.hidden = !term;
    pickedName.textContent = term ? term.name : "";
  }

  document.getElementById("resource-picked-clear").addEventListener("click", function () {
    pick(null);
    document.getElementById("resource-q").focus();
  });

  function branch(term) {
    var li = el("li");
    var row = el("div", null, "term");
    var toggle = null;
    if (term.has_children) {
      toggle = button("", "Show the terms under " + term.name, function () { expand(li, toggle, term); });
      toggle.className = "tree-toggle";
      toggle.setAttribute("aria-expanded", "false");
      row.appendChild(toggle);
    } else {
      row.appendChild(el("span", null, "tree-leaf"));
    }
    var choose = button(term.name + (term.code ? " (" + term.code + ")" : ""), "Search by " + term.name, function () {
      pick(term);
      searchForm.requestSubmit();
    });
    choose.className = "tree-term";
    choose.removeAttribute("aria-label"); // its name is what it shows
    choose.title = "Search by this need";
    row.appendChild(choose);
    li.appendChild(row);
    return li;
  }

  function expand(li, toggle, term) {
    var open = toggle.getAttribute("aria-expanded") === "true";
    var below = li.querySelector("ul");
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
    toggle.setAttribute("aria-label", (open ? "Show" : "Hide") + " the terms under " + term.name);
    if (below) { below.hidden = open; return; }
    if (open) return;
    below = el("ul");
    below.setAttribute("aria-label", "Terms under " + term.name);
    li.appendChild(below);
    loadLevel(below, term.id);
  }

  function loadLevel(into, parentId) {
    get(panel.dataset.treeUrl, parentId ? { parent: parentId } : {}, function (data) {
      into.textContent = "";
      data.results.forEach(function (term) { into.appendChild(branch(term)); });
      if (!data.results.length) into.appendChild(el("li", "No terms."));
    });
  }

  var browse = document.getElementById("resource-browse");
  browse.addEventListener("toggle", function () {
    var tree = document.getElementById("resource-tree");
    if (browse.open && !tree.childElementCount) loadLevel(tree, null);
  });

  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = "Searching…";
    // Near the caller: the form's postal code or city field, when nothing else was typed in the panel.
    var place = document.getElementById("resource-place");
    var callers = panel.dataset.placeInput && document.getElementById(panel.dataset.placeInput);
    if (!place.value.trim() && callers && callers.value.trim()) place.value = callers.value.trim();
    get(panel.dataset.searchUrl, {
      q: document.getElementById("resource-q").value,
      term: picked ? picked.id : "",
      place: document.getElementById("resource-place").value,
      language: document.getElementById("resource-language").value,
      open_now: document.getElementById("resource-open-now").checked ? "1" : ""
    }, showResults);
  });

  var termInput = document.getElementById("resource-term");
  var termList = document.getElementById("resource-terms");
  var timer = null;
  termInput.addEventListener("input", function (event) {
    event.stopPropagation();
    clearTimeout(timer);
    timer = setTimeout(function () {
      get(panel.dataset.termsUrl, { q: termInput.value }, function (data) {
        termList.textContent = "";
        data.results.forEach(function (term) {
          var li = el("li", term.name + (term.code ? " (" + term.code + ")" : ""));
          li.appendChild(button("Unmet", "Record " + term.name + " as an unmet need", function () { addUnmet(term); }));
          termList.appendChild(li);
        });
      });
    }, 250);
  });
  render();
})();
