// The console's follow-up reminders: the stream sends `followups` events with every follow-up of
// this user (and the pool's) that is due; they are listed, and new ones notified while the tab
// is hidden. Shown with textContent: nothing from the server becomes markup.
(function () {
  "use strict";
  var card = document.getElementById("console-followups");
  var list = document.getElementById("console-followups-list");
  if (!card || !list) return;
  var notified = {};

  function show(event) {
    var found = JSON.parse(event.data);
    var due = found.due || [];
    list.textContent = "";
    due.forEach(function (item) {
      if (!/^\/followups\/[0-9a-f-]+\/$/.test(item.url)) return;
      var li = document.createElement("li");
      li.dataset.followup = item.id;
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.method + " due " + item.due + (item.pool ? " (pool)" : "");
      li.appendChild(link);
      var form = document.createElement("span");
      form.className = "meta";
      form.textContent = " · " + item.form;
      li.appendChild(form);
      list.appendChild(li);
      if (!notified[item.id] && document.hidden && window.Notification && Notification.permission === "granted") {
        new Notification("A follow-up is due", { body: item.method + " · " + item.form, tag: item.id });
      }
      notified[item.id] = true;
    });
    card.hidden = due.length === 0;
  }

  document.addEventListener("calldesk:stream", function (event) {
    event.detail.addEventListener("followups", show);
  });
})();
