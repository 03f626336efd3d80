/* peakwatch stale marking: while the stream is down the page says since when and greys its live
 * figures and badges (body[data-stale]); they come back once the stream has caught up. */

import { formatTime } from "./format.js";

const CATCH_UP_MS = 800;  // a resumed stream sends what was missed at once; its batch lands first
const note = document.getElementById("stale-note");
let since = null;
let catchUp = null;

function clear() {
  catchUp = null;
  since = null;
  document.body.removeAttribute("data-stale");
  if (note) {
    note.hidden = true;
    note.textContent = "";
  }
}

/** The stream went down (true) or came back (false); a first drop starts the "since". */
export function markStale(down) {
  if (!down) {
    if (since !== null && catchUp === null) {
      catchUp = window.setTimeout(clear, CATCH_UP_MS);
    }
    return;
  }
  if (catchUp !== null) {
    window.clearTimeout(catchUp);
    catchUp = null;
  }
  if (since !== null) {
    return;  // another failed retry: still down since the first drop
  }
  since = new Date();
  const at = formatTime(since, "time");
  document.body.setAttribute("data-stale", since.toISOString());
  if (note) {
    note.textContent = "Not live since " + at + ": the greyed figures and badges are from " +
      "then and come back when the stream catches up.";
    note.hidden = false;
  }
}
