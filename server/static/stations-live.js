// Live Desks and stations: listens to /stations/events; when the fingerprint of the tables
// differs from the one this page was rendered with, fetches the page again (same session)
// and swaps its #stations-live block for the fresh one, parsed by the browser (no HTML string
// from the server is ever assigned as markup). Without JavaScript the page is complete.
"use strict";
(function () {
  var root = document.getElementById("stations-live");
  if (!root || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var source = new EventSource(root.getAttribute("data-live"));
  var busy = false;
  var wanted = null;
  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text === null) { return; }
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("stations-live");
        if (!fresh) { return; }
        var node = document.importNode(fresh, true);
        root.parentNode.replaceChild(node, root);
        root = node;
        var n = Number(document.body.getAttribute("data-refreshes") || "0") + 1;
        document.body.setAttribute("data-refreshes", String(n));
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (wanted !== null && wanted !== root.getAttribute("data-hash")) { refresh(); }
      });
  }
  source.addEventListener("stations", function (e) {
    wanted = e.data;
    if (wanted !== root.getAttribute("data-hash")) { refresh(); }
  });
})();
