// Alarm centre: live updates over Server-Sent Events (/api/v1/alarms/stream).
// For each alarm event the row is fetched from the server (/alarms/{id}/row with the page's filters), which
// renders it in the page language and answers 204 when the alarm is outside the user's scope or filters.
(function () {
  "use strict";
  var table = document.getElementById("alarm-table");
  var status = document.getElementById("live-status");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var filters = table.dataset.filters || "";
  var EVENTS = ["raised", "updated", "acknowledged", "assigned", "commented", "cleared", "linked", "escalated", "repeat",
    // the supervision (督办) of an alarm: its steps and an overdue step
    "pushed", "handled", "feedback", "accepted", "returned", "closed", "overdue"];

  var counter = document.getElementById("alarm-count");
  // the total in the sentence above the table ("2 alarms"); the sentence is the server's, in the page language
  function count(delta) {
    if (!counter) { return; }
    var total = Math.max(0, parseInt(counter.dataset.total || "0", 10) + delta);
    counter.dataset.total = String(total);
    counter.textContent = counter.textContent.replace(/\d+/, String(total));
  }

  function setStatus(state) { if (status) { status.dataset.state = state; } }

  function place(id, html) {
    var existing = body.querySelector('tr[data-id="' + id + '"]');
    if (!html) { if (existing) { existing.remove(); count(-1); } return; }
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.querySelector("tr");
    if (!row) { return; }
    row.classList.add("flash");
    var empty = body.querySelector("tr.empty-row");
    if (empty) { empty.remove(); }
    if (existing) { existing.replaceWith(row); } else { body.insertBefore(row, body.firstChild); count(1); }
  }

  function refresh(id) {
    var url = "/alarms/" + encodeURIComponent(id) + "/row" + (filters ? "?" + filters : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.status === 200 ? r.text() : ""; })
      .then(function (html) { place(id, html); table.dataset.updated = String(id); })
      .catch(function () { setStatus("error"); });
  }

  var source = new EventSource(table.dataset.stream, { withCredentials: true });
  source.onopen = function () { setStatus("open"); };
  source.onerror = function () { setStatus("reconnecting"); };
  EVENTS.forEach(function (name) {
    source.addEventListener(name, function (e) {
      try { var data = JSON.parse(e.data); if (data.alarm_id != null) { refresh(data.alarm_id); } }
      catch (err) { /* a malformed message is ignored; the next one still arrives */ }
    });
  });
  source.addEventListener("dropped", function () { window.location.reload(); });
})();
