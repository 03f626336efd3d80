/* peakwatch page updates: stream messages are applied in batches, a few times a second. A busy
 * runner writes hundreds of events a second; one DOM update (and one layout) per batch keeps
 * the page responsive. The runs a batch touched have their server-rendered parts refreshed. */

import { anyAlertListWants, applyAlerts } from "./alerts.js";
import { markUpdated } from "./clock.js";
import { anyFeedWants, applyActivities } from "./feed.js";
import { keepingPlace, trimLists } from "./lists.js";
import { refreshPartsOf } from "./parts.js";
import { applyHealth, applyRun, applyRunRemoved } from "./tables.js";

const FLUSH_MS = 100;
let pending = [];
let flushTimer = null;

/** Would this message add a row to this page? (what the Resume button counts) */
export function addsRow(topic, data) {
  if (topic === "activity") {
    return anyFeedWants(data);
  }
  return topic === "alert" && anyAlertListWants(data);
}

function flush() {
  flushTimer = null;
  const entries = pending;
  pending = [];
  if (!entries.length) {
    return;
  }
  // a run that changed several times in one batch: only its last message counts
  const lastRun = {};
  entries.forEach(function (entry, index) {
    if (entry[0] === "run" || entry[0] === "run_removed") {
      lastRun[entry[1].run_id] = index;
    }
  });
  const activities = [];
  const alerts = [];
  const touched = new Set();
  let health = null;
  keepingPlace(function () {
    entries.forEach(function (entry, index) {
      const topic = entry[0];
      const data = entry[1];
      if ((topic === "activity" || topic === "run") && data.run_id) {
        touched.add(data.run_id);
      } else if (topic === "alert") {
        touched.add(data.run_id || "*");
      }
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
  refreshPartsOf(touched);
  markUpdated();
}

/** Queues one message; the batch is applied FLUSH_MS after its first message. */
export function enqueue(topic, data) {
  pending.push([topic, data]);
  if (flushTimer === null) {
    flushTimer = window.setTimeout(flush, FLUSH_MS);
  }
}
