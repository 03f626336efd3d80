/* peakwatch live controls in the header: the connection pill, and Pause/Resume, which holds
 * stream messages back while paused and replays them in order on Resume (feeds hold their own). */

import { applyActivities } from "./feed.js";
import { setHeld } from "./held.js";
import { addsRow, enqueue } from "./updates.js";

const PAUSE_LIMIT = 50000;
const conn = document.getElementById("conn");
const pauseButton = document.getElementById("pause");
let connected = false;
let paused = false;
let buffered = [];
let bufferedShown = 0;
let overflowed = false;

/** The pill says live, paused or disconnected (a page without a stream has no pill). */
export function showConnection() {
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

export function setConnected(up) {
  connected = up;
  showConnection();
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

/** One stream message: applied soon, or held while paused (counted if it would add a row). */
export function receive(topic, data) {
  if (!paused) {
    enqueue(topic, data);
  } else if (topic === "activity") {
    applyActivities([data]); // a paused feed holds its items itself, bounded (held.js)
  } else if (buffered.length >= PAUSE_LIMIT) {
    overflowed = true; // too much to replay: Resume reloads the page instead
  } else {
    buffered.push([topic, data]);
  }
  if (paused && addsRow(topic, data)) {
    bufferedShown += 1;
    showPause();
  }
}

/** Shows the Pause button (pages with a stream have one) and makes it toggle. */
export function bindPause() {
  if (!pauseButton) {
    return;
  }
  pauseButton.hidden = false;
  pauseButton.addEventListener("click", function () {
    paused = !paused;
    setHeld(paused);
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
