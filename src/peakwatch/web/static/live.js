/* peakwatch live pages: one EventSource per page, new rows at the top, pause, time zone,
 * ages that tick, j/k keyboard navigation. Text is only ever set with textContent. */
(function () {
  "use strict";

  var body = document.body;
  var MAX_ROWS = 500;
  var RUN_STATUSES = ["active", "stale", "completed", "unknown"];
  var LEVELS = ["info", "warning", "error"];
  var SEVERITIES = ["critical", "warning", "info"];
  var KIND_GROUPS = {
    decision: "decision", ai_decision: "decision", signal: "decision",
    order: "trade", fill: "trade", position: "trade",
    risk: "risk", alert: "alert", error: "error"
  };
  var tzLocal = new URLSearchParams(window.location.search).get("tz") === "local";

  /* ---- small helpers ---------------------------------------------------------------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function parseTime(text) {
    if (!text) {
      return null;
    }
    var ms = Date.parse(text);
    return isNaN(ms) ? null : new Date(ms);
  }

  function formatTime(date, fmt) {
    if (tzLocal) {
      var clock = pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
      if (fmt === "time") {
        return clock;
      }
      var offset = -date.getTimezoneOffset();
      var sign = offset >= 0 ? "+" : "-";
      offset = Math.abs(offset);
      return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
        " " + clock + " UTC" + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
    }
    var utcClock = pad(date.getUTCHours()) + ":" + pad(date.getUTCMinutes()) + ":" +
      pad(date.getUTCSeconds());
    if (fmt === "time") {
      return utcClock;
    }
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" +
      pad(date.getUTCDate()) + " " + utcClock + " UTC";
  }

  function ageText(date, now) {
    var seconds = Math.floor((now - date.getTime()) / 1000);
    if (seconds < 0) {
      return "just now";
    }
    if (seconds < 60) {
      return seconds + " s ago";
    }
    if (seconds < 3600) {
      return Math.floor(seconds / 60) + " min ago";
    }
    if (seconds < 86400) {
      return Math.floor(seconds / 3600) + " h ago";
    }
    return Math.floor(seconds / 86400) + " d ago";
  }

  function timeElement(iso, fmt) {
    var date = parseTime(iso);
    if (!date) {
      return document.createTextNode("–");
    }
    var node = el("time", "ts", formatTime(date, fmt));
    node.setAttribute("datetime", iso);
    node.setAttribute("data-fmt", fmt);
    node.title = formatTime(date, "full");
    return node;
  }

  function ageElement(iso) {
    var date = parseTime(iso);
    if (!date) {
      return document.createTextNode("never");
    }
    var node = el("time", "age", ageText(date, Date.now()));
    node.setAttribute("datetime", iso);
    return node;
  }

  function link(href, text) {
    var a = el("a", null, text);
    a.href = withTz(href);
    return a;
  }

  function withTz(href) {
    if (!tzLocal) {
      return href;
    }
    var url = new URL(href, window.location.href);
    if (url.origin !== window.location.origin || url.pathname.indexOf("/static/") === 0) {
      return href;
    }
    if (!url.searchParams.has("tz")) {
      url.searchParams.set("tz", "local");
    }
    return url.pathname + url.search + url.hash;
  }

  function runHref(runId) {
    return "/dashboard/runs/" + encodeURIComponent(runId);
  }

  function sessionHref(sessionId) {
    return "/sessions/" + encodeURIComponent(sessionId);
  }

  /* ---- time zone and ages ----------------------------------------------------------- */

  function localizeTimes(root) {
    if (!tzLocal) {
      return;
    }
    root.querySelectorAll("time.ts[datetime]").forEach(function (node) {
      var date = parseTime(node.getAttribute("datetime"));
      if (date) {
        node.textContent = formatTime(date, node.getAttribute("data-fmt") || "full");
      }
    });
  }

  function keepTzOnLinks() {
    if (!tzLocal) {
      return;
    }
    document.querySelectorAll("a[href]").forEach(function (a) {
      if (a.id !== "tz-toggle") {
        a.setAttribute("href", withTz(a.getAttribute("href")));
      }
    });
  }

  function tickAges() {
    var now = Date.now();
    document.querySelectorAll("time.age[datetime]").forEach(function (node) {
      var date = parseTime(node.getAttribute("datetime"));
      if (date) {
        node.textContent = ageText(date, now);
      }
    });
  }

  function markUpdated() {
    var node = document.getElementById("updated");
    if (node) {
      node.setAttribute("datetime", new Date().toISOString());
      node.textContent = "0 s ago";
    }
  }

  /* ---- activity rows ---------------------------------------------------------------- */

  var seen = new Set();
  document.querySelectorAll(".feed-row[data-id]").forEach(function (row) {
    seen.add(row.getAttribute("data-id") + "|" + row.parentNode.getAttribute("aria-label"));
  });

  function feedWants(feed, item) {
    if (feed.getAttribute("data-live") === "off") {
      return false;
    }
    var checks = [
      ["data-filter-run", item.run_id],
      ["data-filter-session", item.session_id],
      ["data-filter-source", item.source],
      ["data-filter-kind", item.kind],
      ["data-filter-level", item.level]
    ];
    for (var i = 0; i < checks.length; i++) {
      var wanted = feed.getAttribute(checks[i][0]);
      if (wanted !== null && wanted !== checks[i][1]) {
        return false;
      }
    }
    var q = feed.getAttribute("data-filter-q");
    return !(q && String(item.summary || "").toLowerCase().indexOf(q.toLowerCase()) < 0);
  }

  function summaryElement(item) {
    var p = el("p", "summary");
    var text = String(item.summary || "");
    if (item.kind === "decision") {
      var m = /^Decision (\S+)(?: (.+?))?(?: \(confidence ([0-9.]+)\))?(?:: (.*))?$/.exec(text);
      if (m) {
        p.className = "summary decision";
        p.appendChild(el("strong", "action", m[1]));
        if (m[2]) {
          p.appendChild(document.createTextNode(" "));
          p.appendChild(el("span", "symbol", m[2]));
        }
        if (m[3]) {
          p.appendChild(document.createTextNode(" "));
          p.appendChild(el("span", "confidence", "confidence " + m[3]));
        }
        if (m[4]) {
          p.appendChild(document.createTextNode(" "));
          p.appendChild(el("span", "rationale", m[4]));
        }
        return p;
      }
    }
    if (item.kind === "ai_decision" && text.indexOf(": ") > 0) {
      var cut = text.indexOf(": ");
      p.className = "summary decision";
      p.appendChild(el("strong", "action", text.slice(0, cut)));
      p.appendChild(document.createTextNode(" "));
      p.appendChild(el("span", "rationale", text.slice(cut + 2)));
      return p;
    }
    p.textContent = text;
    return p;
  }

  function buildFeedRow(item) {
    var level = LEVELS.indexOf(item.level) >= 0 ? item.level : "info";
    var kind = String(item.kind || "event");
    var group = kind.indexOf("execution_") === 0 ? "trade" : (KIND_GROUPS[kind] || "other");
    var row = el("li", "feed-row fresh level-" + level);
    row.tabIndex = -1;
    row.setAttribute("data-id", item.id);
    row.setAttribute("data-ts", item.ts || "");
    var head = el("div", "row-head");
    head.appendChild(timeElement(item.ts, "time"));
    head.appendChild(el("span", "src", item.source));
    head.appendChild(el("span", "badge kind kind-" + group, kind));
    head.appendChild(level === "info" ? el("span", "level-text", "info")
      : el("span", "badge level-" + level, level));
    if (item.run_id) {
      var runRef = el("span", "ref", "run ");
      runRef.appendChild(link(runHref(item.run_id), item.run_id));
      head.appendChild(runRef);
    }
    if (item.session_id) {
      var sessionRef = el("span", "ref", "session ");
      sessionRef.appendChild(link(sessionHref(item.session_id), item.session_id));
      head.appendChild(sessionRef);
    }
    row.appendChild(head);
    row.appendChild(summaryElement(item));
    if (String(item.summary || "").length > 110) {
      var more = el("details", "more");
      more.appendChild(el("summary", null, "show more"));
      more.appendChild(el("p", null, item.summary));
      row.appendChild(more);
    }
    var payload = el("details", "payload");
    payload.appendChild(el("summary", null, "payload"));
    payload.appendChild(el("p", "note", "Arrived live: reload the page to see its payload."));
    row.appendChild(payload);
    return row;
  }

  function insertRow(list, node, before, emptyKey) {
    list.insertBefore(node, before);
    var empty = list.parentNode.querySelector('[data-empty-for="' + emptyKey + '"]');
    if (empty) {
      empty.remove();
    }
    var top = node.getBoundingClientRect().top;
    if (top < 0) {
      window.scrollBy(0, node.offsetHeight); // the reader's place stays where it was
    } else if (list.getBoundingClientRect().top >= 0) {
      while (list.children.length > MAX_ROWS) {
        list.removeChild(list.lastElementChild);
      }
    }
  }

  function rowTime(row) {
    var date = parseTime(row.getAttribute("data-ts"));
    return date ? date.getTime() : 0;
  }

  function applyActivity(item) {
    var date = parseTime(item.ts);
    var stamp = date ? date.getTime() : 0;
    document.querySelectorAll('ol.feed[data-feed="activity"]').forEach(function (feed) {
      var key = item.id + "|" + feed.getAttribute("aria-label");
      if (seen.has(key) || !feedWants(feed, item)) {
        return;
      }
      // newest first: the row goes above the first row that is not newer than it;
      // an item older than every row shown belongs to an older page and is left out
      var rows = feed.children;
      var before = null;
      for (var i = 0; i < rows.length; i++) {
        if (rowTime(rows[i]) <= stamp) {
          before = rows[i];
          break;
        }
      }
      if (before === null && rows.length > 0) {
        return;
      }
      seen.add(key);
      insertRow(feed, buildFeedRow(item), before, "feed");
    });
  }

  /* ---- alerts ----------------------------------------------------------------------- */

  function applyAlert(alert) {
    document.querySelectorAll('ul.alert-list[data-feed="alerts"]').forEach(function (list) {
      var run = list.getAttribute("data-filter-run");
      var severity = list.getAttribute("data-filter-severity");
      var source = list.getAttribute("data-filter-source");
      if ((run !== null && run !== alert.run_id) ||
          (severity !== null && severity !== alert.severity) ||
          (source !== null && source !== alert.source)) {
        return;
      }
      var sev = SEVERITIES.indexOf(alert.severity) >= 0 ? alert.severity : "info";
      var row = el("li", "alert-row sev-row-" + sev);
      var head = el("div", "row-head");
      head.appendChild(timeElement(alert.timestamp, "full"));
      head.appendChild(el("span", "badge sev-" + sev, sev));
      if (alert.source) {
        head.appendChild(el("span", "src", alert.source));
      }
      if (alert.run_id) {
        var ref = el("span", "ref", "run ");
        ref.appendChild(link(runHref(alert.run_id), alert.run_id));
        head.appendChild(ref);
      }
      row.appendChild(head);
      var text = el("p", "alert-text");
      text.appendChild(el("strong", null, alert.title || alert.rule_id || "alert"));
      if (alert.message) {
        text.appendChild(document.createTextNode(": " + alert.message));
      }
      row.appendChild(text);
      insertRow(list, row, list.firstChild, "alerts");
    });
  }

  /* ---- runs ------------------------------------------------------------------------- */

  function statusBadge(status) {
    var known = RUN_STATUSES.indexOf(status) >= 0 ? status : "unknown";
    var badge = el("span", "badge status-" + known, known);
    badge.setAttribute("data-status-badge", "");
    return badge;
  }

  function bumpCount(status, delta) {
    document.querySelectorAll('[data-run-count="' + status + '"]').forEach(function (node) {
      var value = parseInt(node.textContent, 10);
      if (!isNaN(value)) {
        node.textContent = String(Math.max(0, value + delta));
      }
    });
  }

  function buildRunRow(table, run) {
    var tr = el("tr");
    tr.setAttribute("data-run-id", run.run_id);
    var th = el("th", "id-cell");
    th.setAttribute("scope", "row");
    th.appendChild(link(runHref(run.run_id), run.run_id));
    tr.appendChild(th);
    [run.strategy_name, run.symbol, run.mode].forEach(function (value) {
      tr.appendChild(el("td", null, value || "–"));
    });
    var status = el("td");
    status.setAttribute("data-cell", "status");
    status.appendChild(statusBadge(run.status));
    tr.appendChild(status);
    var last = el("td");
    last.setAttribute("data-cell", "last");
    last.appendChild(ageElement(run.last_event_time));
    tr.appendChild(last);
    if (table.hasAttribute("data-select-links")) {
      var show = el("td");
      show.appendChild(link("/dashboard?run=" + encodeURIComponent(run.run_id) + "#selected-run",
        "show below"));
      tr.appendChild(show);
    }
    return tr;
  }

  function applyRun(run) {
    var found = false;
    var previous = null;
    document.querySelectorAll("[data-run-id]").forEach(function (node) {
      if (node.getAttribute("data-run-id") !== run.run_id) {
        return;
      }
      found = found || node.tagName === "TR";
      node.querySelectorAll("[data-status-badge]").forEach(function (badge) {
        if (node.tagName === "TR") {
          previous = badge.textContent;
        }
        badge.replaceWith(statusBadge(run.status));
      });
      var lastCell = node.hasAttribute("data-run-last") ? node
        : node.querySelector('[data-cell="last"]');
      if (lastCell) {
        lastCell.textContent = "";
        lastCell.appendChild(ageElement(run.last_event_time));
      }
    });
    if (previous !== null && previous !== run.status) {
      bumpCount(previous, -1);
      bumpCount(run.status, 1);
    }
    if (!found) {
      document.querySelectorAll("table[data-runs-table]").forEach(function (table) {
        var tbody = table.tBodies[0];
        tbody.insertBefore(buildRunRow(table, run), tbody.firstChild);
        table.hidden = false;
        var empty = document.querySelector('[data-empty-for="runs"]');
        if (empty) {
          empty.remove();
        }
      });
      if (document.querySelector("table[data-runs-table]")) {
        bumpCount(run.status, 1);
      }
    }
  }

  function applyRunRemoved(data) {
    document.querySelectorAll("tr[data-run-id]").forEach(function (tr) {
      if (tr.getAttribute("data-run-id") === data.run_id) {
        var badge = tr.querySelector("[data-status-badge]");
        if (badge) {
          bumpCount(badge.textContent, -1);
        }
        tr.remove();
      }
    });
  }

  function applyHealth(data) {
    document.querySelectorAll("[data-unreadable-count]").forEach(function (node) {
      node.textContent = String(data.unreadable_count);
    });
  }

  /* ---- the stream ------------------------------------------------------------------- */

  var HANDLERS = {
    activity: applyActivity,
    alert: applyAlert,
    run: applyRun,
    run_removed: applyRunRemoved,
    health: applyHealth
  };
  var paused = false;
  var buffered = [];
  var conn = document.getElementById("conn");
  var pauseButton = document.getElementById("pause");
  var connected = false;

  function showConnection() {
    if (!conn) {
      return;
    }
    conn.hidden = false;
    if (paused) {
      conn.textContent = connected ? "paused" : "paused, disconnected, retrying…";
      conn.className = "conn conn-paused";
    } else {
      conn.textContent = connected ? "live" : "disconnected, retrying…";
      conn.className = connected ? "conn conn-live" : "conn conn-off";
    }
  }

  function showPause() {
    if (!pauseButton) {
      return;
    }
    pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
    pauseButton.textContent = paused
      ? "Resume" + (buffered.length ? " (" + buffered.length + " new)" : "")
      : "Pause";
  }

  function apply(topic, data) {
    var handler = HANDLERS[topic];
    if (handler) {
      handler(data);
      markUpdated();
    }
  }

  function receive(topic, message) {
    var data;
    try {
      data = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    if (paused) {
      buffered.push([topic, data]);
      showPause();
      return;
    }
    apply(topic, data);
  }

  function startStream(url) {
    var lastId = null;
    var source = new EventSource(url);
    source.addEventListener("open", function () {
      connected = true;
      showConnection();
      markUpdated();
    });
    source.addEventListener("error", function () {
      connected = false;
      showConnection();
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(function () {
          var next = new URL(url, window.location.href);
          if (lastId) {
            next.searchParams.set("last_event_id", lastId);
          }
          startStream(next.pathname + next.search);
        }, 3000);
      }
    });
    Object.keys(HANDLERS).forEach(function (topic) {
      source.addEventListener(topic, function (message) {
        lastId = message.lastEventId || lastId;
        receive(topic, message);
      });
    });
    source.addEventListener("hello", function (message) {
      lastId = message.lastEventId || lastId;
    });
    source.addEventListener("reset", function () {
      source.close();
      window.location.reload();
    });
  }

  if (pauseButton) {
    pauseButton.hidden = false;
    pauseButton.addEventListener("click", function () {
      paused = !paused;
      if (!paused) {
        var pending = buffered;
        buffered = [];
        pending.forEach(function (entry) {
          apply(entry[0], entry[1]);
        });
      }
      showPause();
      showConnection();
    });
  }

  /* ---- keyboard: j/k through feed rows, Enter toggles the payload -------------------- */

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = event.target;
    if (target && (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) ||
        target.isContentEditable)) {
      return;
    }
    var rows = Array.prototype.slice.call(document.querySelectorAll(".feed-row"));
    if (!rows.length) {
      return;
    }
    var index = rows.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      var next = event.key === "j" ? index + 1 : index - 1;
      if (index < 0) {
        next = 0;
      }
      next = Math.max(0, Math.min(rows.length - 1, next));
      rows[next].focus();
      rows[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0) {
      var details = rows[index].querySelector("details.payload");
      if (details) {
        details.open = !details.open;
        event.preventDefault();
      }
    }
  });

  /* ---- start ------------------------------------------------------------------------ */

  localizeTimes(document);
  keepTzOnLinks();
  tickAges();
  window.setInterval(tickAges, 1000);
  if (body.getAttribute("data-stream") && window.EventSource) {
    showConnection();
    startStream(body.getAttribute("data-stream"));
  }
})();
