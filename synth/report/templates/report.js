/* gem-env view: pages the embedded data (#report-data) into tables; no network, no libraries. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 50;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "onclick") node.addEventListener("click", attrs[k]);
      else if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    kids.forEach(function (kid) {
      if (kid === null || kid === undefined) return;
      node.appendChild(typeof kid === "object" ? kid : document.createTextNode(String(kid)));
    });
    return node;
  }
  function status(s) { return el("span", { "class": "status status-" + s, text: s || "" }); }
  function pre(text) { return el("pre", { text: text || "" }); }
  function json(v) { return JSON.stringify(v, null, 2); }
  function fmt(v) { return typeof v === "number" ? (Math.round(v * 1000) / 1000).toString() : (v === null || v === undefined ? "" : String(v)); }

  /* A filterable list paged PAGE rows at a time into root's <tbody>. */
  function Pager(root, rows, row, extra) {
    var input = root.querySelector("input[type=search]");
    var body = root.querySelector("tbody");
    var pages = root.querySelector(".pages");
    var page = 0, shown = rows, keys = null;
    function key(i) {
      if (!keys) keys = rows.map(function (r) { return JSON.stringify(r).toLowerCase(); });
      return keys[i];
    }
    function filter() {
      var q = input ? input.value.trim().toLowerCase() : "";
      shown = rows.filter(function (r, i) {
        return (!extra || extra(r)) && (!q || key(i).indexOf(q) >= 0);
      });
      page = 0;
      render();
    }
    function render() {
      var n = Math.max(1, Math.ceil(shown.length / PAGE));
      page = Math.min(page, n - 1);
      body.textContent = "";
      shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (r) { body.appendChild(row(r)); });
      if (!shown.length) body.appendChild(el("tr", {}, el("td", { colspan: "20", "class": "muted", text: "nothing to show" })));
      pages.textContent = "";
      pages.appendChild(el("button", { type: "button", onclick: function () { page = Math.max(0, page - 1); render(); } }, "\u2039 prev"));
      pages.appendChild(el("span", { text: "page " + (page + 1) + " of " + n + " (" + shown.length + " of " + rows.length + ")" }));
      pages.appendChild(el("button", { type: "button", onclick: function () { page = Math.min(n - 1, page + 1); render(); } }, "next \u203a"));
    }
    if (input) input.addEventListener("input", filter);
    filter();
    return { refresh: filter };
  }
  function list(name) { return document.querySelector('.pager[data-list="' + name + '"]'); }

  /* -- indexes ------------------------------------------------------------------------ */
  var trajectoriesByDoc = {};
  D.trajectories.forEach(function (t) { if (t.document_id) (trajectoriesByDoc[t.document_id] = trajectoriesByDoc[t.document_id] || []).push(t); });
  var toolkitsByName = {}, toolkitsByDoc = {};
  D.toolkits.forEach(function (k) {
    toolkitsByName[k.name] = toolkitsByName[k.name] || k;
    if (k.document_id) (toolkitsByDoc[k.document_id] = toolkitsByDoc[k.document_id] || []).push(k);
  });

  /* -- documents ---------------------------------------------------------------------- */
  var docFilter = null, statusSelect = null, chip = null, trajectoryPager = null;
  function showDocument(id) {
    docFilter = id;
    chip.hidden = false;
    chip.textContent = "document " + id + " \u2715";
    trajectoryPager.refresh();
    var ts = trajectoriesByDoc[id] || [];
    if (ts.length) openTrajectory(ts[0].id);
    document.getElementById("trajectories").scrollIntoView();
  }
  if (list("outcomes")) {
    Pager(list("outcomes"), D.outcomes, function (o) {
      var ts = trajectoriesByDoc[o.document_id] || [];
      var link = ts.length
        ? el("a", { href: "#trajectories", onclick: function (e) { e.preventDefault(); showDocument(o.document_id); } }, ts.length + (ts.length === 1 ? " trajectory" : " trajectories"))
        : "";
      var kits = el("td");
      (toolkitsByDoc[o.document_id] || []).forEach(function (k) {
        kits.appendChild(el("a", { href: "#toolkit=" + encodeURIComponent(k.file) }, k.name || k.file));
        kits.appendChild(document.createTextNode(" "));
      });
      return el("tr", {}, el("td", {}, el("code", { text: o.document_id })), el("td", { text: o.stage || "" }),
        el("td", {}, status(o.status)), el("td", { text: o.reason || "" }), el("td", { text: o.error || "" }), el("td", {}, link), kits);
    });
  }

  /* -- trajectories ------------------------------------------------------------------- */
  var selected = null;
  function trajectoryRow(t) {
    var tr = el("tr", { "class": "pick" + (t.id === selected ? " selected" : ""), onclick: function () { openTrajectory(t.id); } },
      el("td", {}, el("a", { href: "#trajectory=" + encodeURIComponent(t.id) }, el("code", { text: t.id }))), el("td", {}, status(t.status)), el("td", { text: t.document_id || "" }),
      el("td", { text: t.toolkit || "" }), el("td", { text: String(t.messages.length) }), el("td", { text: String(t.findings.length) }));
    tr.dataset.id = t.id;
    return tr;
  }
  function openTrajectory(id) {
    var t = null;
    for (var i = 0; i < D.trajectories.length; i++) if (D.trajectories[i].id === id) { t = D.trajectories[i]; break; }
    var box = document.getElementById("trajectory-detail");
    box.textContent = "";
    if (!t) return;
    selected = id;
    Array.prototype.forEach.call(list("trajectories").querySelectorAll("tbody tr"), function (tr) {
      tr.classList.toggle("selected", tr.dataset.id === id);
    });
    if (history.replaceState) history.replaceState(null, "", "#trajectory=" + encodeURIComponent(id));
    var card = el("div", { "class": "card" });
    card.appendChild(el("h3", {}, status(t.status), " ", el("code", { text: t.id })));
    var checks = el("p", {}, "verification: ");
    t.checks.forEach(function (c) { checks.appendChild(el("span", { "class": "tag " + (c.passed ? "ok" : "bad"), text: c.name })); });
    card.appendChild(checks);
    var tk = toolkitsByName[t.toolkit];
    card.appendChild(el("p", {}, "document ", el("code", { text: t.document_id || "?" }),
      ", span " + (t.span ? "[" + t.span.join(", ") + ")" : "?") + ", segment " + (t.segment || "?") +
      ", created by " + (t.created_by || "?") + ", termination " + (t.termination || "?") + ", toolkit ",
      tk ? el("a", { href: "#toolkits", onclick: function () { openToolkit(tk.file); } }, t.toolkit) : (t.toolkit || "?"),
      ", scenario " + (t.scenario || "?")));
    if (t.goal) card.appendChild(el("p", {}, "user goal: ", el("i", { text: t.goal })));
    if (t.models) card.appendChild(el("p", { "class": "muted", text: "models: " + JSON.stringify(t.models) }));
    var source = t.span && D.sources[t.document_id + "|" + t.span[0] + "|" + t.span[1]];
    if (source) card.appendChild(el("details", {}, el("summary", { text: "source span" }), pre(source)));
    var byIndex = {}, loose = [];
    t.findings.forEach(function (f) {
      if (typeof f.message_index === "number") (byIndex[f.message_index] = byIndex[f.message_index] || []).push(f);
      else loose.push(f);
    });
    function finding(f) { return el("div", { "class": "finding", text: "\u26a0 " + f.check + " / " + f.code + ": " + f.detail }); }
    loose.forEach(function (f) { card.appendChild(finding(f)); });
    var marks = [];
    if (t.findings.length) {
      var summary = el("p", {}, "findings (" + t.findings.length + "): ");
      t.findings.forEach(function (f) {
        var at = typeof f.message_index === "number" ? f.message_index : null;
        summary.appendChild(at === null ? el("span", { "class": "tag bad", text: f.code })
          : el("a", { href: "#trajectories", "class": "tag bad", onclick: function (e) { e.preventDefault(); if (marks[at]) marks[at].scrollIntoView(); } }, f.code + " at #" + at));
      });
      card.appendChild(summary);
    }
    t.messages.forEach(function (m, i) {
      var flagged = byIndex[i];
      var div = el("div", { "class": "msg " + (m.role || "") + (flagged ? " flagged" : "") });
      marks[i] = div;
      div.appendChild(el("div", { "class": "role", text: "#" + i + " " + (m.role || "?") + (m.tool_call_id ? " (result of " + m.tool_call_id + ")" : "") }));
      if (m.content) div.appendChild(pre(m.content));
      (m.tool_calls || []).forEach(function (c) {
        div.appendChild(el("div", { "class": "call" }, "call ", el("b", { text: c.name || "?" }), " ", el("span", { "class": "muted", text: c.id || "" })));
        div.appendChild(pre(c.arguments));
      });
      (flagged || []).forEach(function (f) { div.appendChild(finding(f)); });
      card.appendChild(div);
    });
    box.appendChild(card);
  }
  if (list("trajectories")) {
    var root = list("trajectories");
    statusSelect = root.querySelector("select");
    chip = root.querySelector(".chip");
    trajectoryPager = Pager(root, D.trajectories, trajectoryRow, function (t) {
      return (!statusSelect.value || t.status === statusSelect.value) && (!docFilter || t.document_id === docFilter);
    });
    statusSelect.addEventListener("change", trajectoryPager.refresh);
    chip.addEventListener("click", function () { docFilter = null; chip.hidden = true; trajectoryPager.refresh(); });
  }

  /* -- toolkits ----------------------------------------------------------------------- */
  function workflowOf(k) {
    for (var i = 0; i < D.workflows.length; i++) if (D.workflows[i].toolkit === k.file) return D.workflows[i];
    for (var j = 0; j < D.workflows.length; j++) if (k.document_id && D.workflows[j].document_id === k.document_id) return D.workflows[j];
    return null;
  }
  function openToolkit(file) {
    var k = null;
    for (var i = 0; i < D.toolkits.length; i++) if (D.toolkits[i].file === file) { k = D.toolkits[i]; break; }
    var box = document.getElementById("toolkit-detail");
    box.textContent = "";
    if (!k) return;
    if (history.replaceState) history.replaceState(null, "", "#toolkit=" + encodeURIComponent(file));
    var card = el("div", { "class": "card" });
    card.appendChild(el("h3", {}, el("code", { text: k.name || "?" }), " ", el("span", { "class": "muted", text: k.file })));
    card.appendChild(el("p", { text: (k.description || "") + (k.domain ? " (domain " + k.domain + ")" : "") }));
    var ts = (k.document_id && trajectoriesByDoc[k.document_id]) || [];
    if (ts.length) card.appendChild(el("p", {}, el("a", { href: "#trajectories", onclick: function (e) { e.preventDefault(); showDocument(k.document_id); } }, ts.length + " trajectories of document " + k.document_id)));
    var tools = el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "tool" }), el("th", { text: "description" }), el("th", { text: "parameters" }))));
    var tb = el("tbody");
    k.tools.forEach(function (t) { tb.appendChild(el("tr", {}, el("td", {}, el("code", { text: t.name || "?" })), el("td", { text: t.description || "" }), el("td", {}, pre(json(t.parameters))))); });
    tools.appendChild(tb);
    card.appendChild(el("h3", { text: "Tools (" + k.tools.length + ")" }));
    card.appendChild(tools);
    card.appendChild(el("h3", { text: "Invariants (" + k.invariants.length + ")" }));
    var inv = el("ul");
    k.invariants.forEach(function (v) { inv.appendChild(el("li", {}, v.description || "", pre(v.expr || json(v)))); });
    card.appendChild(inv);
    var w = workflowOf(k);
    if (w) {
      card.appendChild(el("h3", { text: "Workflow: " + (w.description || w.workflow_id || "") }));
      if (w.execution_graph) card.appendChild(pre(w.execution_graph));
      var steps = el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "step" }), el("th", { text: "text" }), el("th", { text: "tool" }), el("th", { text: "depends on" }), el("th", { text: "condition" }))));
      var sb = el("tbody");
      w.steps.forEach(function (s) {
        sb.appendChild(el("tr", {}, el("td", { text: s.id || "" }), el("td", { text: s.text || "" }), el("td", {}, el("code", { text: s.tool || "" })),
          el("td", { text: (s.depends_on || []).join(", ") }), el("td", { text: s.condition ? (typeof s.condition === "string" ? s.condition : JSON.stringify(s.condition)) : "" })));
      });
      steps.appendChild(sb);
      card.appendChild(steps);
      var rules = el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "rule" }), el("th", { text: "enforced by" }))));
      var rb = el("tbody");
      w.rules.forEach(function (r) {
        var by = r.enforced_by;
        rb.appendChild(el("tr", {}, el("td", { text: r.text || JSON.stringify(r) }), el("td", {}, by ? el("code", { text: typeof by === "object" ? Object.keys(by).map(function (x) { return x + ": " + JSON.stringify(by[x]); }).join(", ") : String(by) }) : el("span", { "class": "muted", text: "not enforced" }))));
      });
      rules.appendChild(rb);
      card.appendChild(el("h3", { text: "Rules (" + w.rules.length + ")" }));
      card.appendChild(rules);
    }
    card.appendChild(el("details", {}, el("summary", { text: "initial state" }), pre(k.initial_state)));
    card.appendChild(el("h3", { text: "Source" }));
    card.appendChild(pre(k.source));
    box.appendChild(card);
    box.scrollIntoView();
  }
  if (list("toolkits")) {
    Pager(list("toolkits"), D.toolkits, function (k) {
      return el("tr", { "class": "pick", onclick: function () { openToolkit(k.file); } }, el("td", {}, el("a", { href: "#toolkit=" + encodeURIComponent(k.file) }, el("code", { text: k.name || "?" }))),
        el("td", { text: k.domain || "" }), el("td", { text: k.document_id || "" }), el("td", { text: String(k.tools.length) }),
        el("td", { text: String(k.invariants.length) }), el("td", { text: k.description || "" }));
    });
  }

  /* -- eval --------------------------------------------------------------------------- */
  if (list("eval_tasks")) {
    Pager(list("eval_tasks"), D.eval_tasks, function (t) {
      var tr = el("tr", {}, el("td", {}, el("code", { text: t.task_id })), el("td", { text: t.successes + "/" + t.trials }), el("td", { text: fmt(t.mean_reward) }));
      Object.keys(t.pass_at_k || {}).forEach(function (k) {
        tr.appendChild(el("td", { text: fmt(t.pass_at_k[k]) }));
        tr.appendChild(el("td", { text: fmt((t.pass_hat_k || {})[k]) }));
      });
      tr.appendChild(el("td", { text: fmt(t.flip_rate) }));
      return tr;
    });
  }

  /* -- #trajectory=ID opens that trajectory ------------------------------------------- */
  function route() {
    var m = /^#trajectory=(.*)$/.exec(location.hash);
    if (m) { openTrajectory(decodeURIComponent(m[1])); document.getElementById("trajectory-detail").scrollIntoView(); }
    var k = /^#toolkit=(.*)$/.exec(location.hash);
    if (k) openToolkit(decodeURIComponent(k[1]));
  }
  window.addEventListener("hashchange", route);
  route();
})();
