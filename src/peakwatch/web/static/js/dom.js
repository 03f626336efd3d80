/* peakwatch element builders: text is only ever set with textContent, links keep the page's
 * time zone, times carry their ISO stamp for later re-rendering. */

import { ageText, formatTime, parseTime, tzLocal } from "./format.js";

/** A new element with an optional class and text (set as text, never as markup). */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  return node;
}

/** A same-origin page link with `tz=local` added when the page shows local time. */
export function withTz(href) {
  if (!tzLocal) {
    return href;
  }
  const url = new URL(href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.indexOf("/static/") === 0) {
    return href;
  }
  if (!url.searchParams.has("tz")) {
    url.searchParams.set("tz", "local");
  }
  return url.pathname + url.search + url.hash;
}

/** The path the page's root is served under: "" on a one-root server, "/roots/NAME" in a
 * fleet (the server rebases the body's `data-base`, as it does the page's own links). */
const rootBase = (document.body.getAttribute("data-base") || "/").replace(/\/$/, "");

/** An absolute page path under the page's root (shared static files and root links kept). */
export function rooted(href) {
  if (href.charAt(0) !== "/" || href.charAt(1) === "/" || /^\/(roots|static)\//.test(href)) {
    return href;
  }
  return rootBase + href;
}

export function link(href, text) {
  const a = el("a", null, text);
  a.href = withTz(rooted(href));
  return a;
}

export function runHref(runId) {
  return "/dashboard/runs/" + encodeURIComponent(runId);
}

export function sessionHref(sessionId) {
  return "/sessions/" + encodeURIComponent(sessionId);
}

/** A <time class="ts"> in the page's zone, the full stamp as its title; "–" without a stamp. */
export function timeElement(iso, fmt) {
  const date = parseTime(iso);
  if (!date) {
    return document.createTextNode("–");
  }
  const node = el("time", "ts", formatTime(date, fmt));
  node.setAttribute("datetime", iso);
  node.setAttribute("data-fmt", fmt);
  node.title = formatTime(date, "full");
  return node;
}

/** A <time class="age"> that the clock keeps ticking; "never" without a stamp. */
export function ageElement(iso) {
  const date = parseTime(iso);
  if (!date) {
    return document.createTextNode("never");
  }
  const node = el("time", "age", ageText(date, Date.now()));
  node.setAttribute("datetime", iso);
  return node;
}
