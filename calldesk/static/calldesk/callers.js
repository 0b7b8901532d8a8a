// The caller profile card sits beside "Earlier calls" in the editor; the alerts stay on top.
(function () {
  var card = document.getElementById("caller-profile");
  var earlier = document.getElementById("earlier-calls");
  if (card && earlier) earlier.parentNode.insertBefore(card, earlier);
  var panel = document.getElementById("caller-panel");
  if (panel && !panel.querySelector("*")) panel.hidden = true;
})();
