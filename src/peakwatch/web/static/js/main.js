/* peakwatch live pages, the entry module: wires the clock, the keyboard, the live controls and
 * the stream together once the page is parsed (module scripts run deferred). */

import { keepTzOnLinks, localizeTimes, markUpdated, startClock } from "./clock.js";
import { bindPause, receive, setConnected, showConnection } from "./controls.js";
import { bindFeedKeys } from "./feed.js";
import { bindHeldScroll } from "./held.js";
import { rememberRenderedRows } from "./lists.js";
import { showCurrentTab } from "./nav.js";
import { markStale } from "./stale.js";
import { connect } from "./stream.js";

rememberRenderedRows();
bindPause();
bindFeedKeys();
bindHeldScroll();
showCurrentTab();
localizeTimes(document);
keepTzOnLinks();
startClock();

const streamUrl = document.body.getAttribute("data-stream");
if (streamUrl && window.EventSource) {
  showConnection();
  connect(streamUrl, function (up) {
    setConnected(up);
    markStale(!up);
    if (up) {
      markUpdated();
    }
  }, receive);
}
