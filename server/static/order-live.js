// Live progress of an order page: listens to /orders/{id}/events and writes the values into
// the page with textContent only (no HTML from the server is ever inserted).
"use strict";
(function () {
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) { return; }
  var source = new EventSource(root.getAttribute("data-live"));
  function set(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(text); }
  }
  source.addEventListener("order", function (e) {
    var d = JSON.parse(e.data);
    set("order-state", d.state);
    set("out-total", d.total);
    ["produced", "failed", "waiting", "in_production"].forEach(function (k) { set("out-" + k, d.outcome[k]); });
    d.cards.forEach(function (c) {
      set("card-state-" + c[0], c[1]);
      set("card-reason-" + c[0], c[2]);
    });
    if (d.state !== "open") { source.close(); }
  });
})();
