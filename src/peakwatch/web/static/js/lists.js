/* peakwatch bounded live lists: each list's page size, the rows it already shows, trimming the
 * oldest rows out of sight, and keeping the reader's place while rows arrive above it. */

const MAX_ROWS = 500;
const LIVE_LISTS = 'ol.feed[data-feed="activity"], ul.alert-list[data-feed="alerts"]';

/* "<item id>|<list label>" of every row a list shows, so a row never appears twice. */
const seen = new Set();

/** Records the rows the server rendered; call once, before the first live row arrives. */
export function rememberRenderedRows() {
  document.querySelectorAll(".feed-row[data-id]").forEach(function (row) {
    seen.add(row.getAttribute("data-id") + "|" + row.closest("[data-feed]").getAttribute("aria-label"));
  });
}

export function isShown(id, label) {
  return seen.has(id + "|" + label);
}

export function markShown(id, label) {
  seen.add(id + "|" + label);
}

export function forgetShown(id, label) {
  seen.delete(id + "|" + label);
}

/** A list holds at most its page's size (data-page-size), never more than MAX_ROWS. */
export function pageSize(list) {
  const size = parseInt(list.getAttribute("data-page-size"), 10);
  return size > 0 ? Math.min(size, MAX_ROWS) : MAX_ROWS;
}

/** The "nothing here yet" note beside a list goes once the list has a row. */
export function dropEmptyNote(list, emptyKey) {
  const empty = list.parentNode.querySelector('[data-empty-for="' + emptyKey + '"]');
  if (empty) {
    empty.remove();
  }
}

/** Lists keep at most their page size: the oldest rows go, but only those out of sight
 * below (a runs table counts its body rows, see tables.js). */
export function trimLists() {
  const bottom = window.innerHeight;
  document.querySelectorAll(LIVE_LISTS).forEach(function (list) {
    const label = list.getAttribute("aria-label");
    while (list.children.length > pageSize(list)) {
      const last = list.lastElementChild;
      if (last.contains(document.activeElement) || last.getBoundingClientRect().top < bottom) {
        break;
      }
      const rows = last.matches(".feed-row") ? [last] : last.querySelectorAll(".feed-row");
      rows.forEach(function (row) {
        forgetShown(row.getAttribute("data-id"), label);
      });
      list.removeChild(last);
    }
  });
}

/* The reader's place: the focused element if it is in view (even at the very top: a row
 * focused with j/k stays where it is), else the first row or heading in view. Rows arriving
 * above it must not move it (without a focus, nothing moves at the very top). */
function placeAnchor() {
  const height = window.innerHeight;
  const active = document.activeElement;
  if (active && active !== document.body && active.closest && active.closest("main")) {
    const box = active.getBoundingClientRect();
    if (box.bottom > 0 && box.top < height) {
      return active;
    }
  }
  if (window.scrollY <= 0) {
    return null;
  }
  const nodes = document.querySelectorAll(
    "main .feed-row, main .alert-row, main tr, main h2, main h3, main p, main dl");
  for (let i = 0; i < nodes.length; i++) {
    const rect = nodes[i].getBoundingClientRect();
    if (rect.bottom > 0 && rect.top < height && rect.height > 0) {
      return nodes[i];
    }
  }
  return null;
}

/** Runs `change` (which adds rows) and scrolls back by however far the reader's place moved. */
export function keepingPlace(change) {
  const anchor = placeAnchor();
  const before = anchor ? anchor.getBoundingClientRect().top : 0;
  change();
  if (anchor && anchor.isConnected) {
    const moved = anchor.getBoundingClientRect().top - before;
    if (Math.abs(moved) >= 1) {
      window.scrollBy(0, moved);
    }
  }
}
