/* peakwatch time text: parse ISO stamps, write them in UTC or local time, and say how long ago
 * something happened. Pure functions, no DOM. */

/** Whether the page shows local time (`?tz=local`) instead of UTC. */
export const tzLocal = new URLSearchParams(window.location.search).get("tz") === "local";

function pad(n) {
  return n < 10 ? "0" + n : String(n);
}

/** A Date for an ISO stamp, or null for an empty or unreadable one. */
export function parseTime(text) {
  if (!text) {
    return null;
  }
  const ms = Date.parse(text);
  return isNaN(ms) ? null : new Date(ms);
}

/** The local zone as "UTC+01:00" (the browser's offset at that date). */
function localZone(date) {
  let offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  offset = Math.abs(offset);
  return "UTC" + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
}

/** "HH:MM:SS UTC" for fmt "time", else the date, the clock and the zone (local time: the zone
 * is the offset, "UTC+01:00"). */
export function formatTime(date, fmt) {
  if (tzLocal) {
    const clock = pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
    if (fmt === "time") {
      return clock + " " + localZone(date);
    }
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      " " + clock + " " + localZone(date);
  }
  const utcClock = pad(date.getUTCHours()) + ":" + pad(date.getUTCMinutes()) + ":" +
    pad(date.getUTCSeconds());
  if (fmt === "time") {
    return utcClock + " UTC";
  }
  return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" +
    pad(date.getUTCDate()) + " " + utcClock + " UTC";
}

/** "12 s ago", "3 min ago", "2 h ago", "5 d ago"; "just now" for a stamp ahead of `now`. */
export function ageText(date, now) {
  const seconds = Math.floor((now - date.getTime()) / 1000);
  if (seconds < 0) {
    return "just now";
  }
  if (seconds < 60) {
    return seconds + " s ago";
  }
  if (seconds < 3600) {
    return Math.floor(seconds / 60) + " min ago";
  }
  if (seconds < 86400) {
    return Math.floor(seconds / 3600) + " h ago";
  }
  return Math.floor(seconds / 86400) + " d ago";
}
