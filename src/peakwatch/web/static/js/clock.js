/* peakwatch clock on the rendered page: server-rendered times in local time when asked, links
 * that keep the time zone, ages that tick every second, and the header's "updated" age. */

import { withTz } from "./dom.js";
import { ageText, formatTime, parseTime, tzLocal } from "./format.js";

/** Rewrites every <time class="ts"> under `root` in local time (UTC pages are left alone). */
export function localizeTimes(root) {
  if (!tzLocal) {
    return;
  }
  root.querySelectorAll("time.ts[datetime]").forEach(function (node) {
    const date = parseTime(node.getAttribute("datetime"));
    if (date) {
      node.textContent = formatTime(date, node.getAttribute("data-fmt") || "full");
    }
  });
}

/** On a local-time page every link but the time zone toggle carries `tz=local`. */
export function keepTzOnLinks() {
  if (!tzLocal) {
    return;
  }
  document.querySelectorAll("a[href]").forEach(function (a) {
    if (a.id !== "tz-toggle") {
      a.setAttribute("href", withTz(a.getAttribute("href")));
    }
  });
}

export function tickAges() {
  const now = Date.now();
  document.querySelectorAll("time.age[datetime]").forEach(function (node) {
    const date = parseTime(node.getAttribute("datetime"));
    if (date) {
      node.textContent = ageText(date, now);
    }
  });
}

/** Ticks every age now and then once a second. */
export function startClock() {
  tickAges();
  window.setInterval(tickAges, 1000);
}

/** The header's "updated … ago" starts again from now. */
export function markUpdated() {
  const node = document.getElementById("updated");
  if (node) {
    node.setAttribute("datetime", new Date().toISOString());
    node.textContent = "0 s ago";
  }
}
