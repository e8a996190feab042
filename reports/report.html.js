(function () {
  "use strict";
  var all = ["critical", "high", "medium", "low", "info"];
  var shown = new Set(all);
  var provider = "";
  var toolbar = document.getElementById("toolbar");
  var providerBox = document.getElementById("provider-filter");
  var accountBox = document.querySelector("input[data-filter]");
  var each = function (selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); };

  // Sortable account columns; numbers sort as numbers (data-value), text case-blind.
  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-value") || cell.textContent.trim();
    return kind === "num" ? parseFloat(raw) || 0 : raw.toLowerCase();
  }
  each("th[data-sort]", function (th) {
    th.addEventListener("click", function () {
      var table = th.closest("table"), body = table.tBodies[0];
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      var kind = th.getAttribute("data-sort"), asc = !th.classList.contains("asc");
      th.parentNode.querySelectorAll("th").forEach(function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(asc ? "asc" : "desc");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });

  // One filter for everything that carries data-sev / data-prov: the "broken now" rows,
  // finding cards, incidents, accounts and their timelines. A healthy account has no
  // severity, so it shows only while every severity is shown.
  function passes(el) {
    var sev = el.getAttribute("data-sev");
    if (shown.size < all.length && !shown.has(sev)) return false;
    var provs = (el.getAttribute("data-prov") || "").split(" ").filter(Boolean);
    if (provider && provs.length && provs.indexOf(provider) < 0) return false;
    if (accountBox && el.closest("#accounts-table")) {
      var words = accountBox.value.toLowerCase().split(/\s+/).filter(Boolean);
      var text = el.textContent.toLowerCase();
      if (!words.every(function (w) { return text.indexOf(w) >= 0; })) return false;
    }
    return true;
  }
  function apply() {
    each("[data-sev]", function (el) { el.hidden = !passes(el); });
    each("button[data-sev-toggle]", function (b) {
      b.setAttribute("aria-pressed", String(shown.has(b.getAttribute("data-sev-toggle"))));
    });
    var cards = document.querySelectorAll("details.finding"), visible = 0;
    Array.prototype.forEach.call(cards, function (c) { if (!c.hidden) visible += 1; });
    var count = document.getElementById("filter-count");
    if (count) count.textContent = visible === cards.length ? "" : visible + " of " + cards.length + " findings shown";
  }
  each("button[data-sev-toggle]", function (b) {
    b.addEventListener("click", function () {
      var sev = b.getAttribute("data-sev-toggle");
      if (shown.has(sev)) shown.delete(sev); else shown.add(sev);
      apply();
    });
  });
  each("a[data-only]", function (a) {
    a.addEventListener("click", function () {
      var only = a.getAttribute("data-only");
      shown = new Set(only === "all" ? all : [only]);
      apply();
    });
  });
  if (providerBox) providerBox.addEventListener("change", function () { provider = providerBox.value; apply(); });
  if (accountBox) accountBox.addEventListener("input", apply);

  // Findings start collapsed; a link to one (a "broken now" row, an incident, an account's
  // problem) opens it, and the details around it, even when a filter had hidden it.
  function openTarget(id) {
    var target = id && document.getElementById(id);
    if (!target) return;
    for (var el = target; el; el = el.parentElement) {
      if (el.hidden) { shown = new Set(all); provider = ""; if (providerBox) providerBox.value = ""; apply(); }
      if (el.tagName === "DETAILS") el.open = true;
    }
    target.scrollIntoView();
  }
  each("a[href^='#']", function (a) {
    a.addEventListener("click", function () { openTarget(a.getAttribute("href").slice(1)); });
  });
  each("tr[data-href]", function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;
      location.hash = row.getAttribute("data-href");
      openTarget(row.getAttribute("data-href").slice(1));
    });
  });
  function fromHash() {
    try { openTarget(decodeURIComponent(location.hash.slice(1))); } catch (e) { /* a malformed #fragment */ }
  }
  window.addEventListener("hashchange", fromHash);
  if (location.hash) fromHash();

  function setAll(open) { each("details.finding", function (d) { d.open = open; }); }
  document.getElementById("expand-all").addEventListener("click", function () { setAll(true); });
  document.getElementById("collapse-all").addEventListener("click", function () { setAll(false); });
  // Paper has no clicks: everything prints expanded.
  window.addEventListener("beforeprint", function () { each("details", function (d) { d.open = true; }); });
  toolbar.hidden = false;
})();
