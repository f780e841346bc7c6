// Live progress of an order page: listens to /orders/{id}/events and writes the values into
// the page with textContent only (no HTML from the server is ever inserted, a printer's text
// included). Each event after the first carries the store time of the change behind it: the
// delay from that change to this page is kept in data-latencies (milliseconds,
// comma-separated) for the browser test.
"use strict";
(function () {
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) { return; }
  var source = new EventSource(root.getAttribute("data-live"));
  var seen = 0;
  function set(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(text); }
  }
  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text || "";
    row.appendChild(td);
    return td;
  }
  function resumeForm(name) {
    var csrf = document.querySelector("input[name=csrf]");
    var form = document.createElement("form");
    form.className = "inline";
    form.method = "post";
    form.action = "/stations/" + encodeURIComponent(name) + "/resume";
    [["csrf", csrf ? csrf.value : ""], ["back", window.location.pathname]].forEach(function (kv) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = kv[0];
      input.value = kv[1];
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Resume";
    form.appendChild(button);
    return form;
  }
  function stations(list) {
    var body = document.getElementById("stations-body");
    if (!body) { return; }
    while (body.firstChild) { body.removeChild(body.firstChild); }
    list.forEach(function (s) {
      var row = document.createElement("tr");
      row.setAttribute("data-station", s.name);
      cell(row, s.name);
      cell(row, s.desk);
      cell(row, s.state).className = "state";
      cell(row, s.card);
      cell(row, s.step);
      var printer = cell(row, s.printer ? s.printer.text : "");
      if (s.printer && s.printer.warn) { printer.className = "warn"; }
      if (s.printer && s.printer.read_at) { printer.title = "read " + s.printer.read_at; }
      cell(row, s.reason);
      var last = cell(row, "");
      if (s.state === "paused" && root.getAttribute("data-resume") === "yes") {
        last.appendChild(resumeForm(s.name));
      }
      body.appendChild(row);
    });
    document.getElementById("stations").hidden = list.length === 0;
    document.getElementById("stations-none").hidden = list.length !== 0;
  }
  source.addEventListener("order", function (e) {
    var d = JSON.parse(e.data);
    seen += 1;
    if (seen > 1 && d.changed_at) {
      var ms = Date.now() - Date.parse(d.changed_at);
      var kept = root.getAttribute("data-latencies");
      root.setAttribute("data-latencies", (kept ? kept + "," : "") + ms);
    }
    set("order-state", d.state);
    set("out-total", d.total);
    ["produced", "failed", "waiting", "in_production"].forEach(function (k) { set("out-" + k, d.outcome[k]); });
    stations(d.stations);
    d.cards.forEach(function (c) {
      set("card-state-" + c[0], c[1]);
      set("card-reason-" + c[0], c[2]);
      set("card-step-" + c[0], c[3]);
    });
    root.setAttribute("data-events", String(seen));
    if (d.state !== "open") { source.close(); }
  });
})();
