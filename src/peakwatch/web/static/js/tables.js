/* peakwatch runs tables and counters: a run's status and last event update in place, a new run
 * becomes a row on the first page (within its page size), a removed run's row goes. */

import { ageElement, el, link, runHref } from "./dom.js";
import { pageSize } from "./lists.js";

const RUN_STATUSES = ["active", "stale", "completed", "unknown"];
/** The live parts (parts.js) of a row's figure cells, in column order; each name ends ":<run id>". */
const FIGURE_PARTS = ["run-pnl", "run-hit-rate", "run-spark"];

function statusBadge(status) {
  const known = RUN_STATUSES.indexOf(status) >= 0 ? status : "unknown";
  const badge = el("span", "badge status-" + known, known);
  badge.setAttribute("data-status-badge", "");
  return badge;
}

/** Adds `delta` to every count of runs with this status ([data-run-count]), never below 0. */
function bumpCount(status, delta) {
  document.querySelectorAll('[data-run-count="' + status + '"]').forEach(function (node) {
    const value = parseInt(node.textContent, 10);
    if (!isNaN(value)) {
      node.textContent = String(Math.max(0, value + delta));
    }
  });
}

/** The cell with its column's name, which a phone shows beside the value (a card). */
function labelled(td, label) {
  td.setAttribute("data-label", label);
  return td;
}

function buildRunRow(table, run) {
  const tr = el("tr");
  tr.setAttribute("data-run-id", run.run_id);
  const th = el("th", "id-cell sticky-col");
  th.setAttribute("scope", "row");
  th.appendChild(link(runHref(run.run_id), run.run_id));
  tr.appendChild(th);
  if (table.hasAttribute("data-figures")) {  // PnL, hit rate, equity: drawn by the server
    [["num", "PnL"], ["num", "Hit rate"], ["spark-cell", "Equity"]].forEach(function (cell) {
      tr.appendChild(labelled(el("td", cell[0], "–"), cell[1]));
    });
    tr.querySelectorAll("td").forEach(function (td, index) {  // filled by the next refresh
      td.setAttribute("data-live-part", FIGURE_PARTS[index] + ":" + run.run_id);
      td.setAttribute("data-live-run", run.run_id);
    });
  }
  [[run.strategy_name, "Strategy"], [run.symbol, "Symbol"], [run.mode, "Mode"]].forEach(
    function (cell) {
      tr.appendChild(labelled(el("td", null, cell[0] || "–"), cell[1]));
    });
  const status = labelled(el("td"), "Status");
  status.setAttribute("data-cell", "status");
  status.appendChild(statusBadge(run.status));
  tr.appendChild(status);
  const last = labelled(el("td"), "Last event");
  last.setAttribute("data-cell", "last");
  last.appendChild(ageElement(run.last_event_time));
  tr.appendChild(last);
  if (table.hasAttribute("data-select-links")) {
    const show = el("td");
    show.appendChild(link("/dashboard?run=" + encodeURIComponent(run.run_id) + "#selected-run",
      "show below"));
    tr.appendChild(show);
  }
  return tr;
}

/** A runs table keeps its page size: the last row (the least recently active) goes, unless
 * it has the focus. */
function trimRunsTable(table) {
  const tbody = table.tBodies[0];
  while (tbody.rows.length > pageSize(table)) {
    const last = tbody.rows[tbody.rows.length - 1];
    if (last.contains(document.activeElement)) {
      break;
    }
    tbody.removeChild(last);
  }
}

/** A run's new state: its rows and badges everywhere on the page, or a new row if it has none. */
export function applyRun(run) {
  let found = false;
  let previous = null;
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
    const lastCell = node.hasAttribute("data-run-last") ? node
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
      const tbody = table.tBodies[0];
      tbody.insertBefore(buildRunRow(table, run), tbody.firstChild);
      trimRunsTable(table);
      table.hidden = false;
      const empty = document.querySelector('[data-empty-for="runs"]');
      if (empty) {
        empty.remove();
      }
    });
    if (document.querySelector("table[data-runs-table]")) {
      bumpCount(run.status, 1);
    }
  }
}

export function applyRunRemoved(data) {
  document.querySelectorAll("tr[data-run-id]").forEach(function (tr) {
    if (tr.getAttribute("data-run-id") === data.run_id) {
      const badge = tr.querySelector("[data-status-badge]");
      if (badge) {
        bumpCount(badge.textContent, -1);
      }
      tr.remove();
    }
  });
}

/** The health message: how many artifacts could not be read. */
export function applyHealth(data) {
  document.querySelectorAll("[data-unreadable-count]").forEach(function (node) {
    node.textContent = String(data.unreadable_count);
  });
}
