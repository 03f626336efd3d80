/* peakwatch routine folds: consecutive routine feed rows live in one <details> ("12 routine
 * events"), newest first; a fold keeps at most FOLD_ROWS rows and counts the older ones. */

import { el } from "./dom.js";
import { parseTime } from "./format.js";
import { forgetShown } from "./lists.js";

const FOLD_ROWS = 50;

export function isFold(node) {
  return Boolean(node && node.classList && node.classList.contains("feed-fold"));
}

function rowsOf(fold) {
  return fold.querySelector("ol.feed-folded");
}

/** The time of a top-level feed entry: a row's own, a fold's newest row's (ms; 0 unknown). */
export function entryTime(node) {
  const date = parseTime(node.getAttribute("data-ts"));
  return date ? date.getTime() : 0;
}

/** An empty fold, closed. */
export function newFold() {
  const fold = el("li", "feed-fold");
  fold.tabIndex = -1;
  fold.setAttribute("data-count", "0");
  fold.setAttribute("data-ts", "");
  const details = el("details");
  const summary = el("summary");
  summary.setAttribute("data-fold-label", "");
  details.appendChild(summary);
  details.appendChild(el("ol", "feed-folded"));
  fold.appendChild(details);
  return fold;
}

/** Puts `row` (stamp in ms) of the feed labelled `label` into the fold at its place by time (newest first). */
export function addToFold(fold, row, stamp, label) {
  const list = rowsOf(fold);
  let before = null;
  for (let node = list.firstElementChild; node; node = node.nextElementSibling) {
    if (node.classList.contains("feed-row") && entryTime(node) <= stamp) {
      before = node;
      break;
    }
  }
  if (before === null && list.lastElementChild &&
      list.lastElementChild.classList.contains("fold-more")) {
    before = list.lastElementChild;
  }
  list.insertBefore(row, before);
  countInFold(fold, 1, label);
}

/** Moves every row of `newer` (a fold of newer rows) to the top of `fold`, with its count. */
export function mergeFolds(fold, newer, label) {
  const list = rowsOf(fold);
  const rows = rowsOf(newer).querySelectorAll(":scope > .feed-row");
  const fragment = document.createDocumentFragment();
  rows.forEach(function (row) {
    fragment.appendChild(row);
  });
  list.insertBefore(fragment, list.firstChild);
  countInFold(fold, parseInt(newer.getAttribute("data-count"), 10) || 0, label);
  newer.remove();
}

/** Adds `count` to the fold's number of events (rows it holds and older ones it only counts). */
export function countInFold(fold, count, label) {
  const total = (parseInt(fold.getAttribute("data-count"), 10) || 0) + count;
  fold.setAttribute("data-count", String(total));
  capFold(fold, label);
  const list = rowsOf(fold);
  const newest = list.querySelector(":scope > .feed-row");
  if (newest) {
    fold.setAttribute("data-ts", newest.getAttribute("data-ts") || "");
  }
  const kept = list.querySelectorAll(":scope > .feed-row").length;
  let more = list.querySelector(":scope > .fold-more");
  if (kept < total) {
    if (!more) {
      more = el("li", "fold-more muted");
      list.appendChild(more);
    }
    more.textContent = "and " + (total - kept) + " older routine " +
      (total - kept === 1 ? "event" : "events") + " not kept on this page (reload to see them)";
  } else if (more) {
    more.remove();
  }
  fold.querySelector("summary").textContent =
    total + " routine " + (total === 1 ? "event" : "events");
}

/** A fold keeps its newest FOLD_ROWS rows (never the focused one); older ones stay counted. */
function capFold(fold, label) {
  const list = rowsOf(fold);
  const rows = list.querySelectorAll(":scope > .feed-row");
  for (let i = rows.length - 1; i >= FOLD_ROWS; i--) {
    if (rows[i] !== document.activeElement) {
      forgetShown(rows[i].getAttribute("data-id"), label);
      rows[i].remove();
    }
  }
}
