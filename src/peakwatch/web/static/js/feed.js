/* peakwatch activity feed: which feed wants a live item, the row it becomes, where it goes
 * (newest first, routine rows folded), and the j/k keyboard walk through rows and folds. */

import { el, link, runHref, sessionHref, timeElement } from "./dom.js";
import { addToFold, countInFold, entryTime, isFold, mergeFolds, newFold } from "./folds.js";
import { parseTime } from "./format.js";
import { hold, isHolding, onRelease } from "./held.js";
import { dropEmptyNote, isShown, keepingPlace, markShown, pageSize, trimLists } from "./lists.js";

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
  const importance = item.importance === "routine" ? "routine" : "notable";
  const row = el("li", "feed-row " + (highlight ? "fresh " : "") + "level-" + level +
    " imp-" + importance);
  row.tabIndex = -1;
  row.setAttribute("data-importance", importance);
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

function entryOf(item, index) {
  const date = parseTime(item.ts);
  return {
    item: item,
    stamp: date ? date.getTime() : 0,
    index: index,
    routine: item.importance === "routine"
  };
}

/** Many items at once (one batch): each feed shows them, or holds them while the reader is
 * scrolled into it or the page is paused (held.js). */
export function applyActivities(items) {
  document.querySelectorAll(FEEDS).forEach(function (feed) {
    const label = feed.getAttribute("aria-label");
    const wanted = [];
    items.forEach(function (item, index) {
      if (!isShown(item.id, label) && feedWants(feed, item)) {
        wanted.push(entryOf(item, index));
      }
    });
    if (!wanted.length) {
      return;
    }
    if (isHolding(feed)) {
      hold(feed, wanted);
    } else {
      showEntries(feed, wanted, 0);
    }
  });
}

/* Items a feed held, shown once the reader is back at its top (or asked for them). */
onRelease(function (feed, entries, dropped) {
  keepingPlace(function () {
    showEntries(feed, entries, dropped);
  });
  trimLists();
});

/** New rows into one feed, newest first. Notable items always get a row. Routine ones go into
 * folds (data-view="notable") or, showing every event, fill what a page has left.
 * An item as new as the top entry or newer goes above it, an older one into its place, and
 * one older than every entry shown belongs to an older page: left out. `dropped` routine
 * items were only counted while held; they are counted in the oldest new fold. */
function showEntries(feed, wanted, dropped) {
  const label = feed.getAttribute("aria-label");
  const folding = feed.getAttribute("data-view") !== "all";
  wanted.sort(function (a, b) {
    return (b.stamp - a.stamp) || (b.index - a.index);
  });
  const top = feed.firstElementChild;
  const topStamp = top ? entryTime(top) : -Infinity;
  const highlight = wanted.length <= 10;
  const fragment = document.createDocumentFragment();
  let fold = null;
  // showing every event, a batch keeps its notable rows and fills the rest of a page
  let routineRoom = pageSize(feed) - wanted.filter(function (e) { return !e.routine; }).length;
  const older = [];
  wanted.forEach(function (entry) {
    if (entry.stamp < topStamp) {
      older.push(entry);
      return;
    }
    if (entry.routine && !folding && routineRoom-- <= 0) {
      return;
    }
    const row = buildFeedRow(entry.item, highlight, feed);
    markShown(entry.item.id, label);
    if (!entry.routine || !folding) {
      fold = null;
      fragment.appendChild(row);
      return;
    }
    if (fold === null) {
      fold = fragment.appendChild(newFold());
    }
    addToFold(fold, row, entry.stamp, label);
  });
  if (dropped && folding) {
    fold = isFold(fragment.lastChild) ? fragment.lastChild : fragment.appendChild(newFold());
    countInFold(fold, dropped, label);
  }
  if (isFold(top) && isFold(fragment.lastChild)) {
    const newer = fragment.lastChild;
    fragment.removeChild(newer);
    mergeFolds(top, newer, label); // nothing notable between them: one fold
  }
  feed.insertBefore(fragment, feed.firstChild);
  older.forEach(function (entry) {
    placeOlder(feed, entry, folding, label);
  });
  dropEmptyNote(feed, "feed");
}

/** An item older than the top entry, into its place by time (a routine one into the fold
 * there, when folding). A notable item that lands inside a fold's time span goes above it. */
function placeOlder(feed, entry, folding, label) {
  let before = null;
  for (let node = feed.firstElementChild; node; node = node.nextElementSibling) {
    if (entryTime(node) <= entry.stamp) {
      before = node;
      break;
    }
  }
  if (before === null) {
    return;
  }
  const row = buildFeedRow(entry.item, false, feed);
  markShown(entry.item.id, label);
  const above = before.previousElementSibling;
  if (entry.routine && folding) {
    const fold = isFold(above) ? above : (isFold(before) ? before : null);
    if (fold) {
      addToFold(fold, row, entry.stamp, label);
      return;
    }
    const single = feed.insertBefore(newFold(), before);
    addToFold(single, row, entry.stamp, label);
    return;
  }
  feed.insertBefore(row, before);
}

/* A row inside a closed fold is not walked to (its fold is). */
function isVisibleEntry(node) {
  return node.parentNode.closest("details:not([open])") === null;
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
    const rows = Array.prototype.filter.call(
      document.querySelectorAll(".feed-row, .feed-fold"), isVisibleEntry);
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
      const details = rows[index].querySelector(
        isFold(rows[index]) ? ":scope > details" : "details.payload");
      if (details) {
        details.open = !details.open;
        event.preventDefault();
      }
    }
  });
}
