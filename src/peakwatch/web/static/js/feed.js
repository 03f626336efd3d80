/* peakwatch activity feed: which feed wants a live item, the row it becomes, where it goes
 * (newest first), and the j/k keyboard walk through feed rows. */

import { el, link, runHref, sessionHref, timeElement } from "./dom.js";
import { parseTime } from "./format.js";
import { dropEmptyNote, isShown, markShown, pageSize } from "./lists.js";

const FEEDS = 'ol.feed[data-feed="activity"]';
const LEVELS = ["info", "warning", "error"];
const KIND_GROUPS = {
  decision: "decision", ai_decision: "decision", signal: "decision",
  order: "trade", fill: "trade", position: "trade",
  risk: "risk", alert: "alert", error: "error"
};

/** Does this feed show this item? A later page (data-live="off") shows none; filters apply. */
function feedWants(feed, item) {
  if (feed.getAttribute("data-live") === "off") {
    return false;
  }
  const checks = [
    ["data-filter-run", item.run_id],
    ["data-filter-session", item.session_id],
    ["data-filter-source", item.source],
    ["data-filter-kind", item.kind],
    ["data-filter-level", item.level]
  ];
  for (let i = 0; i < checks.length; i++) {
    const wanted = feed.getAttribute(checks[i][0]);
    if (wanted !== null && wanted !== checks[i][1]) {
      return false;
    }
  }
  const q = feed.getAttribute("data-filter-q");
  return !(q && String(item.summary || "").toLowerCase().indexOf(q.toLowerCase()) < 0);
}

/** Would any feed on this page show this item? */
export function anyFeedWants(item) {
  const feeds = document.querySelectorAll(FEEDS);
  for (let i = 0; i < feeds.length; i++) {
    if (feedWants(feeds[i], item)) {
      return true;
    }
  }
  return false;
}

function summaryElement(item) {
  const p = el("p", "summary");
  const text = String(item.summary || "");
  if (item.kind === "decision") {
    const m = /^Decision (\S+)(?: (.+?))?(?: \(confidence ([0-9.]+)\))?(?:: (.*))?$/.exec(text);
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
    const cut = text.indexOf(": ");
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
  const level = LEVELS.indexOf(item.level) >= 0 ? item.level : "info";
  const kind = String(item.kind || "event");
  const group = kind.indexOf("execution_") === 0 ? "trade" : (KIND_GROUPS[kind] || "other");
  const row = el("li", "feed-row " + (highlight ? "fresh " : "") + "level-" + level);
  row.tabIndex = -1;
  row.setAttribute("data-id", item.id);
  row.setAttribute("data-ts", item.ts || "");
  const head = el("div", "row-head");
  head.appendChild(timeElement(item.ts, "time"));
  head.appendChild(el("span", "badge kind kind-" + group, kind));
  if (level !== "info") {
    head.appendChild(el("span", "badge level-" + level, level));
  }
  // the page's own run or session is not repeated on every row
  if (item.run_id && item.run_id !== feed.getAttribute("data-filter-run")) {
    const runRef = el("span", "ref", "run ");
    runRef.appendChild(link(runHref(item.run_id), item.run_id));
    head.appendChild(runRef);
  }
  if (item.session_id && item.session_id !== feed.getAttribute("data-filter-session")) {
    const sessionRef = el("span", "ref", "session ");
    sessionRef.appendChild(link(sessionHref(item.session_id), item.session_id));
    head.appendChild(sessionRef);
  }
  if (item.source && item.source !== "run" &&
      item.source !== feed.getAttribute("data-filter-source")) {
    const source = el("span", "src", "via " + item.source);
    source.title = "Where this came from (run events need no label)";
    head.appendChild(source);
  }
  row.appendChild(head);
  row.appendChild(summaryElement(item));
  if (String(item.summary || "").length > 110) {
    const more = el("details", "more");
    more.appendChild(el("summary", null, "show more"));
    more.appendChild(el("p", null, item.summary));
    row.appendChild(more);
  }
  const payload = el("details", "payload");
  payload.appendChild(el("summary", null, "payload"));
  payload.appendChild(el("p", "note", "Arrived live: reload the page to see its payload."));
  row.appendChild(payload);
  return row;
}

function rowTime(row) {
  const date = parseTime(row.getAttribute("data-ts"));
  return date ? date.getTime() : 0;
}

/** Many items at once (one batch): each feed gets its new rows in one DOM operation.
 * Newest first; an item as new as the top row or newer goes above it, an older one into
 * its place, and one older than every row shown belongs to an older page: left out. */
export function applyActivities(items) {
  document.querySelectorAll(FEEDS).forEach(function (feed) {
    const label = feed.getAttribute("aria-label");
    let wanted = [];
    items.forEach(function (item, index) {
      if (!isShown(item.id, label) && feedWants(feed, item)) {
        const date = parseTime(item.ts);
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
    const highlight = wanted.length <= 10;
    const top = feed.firstElementChild;
    const topStamp = top ? rowTime(top) : -Infinity;
    const fragment = document.createDocumentFragment();
    wanted.forEach(function (entry) {
      let row;
      if (entry.stamp >= topStamp) {
        row = buildFeedRow(entry.item, highlight, feed);
        fragment.appendChild(row);
      } else {
        let before = null;
        for (let node = feed.firstElementChild; node; node = node.nextElementSibling) {
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
      markShown(entry.item.id, label);
    });
    feed.insertBefore(fragment, feed.firstChild);
    dropEmptyNote(feed, "feed");
  });
}

/** j/k move the focus through feed rows, Enter opens or closes the focused row's payload. */
export function bindFeedKeys() {
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const target = event.target;
    if (target && (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) ||
        target.isContentEditable)) {
      return;
    }
    const rows = Array.prototype.slice.call(document.querySelectorAll(".feed-row"));
    if (!rows.length) {
      return;
    }
    const index = rows.indexOf(document.activeElement);
    if (event.key === "j" || event.key === "k") {
      let next = event.key === "j" ? index + 1 : index - 1;
      if (index < 0) {
        next = 0;
      }
      next = Math.max(0, Math.min(rows.length - 1, next));
      rows[next].focus();
      rows[next].scrollIntoView({ block: "nearest" });
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0) {
      const details = rows[index].querySelector("details.payload");
      if (details) {
        details.open = !details.open;
        event.preventDefault();
      }
    }
  });
}
