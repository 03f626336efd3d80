/* peakwatch held feed items: while the reader is scrolled into a feed or the page is paused,
 * new items are counted and kept (bounded), not rendered; "N new; jump to newest" shows them. */

import { el } from "./dom.js";

const KEEP_NOTABLE = 500; // notable items kept per feed; past that the jump reloads the page
const KEEP_ROUTINE = 100; // the newest routine items kept; older ones are only counted

const holds = new Map(); // feed element -> {notable, routine, dropped, count, overflowed}
let paused = false;
let release = null; // (feed, entries, dropped) => void, set by the feed
let scrollQueued = false;

/** The feed's renderer of released items (called once by feed.js). */
export function onRelease(render) {
  release = render;
}

/** Paused (the header's Pause button) holds every feed; resuming releases those in view. */
export function setHeld(value) {
  paused = value;
  if (!paused) {
    releaseWhereLive();
  }
}

/** Are new items of this feed held: paused, or scrolled past the feed's first row? */
export function isHolding(feed) {
  return paused || (window.scrollY > 0 && feed.getBoundingClientRect().top < 0);
}

/** Keeps `entries` ({item, stamp, index, routine}) of a held feed and counts them. */
export function hold(feed, entries) {
  let held = holds.get(feed);
  if (!held) {
    held = { notable: [], routine: [], dropped: 0, count: 0, overflowed: false };
    holds.set(feed, held);
  }
  entries.forEach(function (entry) {
    entry.index = held.count; // arrival order breaks ties between equal times
    held.count += 1;
    if (!entry.routine) {
      if (held.notable.length < KEEP_NOTABLE) {
        held.notable.push(entry);
      } else {
        held.overflowed = true; // the page has all of them: the jump reloads it
      }
      return;
    }
    held.routine.push(entry);
    if (held.routine.length > KEEP_ROUTINE) {
      held.routine.shift();
      held.dropped += 1;
    }
  });
  showJump(feed, held);
}

function jumpButton(feed) {
  let button = feed.previousElementSibling;
  if (button && button.hasAttribute("data-feed-new")) {
    return button;
  }
  button = el("button", "btn feed-new");
  button.type = "button";
  button.setAttribute("data-feed-new", "");
  button.hidden = true;
  button.addEventListener("click", function () {
    jump(feed);
  });
  feed.parentNode.insertBefore(button, feed);
  return button;
}

function showJump(feed, held) {
  const button = jumpButton(feed);
  button.textContent = held.count + " new; jump to newest";
  button.title = held.overflowed
    ? "More arrived than this page keeps: the jump reloads the page"
    : "Show the new items at the top of the feed";
  button.hidden = false;
}

/** Renders what the feed holds (or reloads when it held too much) and forgets it. */
function releaseFeed(feed) {
  const held = holds.get(feed);
  if (!held) {
    return;
  }
  if (held.overflowed) {
    window.location.reload();
    return;
  }
  holds.delete(feed);
  jumpButton(feed).hidden = true;
  if (release) {
    release(feed, held.notable.concat(held.routine), held.dropped);
  }
}

function releaseWhereLive() {
  holds.forEach(function (held, feed) {
    if (!isHolding(feed)) {
      releaseFeed(feed);
    }
  });
}

/** "N new; jump to newest": the held items appear and the feed's top comes into view. */
function jump(feed) {
  const focused = feed.contains(document.activeElement);
  const top = feed.getBoundingClientRect().top + window.scrollY;
  window.scrollTo(0, Math.max(0, top - 80));
  releaseFeed(feed);
  const first = feed.firstElementChild;
  if (focused && first) {
    first.focus({ preventScroll: true });
  }
}

/** Scrolling back to a feed's top releases what it held. */
export function bindHeldScroll() {
  window.addEventListener("scroll", function () {
    if (scrollQueued || !holds.size) {
      return;
    }
    scrollQueued = true;
    window.requestAnimationFrame(function () {
      scrollQueued = false;
      releaseWhereLive();
    });
  }, { passive: true });
}
