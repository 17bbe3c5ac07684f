// credit-letters case page. No external code; served from 'self' under the page's CSP.
//  - each extracted value is linked to where it was read on the original: focusing a field lights
//    its box and scrolls it into view, clicking a box focuses its field;
//  - the correction form is a draft: every change is saved on the server (so a reload or a lapsed
//    hold keeps it), can be undone step by step, and nothing goes out until it is submitted;
//  - the roster grid checks each row as it is typed, with the server's own rules;
//  - Enter confirms the current item and jumps to the next open one (blocking, uncertain, unconfirmed);
//    on a scan, each header field and row is ticked 与原件一致 or corrected, with its box lit.
(function () {
  "use strict";

  // ---- the original beside the form -------------------------------------------------------
  // Positions come as data (inline style attributes are refused by the CSP); set through the CSSOM.
  document.querySelectorAll(".box[data-at]").forEach(function (box) {
    var at = box.dataset.at.split(",");
    box.style.left = at[0] + "%"; box.style.top = at[1] + "%";
    box.style.width = at[2] + "%"; box.style.height = at[3] + "%";
  });
  // An item may stand for several values (a scan's row: its name and its ID), keys apart by spaces.
  function boxesFor(keys) {
    return keys.split(" ").filter(Boolean).reduce(function (all, key) {
      return all.concat(Array.prototype.slice.call(document.querySelectorAll('.box[data-key="' + CSS.escape(key) + '"]')));
    }, []);
  }
  function clearBoxes() { document.querySelectorAll(".box.active").forEach(function (b) { b.classList.remove("active"); }); }
  document.addEventListener("focusin", function (event) {
    var key = event.target.dataset && event.target.dataset.key;
    if (!key) { return; }
    clearBoxes();
    var found = boxesFor(key);
    found.forEach(function (b) { b.classList.add("active"); });
    if (found.length) { found[0].scrollIntoView({ block: "center", behavior: "smooth" }); }
  });
  document.querySelectorAll(".box[data-key]").forEach(function (box) {
    box.addEventListener("click", function () {
      var input = document.querySelector('input[data-key="' + CSS.escape(box.dataset.key) + '"]');
      if (input) { input.focus(); input.select(); }
    });
  });

  var form = document.querySelector("form.correct");
  var token = document.querySelector('input[name="csrf_token"]');

  // ---- Enter: confirm this item, go to the next open one ----------------------------------
  function openItems() {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-open]")).filter(function (el) {
      return !el.disabled && !el.closest("tr.deleted");
    });
    return items.map(function (el, i) { return { el: el, rank: Number(el.dataset.open), order: i }; })
      .sort(function (a, b) { return a.rank - b.rank || a.order - b.order; })
      .map(function (x) { return x.el; });
  }
  function stillWrong(el) {
    // A value that still fails its rule is not done by pressing Enter: a blocking field left as
    // it was read, a decision not made, or a row the rules have just marked wrong.
    if (el.tagName === "SELECT") { return el.dataset.open === "1" && !el.value; }
    if (el.type === "checkbox") { return false; }
    var row = el.closest("tr");
    var rules = row && row.querySelector(".rules");
    if (rules && rules.classList.contains("bad")) { return true; }
    return el.dataset.open === "1" && el.value === el.defaultValue;
  }
  function nextOpen(current) {
    if (stillWrong(current)) {
      current.setCustomValidity("该项仍有问题：请更正（或作出核实结论）后再按回车");
      current.reportValidity();
      current.addEventListener("input", function clear() { current.setCustomValidity(""); current.removeEventListener("input", clear); });
      return;
    }
    current.dataset.done = "1";
    if (current.type === "checkbox") { current.checked = true; current.dispatchEvent(new Event("change", { bubbles: true })); }
    var items = openItems();
    var at = items.indexOf(current);
    var rest = items.slice(at + 1).concat(items.slice(0, Math.max(at, 0)));
    var next = rest.find(function (el) { return !el.dataset.done; });
    var target = next || (form && form.querySelector("button.submit"));
    if (target) { target.focus(); if (target.select) { target.select(); } }
  }
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || event.isComposing || !el.matches || !el.matches("input, select")) { return; }
    if (!el.closest("form.correct, form.confirm") || el.type === "submit") { return; }
    event.preventDefault(); // Enter never submits a half-done form
    nextOpen(el);
  });

  if (!form) { return; }

  // ---- the draft: state, undo, autosave ---------------------------------------------------
  var addedBody = form.querySelector("tbody.added");
  var rowTemplate = document.getElementById("new-row");
  var undoButton = form.querySelector("button.undo");
  var savedNote = form.querySelector(".saved");
  var release = document.querySelector(".release a.button");
  var dirtyHint = document.querySelector(".dirty-hint");

  function was(input) { var w = form.querySelector('input[name="was_' + CSS.escape(input.name) + '"]'); return w ? w.value : null; }
  function editable() { return form.querySelectorAll("tbody:not(.added) input[data-key], .fields input[data-key], .fields select"); }

  function state() {
    var s = { fields: {}, deleted: [], added: [], results: {}, compared: [] };
    editable().forEach(function (input) {
      var old = was(input);
      if (old !== null && input.value !== old) { s.fields[input.name] = input.value; }
    });
    form.querySelectorAll('[name$=".result"]').forEach(function (el) {
      var value = el.type === "checkbox" ? (el.checked ? el.value : "") : el.value;
      if (value) { s.results[el.name] = value; }
    });
    form.querySelectorAll('input[name="compared"]:checked').forEach(function (el) { s.compared.push(el.value); });
    form.querySelectorAll("tbody:not(.added) tr.deleted").forEach(function (row) { s.deleted.push(Number(row.dataset.seq)); });
    addedBody.querySelectorAll("tr").forEach(function (row) {
      s.added.push([row.querySelector('[name="add.name"]').value, row.querySelector('[name="add.id_number"]').value]);
    });
    return s;
  }
  function isEmpty(s) {
    return !Object.keys(s.fields).length && !s.deleted.length && !s.added.length && !Object.keys(s.results).length &&
      !s.compared.length;
  }
  function markDeleted(row, yes) {
    row.classList.toggle("deleted", yes);
    var flag = row.querySelector('input[name="delete"]');
    if (flag) { flag.disabled = !yes; }
    row.querySelectorAll("input:not([type=hidden]), select").forEach(function (el) { el.disabled = yes; });
    var button = row.querySelector("button.delete-row");
    button.disabled = false;
    button.textContent = yes ? "恢复" : "删除";
  }
  function addRow(values) {
    var row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector('[name="add.name"]').value = values ? values[0] : "";
    row.querySelector('[name="add.id_number"]').value = values ? values[1] : "";
    addedBody.appendChild(row);
    return row;
  }
  function apply(s) {
    editable().forEach(function (input) {
      var old = was(input);
      if (old !== null) { input.value = Object.prototype.hasOwnProperty.call(s.fields, input.name) ? s.fields[input.name] : old; }
    });
    form.querySelectorAll('[name$=".result"]').forEach(function (el) {
      var value = s.results[el.name] || "";
      if (el.type === "checkbox") { el.checked = value === el.value; } else { el.value = value; }
    });
    form.querySelectorAll('input[name="compared"]').forEach(function (el) {
      el.checked = (s.compared || []).indexOf(el.value) >= 0;
    });
    form.querySelectorAll("tbody:not(.added) tr[data-seq]").forEach(function (row) {
      markDeleted(row, s.deleted.indexOf(Number(row.dataset.seq)) >= 0);
    });
    addedBody.textContent = "";
    s.added.forEach(addRow);
  }

  var history = [];
  var saveTimer = null;
  function showDirty(s) {
    var dirty = !isEmpty(s);
    undoButton.disabled = history.length < 2 && current() === history[0];
    if (release) { release.hidden = dirty; }
    if (dirtyHint) { dirtyHint.hidden = !dirty; }
  }
  // One save in flight at a time: a draft changed meanwhile goes once the first has been stored, so
  // the server never keeps an older draft that arrived late, and "saved" is said only of the newest.
  var inFlight = false;
  var again = false;
  function send() {
    if (inFlight) { again = true; return; }
    inFlight = true;
    savedNote.textContent = "正在保存草稿…";
    fetch(form.dataset.draft, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token.value },
      body: JSON.stringify(state())
    }).then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        if (again) { return; }
        savedNote.textContent = res[0] ? "草稿已保存（" + res[1].saved_at + "），尚未提交" : "草稿未保存：" + res[1].error;
        savedNote.classList.toggle("error", !res[0]);
      })
      .catch(function () {
        if (!again) { savedNote.textContent = "草稿未保存：无法连接服务器"; savedNote.classList.add("error"); }
      })
      .then(function () {
        inFlight = false;
        if (again) { again = false; send(); }
      });
  }
  function save() {
    clearTimeout(saveTimer);
    savedNote.textContent = "有尚未保存的更改…";
    saveTimer = setTimeout(send, 600);
  }
  // Undo steps are whole edits (a field left, a row added or deleted), not keystrokes; typing is
  // saved as it goes and undone back to the field's value before it.
  function current() { return JSON.stringify(state()); }
  function typed() {
    var s = state();
    showDirty(s);
    save();
    checkRules();
  }
  function changed() {
    var text = current();
    if (history[history.length - 1] !== text) { history.push(text); }
    typed();
  }
  undoButton.addEventListener("click", function () {
    if (current() === history[history.length - 1]) {
      if (history.length < 2) { return; }
      history.pop();
    }
    apply(JSON.parse(history[history.length - 1]));
    typed();
  });

  // ---- roster rows: insert, delete, and the rules as the clerk types ----------------------
  form.querySelector("button.add-row").addEventListener("click", function () {
    var row = addRow(null);
    row.querySelector('[name="add.name"]').focus();
    changed();
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.delete-row");
    if (!button) { return; }
    var row = button.closest("tr");
    var name = (row.querySelector('[data-role="name"]') || {}).value || "";
    if (row.classList.contains("new")) {
      row.remove();
    } else if (row.classList.contains("deleted")) {
      markDeleted(row, false);
    } else {
      if (!window.confirm("确定删除第" + row.dataset.seq + "行（" + name + "）？删除后该行不在复函中答复。")) { return; }
      markDeleted(row, true);
    }
    changed();
  });

  var rulesTimer = null;
  function rosterRows() {
    return Array.prototype.slice.call(form.querySelectorAll("table.roster tr")).filter(function (row) {
      return row.querySelector('[data-role="id"]') && !row.classList.contains("deleted");
    });
  }
  function label(row) { return row.dataset.seq ? "第" + row.dataset.seq + "行" : "新增行"; }
  function checkRules() {
    clearTimeout(rulesTimer);
    rulesTimer = setTimeout(function () {
      var rows = rosterRows();
      var sent = rows.map(function (row) {
        return [row.querySelector('[data-role="name"]').value, row.querySelector('[data-role="id"]').value];
      });
      fetch(form.dataset.rules, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token.value },
        body: JSON.stringify({ rows: sent })
      }).then(function (r) { return r.json(); }).then(function (body) {
        if (!body.rows) { return; }
        body.rows.forEach(function (result, i) {
          var row = rows[i];
          var cell = row.querySelector(".rules");
          var typed = sent[i][0] !== (row.querySelector('[data-role="name"]').defaultValue) ||
            sent[i][1] !== (row.querySelector('[data-role="id"]').defaultValue) || row.classList.contains("new");
          var stored = row.querySelector(".stored");
          if (stored) { stored.hidden = typed; }
          var said = result.problems.slice();
          if (result.same_id_as.length) {
            var others = result.same_id_as.map(function (j) { return label(rows[j - 1]); }).join("、");
            var more = result.same_id_count - result.same_id_as.length;
            said.push("与" + others + (more > 0 ? "等" + result.same_id_count + "行" : "") + "身份证号码相同");
          }
          cell.classList.toggle("bad", said.length > 0);
          cell.classList.toggle("good", !said.length);
          cell.textContent = !typed ? "" : said.length ? "✗ " + said.join("；") : "✓ 校验通过" + (result.notes.length ? "（" + result.notes.join("；") + "）" : "");
          var id = row.querySelector('[data-role="id"]');
          if (typed && result.id_number && result.id_number !== id.value && document.activeElement !== id) {
            id.value = result.id_number; // normalised as extraction does: full-width digits, spaces, x
          }
        });
      }).catch(function () { /* the rules run again on submit */ });
    }, 250);
  }
  // A scan's value corrected from the original is compared with it: its tick follows (the case core
  // counts the correction as the comparison either way).
  function tickCorrected(el) {
    if (!el.dataset || !el.dataset.key || el.name === "compared" || el.value === el.defaultValue) { return; }
    var scope = el.closest("tr") || el.closest("label");
    var tick = scope && (scope.querySelector('input[name="compared"]') ||
      (scope.nextElementSibling && scope.nextElementSibling.querySelector && scope.nextElementSibling.querySelector('input[name="compared"]')));
    if (tick && !tick.checked) { tick.checked = true; tick.dataset.done = "1"; }
  }
  form.addEventListener("input", typed);
  form.addEventListener("change", function (event) { tickCorrected(event.target); changed(); });
  form.addEventListener("focusout", function (event) { if (event.target.dataset && event.target.dataset.role === "id") { checkRules(); } });
  form.addEventListener("submit", function () { clearTimeout(saveTimer); });

  // ---- start: the stored draft, if any, on top of the case as stored -----------------------
  var stored = JSON.parse(document.getElementById("draft-data").textContent || "null");
  history.push(JSON.stringify(state()));
  if (stored) {
    apply({ fields: stored.fields || {}, deleted: stored.deleted || [], added: stored.added || [], results: stored.results || {},
      compared: stored.compared || [] });
    var now = state();
    if (JSON.stringify(now) !== history[0]) { history.push(JSON.stringify(now)); }
    showDirty(now);
    checkRules();
  }
  // The first open item has the focus, in view: Enter works from the first key press.
  var first = openItems()[0];
  if (first) { first.focus({ preventScroll: true }); first.scrollIntoView({ block: "center" }); }
})();
