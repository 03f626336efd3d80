/* peakwatch live page parts: server-rendered parts (a run's tiles, charts, scorecard, decisions;
 * the alerts lists) are fetched again when the stream says their run changed or an alert came, at
 * most every REFRESH_MS, so the server alone formats every figure and pages work without script. */

import { localizeTimes } from "./clock.js";
import { keepingPlace } from "./lists.js";

const REFRESH_MS = 2000;
const PART = "[data-live-part]";

let inFlight = false;
let again = false;
let lastStart = 0;
let timer = null;

/** The run ids whose parts this page shows (`data-live-run` on each part). */
function partRuns() {
  const runs = new Set();
  document.querySelectorAll(PART).forEach(function (part) {
    runs.add(part.getAttribute("data-live-run"));
  });
  return runs;
}

/** A part the reader is working in (a focused filter, a selected link) is left as it is. */
function inUse(part) {
  const active = document.activeElement;
  return active !== null && active !== document.body && part.contains(active);
}

function replaceParts(fresh) {
  keepingPlace(function () {
    document.querySelectorAll(PART).forEach(function (part) {
      const name = part.getAttribute("data-live-part");
      const next = fresh.querySelector('[data-live-part="' + name + '"]');
      if (!next || inUse(part)) {
        return;
      }
      const node = document.importNode(next, true);
      part.replaceWith(node);
      localizeTimes(node);
    });
  });
}

async function fetchParts() {
  inFlight = true;
  again = false;
  lastStart = Date.now();
  try {
    const response = await fetch(window.location.href, {
      headers: { Accept: "text/html" },
      cache: "no-store",
      credentials: "same-origin",
    });
    if (response.ok) {
      const text = await response.text();
      replaceParts(new DOMParser().parseFromString(text, "text/html"));
    }
  } catch (e) {
    // offline for a moment: the next change tries again, the stream says it is disconnected
  } finally {
    inFlight = false;
    if (again) {
      schedule();
    }
  }
}

function schedule() {
  if (inFlight) {
    again = true;
    return;
  }
  if (timer !== null) {
    return;
  }
  const wait = Math.max(0, lastStart + REFRESH_MS - Date.now());
  timer = window.setTimeout(function () {
    timer = null;
    fetchParts();
  }, wait);
}

/** A batch of stream messages touched these runs (or brought an alert): refresh the parts of
 * any this page shows; a part with `data-live-run="*"` (the alerts page) follows every run. */
export function refreshPartsOf(runIds) {
  if (!runIds.size) {
    return;
  }
  const shown = partRuns();
  if (shown.has("*")) {
    schedule();
    return;
  }
  for (const runId of runIds) {
    if (shown.has(runId)) {
      schedule();
      return;
    }
  }
}
