/* peakwatch live pages: one EventSource per page, new rows at the top, pause, time zone,
 * ages that tick, j/k keyboard navigation. Text is only ever set with textContent. */
(function () {
  "use strict";

  var body = document.body;
  var MAX_ROWS = 500;
  var RUN_STATUSES = ["active", "stale", "completed", "unknown"];
  var TOPICS = ["activity", "alert", "run", "run_removed", "health"];
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

  function buildFeedRow(item, highlight, feed) {
    var level = LEVELS.indexOf(item.level) >= 0 ? item.level : "info";
    var kind = String(item.kind || "event");
    var group = kind.indexOf("execution_") === 0 ? "trade" : (KIND_GROUPS[kind] || "other");
    var row = el("li", "feed-row " + (highlight ? "fresh " : "") + "level-" + level);
    row.tabIndex = -1;
    row.setAttribute("data-id", item.id);
    row.setAttribute("data-ts", item.ts || "");
    var head = el("div", "row-head");
    head.appendChild(timeElement(item.ts, "time"));
    head.appendChild(el("span", "badge kind kind-" + group, kind));
    if (level !== "info") {
      head.appendChild(el("span", "badge level-" + level, level));
    }
    // the page's own run or session is not repeated on every row
    if (item.run_id && item.run_id !== feed.getAttribute("data-filter-run")) {
      var runRef = el("span", "ref", "run ");
      runRef.appendChild(link(runHref(item.run_id), item.run_id));
      head.appendChild(runRef);
    }
    if (item.session_id && item.session_id !== feed.getAttribute("data-filter-session")) {
      var sessionRef = el("span", "ref", "session ");
      sessionRef.appendChild(link(sessionHref(item.session_id), item.session_id));
      head.appendChild(sessionRef);
    }
    if (item.source && item.source !== "run" &&
        item.source !== feed.getAttribute("data-filter-source")) {
      var source = el("span", "src", "via " + item.source);
      source.title = "Where this came from (run events need no label)";
      head.appendChild(source);
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

  function rowTime(row) {
    var date = parseTime(row.getAttribute("data-ts"));
    return date ? date.getTime() : 0;
  }

  function dropEmptyNote(list, emptyKey) {
    var empty = list.parentNode.querySelector('[data-empty-for="' + emptyKey + '"]');
    if (empty) {
      empty.remove();
    }
  }

  /* A list holds at most its page's size (data-page-size), never more than MAX_ROWS. */
  function pageSize(list) {
    var size = parseInt(list.getAttribute("data-page-size"), 10);
    return size > 0 ? Math.min(size, MAX_ROWS) : MAX_ROWS;
  }

  function anyFeedWants(item) {
    var feeds = document.querySelectorAll('ol.feed[data-feed="activity"]');
    for (var i = 0; i < feeds.length; i++) {
      if (feedWants(feeds[i], item)) {
        return true;
      }
    }
    return false;
  }

  /* Many items at once (one batch): each feed gets its new rows in one DOM operation.
   * Newest first; an item as new as the top row or newer goes above it, an older one into
   * its place, and one older than every row shown belongs to an older page: left out. */
  function applyActivities(items) {
    document.querySelectorAll('ol.feed[data-feed="activity"]').forEach(function (feed) {
      var label = feed.getAttribute("aria-label");
      var wanted = [];
      items.forEach(function (item, index) {
        if (!seen.has(item.id + "|" + label) && feedWants(feed, item)) {
          var date = parseTime(item.ts);
          wanted.push({ item: item, stamp: date ? date.getTime() : 0, index: index });
        }
      });
      if (!wanted.length) {
        return;
      }
      wanted.sort(function (a, b) {
        return (b.stamp - a.stamp) || (b.index - a.index);
      });
      wanted = wanted.slice(0, pageSize(feed));
      var highlight = wanted.length <= 10;
      var top = feed.firstElementChild;
      var topStamp = top ? rowTime(top) : -Infinity;
      var fragment = document.createDocumentFragment();
      wanted.forEach(function (entry) {
        var row;
        if (entry.stamp >= topStamp) {
          row = buildFeedRow(entry.item, highlight, feed);
          fragment.appendChild(row);
        } else {
          var before = null;
          for (var node = feed.firstElementChild; node; node = node.nextElementSibling) {
            if (rowTime(node) <= entry.stamp) {
              before = node;
              break;
            }
          }
          if (before === null) {
            return;
          }
          row = buildFeedRow(entry.item, highlight, feed);
          feed.insertBefore(row, before);
        }
        seen.add(entry.item.id + "|" + label);
      });
      feed.insertBefore(fragment, feed.firstChild);
      dropEmptyNote(feed, "feed");
    });
  }

  /* ---- alerts ----------------------------------------------------------------------- */

  function alertWants(list, alert) {
    if (list.getAttribute("data-live") === "off") {
      return false;
    }
    var run = list.getAttribute("data-filter-run");
    var severity = list.getAttribute("data-filter-severity");
    var source = list.getAttribute("data-filter-source");
    return !((run !== null && run !== alert.run_id) ||
      (severity !== null && severity !== alert.severity) ||
      (source !== null && source !== alert.source));
  }

  function anyAlertListWants(alert) {
    var lists = document.querySelectorAll('ul.alert-list[data-feed="alerts"]');
    for (var i = 0; i < lists.length; i++) {
      if (alertWants(lists[i], alert)) {
        return true;
      }
    }
    return false;
  }

  function buildAlertRow(alert, list) {
    var sev = SEVERITIES.indexOf(alert.severity) >= 0 ? alert.severity : "info";
    var row = el("li", "alert-row sev-row-" + sev);
    var head = el("div", "row-head");
    head.appendChild(timeElement(alert.timestamp, "full"));
    head.appendChild(el("span", "badge sev-" + sev, sev));
    if (alert.source) {
      head.appendChild(el("span", "src", alert.source));
    }
    if (alert.run_id && alert.run_id !== list.getAttribute("data-filter-run")) {
      var ref = el("span", "ref", "run ");
      ref.appendChild(link(runHref(alert.run_id), alert.run_id));
      head.appendChild(ref);
    }
    row.appendChild(head);
    var text = el("p", "alert-text");
    var title = String(alert.title || alert.rule_id || "alert");
    var message = alert.message ? String(alert.message) : "";
    text.appendChild(el("strong", null, title));
    if (message && message !== title) {
      // a message that repeats its title shows the title once
      var rest = message.indexOf(title) === 0 ? message.slice(title.length) : ": " + message;
      text.appendChild(document.createTextNode(rest));
    }
    row.appendChild(text);
    return row;
  }

  function applyAlerts(alerts) {
    document.querySelectorAll('ul.alert-list[data-feed="alerts"]').forEach(function (list) {
      var fragment = document.createDocumentFragment();
      var room = pageSize(list);
      for (var i = alerts.length - 1; i >= 0 && fragment.childNodes.length < room; i--) {
        if (alertWants(list, alerts[i])) {
          fragment.appendChild(buildAlertRow(alerts[i], list));
        }
      }
      if (fragment.childNodes.length) {
        list.insertBefore(fragment, list.firstChild);
        dropEmptyNote(list, "alerts");
      }
    });
  }

  /* Lists keep at most their page size: the oldest rows go, but only those out of sight
   * below (a runs table counts its body rows). */
  function trimLists() {
    var bottom = window.innerHeight;
    document.querySelectorAll('ol.feed[data-feed="activity"], ul.alert-list[data-feed="alerts"]')
      .forEach(function (list) {
        var label = list.getAttribute("aria-label");
        while (list.children.length > pageSize(list)) {
          var last = list.lastElementChild;
          if (last === document.activeElement || last.getBoundingClientRect().top < bottom) {
            break;
          }
          seen.delete(last.getAttribute("data-id") + "|" + label);
          list.removeChild(last);
        }
      });
  }

  /* The reader's place: the focused element if it is in view, else the first row or heading
   * in view. Rows arriving above it must not move it (nothing moves at the very top). */
  function placeAnchor() {
    if (window.scrollY <= 0) {
      return null;
    }
    var height = window.innerHeight;
    var active = document.activeElement;
    if (active && active !== body && active.closest && active.closest("main")) {
      var box = active.getBoundingClientRect();
      if (box.bottom > 0 && box.top < height) {
        return active;
      }
    }
    var nodes = document.querySelectorAll(
      "main .feed-row, main .alert-row, main tr, main h2, main h3, main p, main dl");
    for (var i = 0; i < nodes.length; i++) {
      var rect = nodes[i].getBoundingClientRect();
      if (rect.bottom > 0 && rect.top < height && rect.height > 0) {
        return nodes[i];
      }
    }
    return null;
  }

  function keepingPlace(change) {
    var anchor = placeAnchor();
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    change();
    if (anchor && anchor.isConnected) {
      var moved = anchor.getBoundingClientRect().top - before;
      if (Math.abs(moved) >= 1) {
        window.scrollBy(0, moved);
      }
    }
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
        if (table.getAttribute("data-live") === "off") {
          return;  // a later page: new runs belong on the first
        }
        var tbody = table.tBodies[0];
        tbody.insertBefore(buildRunRow(table, run), tbody.firstChild);
        trimRunsTable(table);
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

  /* A runs table keeps its page size: the last row (the least recently active) goes, unless
   * it has the focus. */
  function trimRunsTable(table) {
    var tbody = table.tBodies[0];
    while (tbody.rows.length > pageSize(table)) {
      var last = tbody.rows[tbody.rows.length - 1];
      if (last.contains(document.activeElement)) {
        break;
      }
      tbody.removeChild(last);
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

  /* Messages are applied in batches, a few times a second: a busy runner writes hundreds of
   * events a second, and one DOM update (and one layout) per batch keeps the page responsive. */
  var FLUSH_MS = 100;
  var PAUSE_LIMIT = 50000;
  var pending = [];
  var flushTimer = null;
  var paused = false;
  var buffered = [];
  var bufferedShown = 0;
  var overflowed = false;
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
      ? "Resume" + (bufferedShown ? " (" + bufferedShown + " new)" : "")
      : "Pause";
  }

  /* Would this message add a row to this page? (what the Resume button counts) */
  function addsRow(topic, data) {
    if (topic === "activity") {
      return anyFeedWants(data);
    }
    return topic === "alert" && anyAlertListWants(data);
  }

  function flush() {
    flushTimer = null;
    var entries = pending;
    pending = [];
    if (!entries.length) {
      return;
    }
    var lastRun = {};
    entries.forEach(function (entry, index) {
      if (entry[0] === "run" || entry[0] === "run_removed") {
        lastRun[entry[1].run_id] = index;
      }
    });
    var activities = [];
    var alerts = [];
    var health = null;
    keepingPlace(function () {
      entries.forEach(function (entry, index) {
        var topic = entry[0];
        var data = entry[1];
        if (topic === "activity") {
          activities.push(data);
        } else if (topic === "alert") {
          alerts.push(data);
        } else if (topic === "health") {
          health = data;
        } else if (lastRun[data.run_id] === index) {
          (topic === "run" ? applyRun : applyRunRemoved)(data);
        }
      });
      if (activities.length) {
        applyActivities(activities);
      }
      if (alerts.length) {
        applyAlerts(alerts);
      }
      if (health) {
        applyHealth(health);
      }
    });
    trimLists();
    markUpdated();
  }

  function enqueue(topic, data) {
    pending.push([topic, data]);
    if (flushTimer === null) {
      flushTimer = window.setTimeout(flush, FLUSH_MS);
    }
  }

  function receive(topic, message) {
    var data;
    try {
      data = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    if (!data || typeof data !== "object") {
      return;
    }
    if (!paused) {
      enqueue(topic, data);
      return;
    }
    if (buffered.length >= PAUSE_LIMIT) {
      overflowed = true; // too much to replay: Resume reloads the page instead
    } else {
      buffered.push([topic, data]);
    }
    if (addsRow(topic, data)) {
      bufferedShown += 1;
      showPause();
    }
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
    TOPICS.forEach(function (topic) {
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
        if (overflowed) {
          window.location.reload();
          return;
        }
        buffered.forEach(function (entry) {
          enqueue(entry[0], entry[1]);
        });
        buffered = [];
        bufferedShown = 0;
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
