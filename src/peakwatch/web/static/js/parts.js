/* peakwatch live page parts: the server-rendered parts of a run's view (tiles, charts, scorecard,
 * decisions) are fetched again after the stream says the run changed, at most every REFRESH_MS,
 * so every figure is formatted by the server alone and a page without script still shows it. */

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

/** A batch of stream messages touched these runs: refresh the parts of any this page shows. */
export function refreshPartsOf(runIds) {
  if (!runIds.size) {
    return;
  }
  const shown = partRuns();
  for (const runId of runIds) {
    if (shown.has(runId)) {
      schedule();
      return;
    }
  }
}
