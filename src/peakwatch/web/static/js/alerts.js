/* peakwatch alert lists: which list wants a live alert, the row it becomes, newest on top. */

import { el, link, runHref, timeElement } from "./dom.js";
import { dropEmptyNote, pageSize } from "./lists.js";

const ALERT_LISTS = 'ul.alert-list[data-feed="alerts"]';
const SEVERITIES = ["critical", "warning", "info"];

/** Does this list show this alert? A later page (data-live="off") shows none; filters apply. */
function alertWants(list, alert) {
  if (list.getAttribute("data-live") === "off") {
    return false;
  }
  const run = list.getAttribute("data-filter-run");
  const severity = list.getAttribute("data-filter-severity");
  const source = list.getAttribute("data-filter-source");
  return !((run !== null && run !== alert.run_id) ||
    (severity !== null && severity !== alert.severity) ||
    (source !== null && source !== alert.source));
}

/** Would any alert list on this page show this alert? */
export function anyAlertListWants(alert) {
  const lists = document.querySelectorAll(ALERT_LISTS);
  for (let i = 0; i < lists.length; i++) {
    if (alertWants(lists[i], alert)) {
      return true;
    }
  }
  return false;
}

function buildAlertRow(alert, list) {
  const sev = SEVERITIES.indexOf(alert.severity) >= 0 ? alert.severity : "info";
  const row = el("li", "alert-row sev-row-" + sev);
  const head = el("div", "row-head");
  head.appendChild(timeElement(alert.timestamp, "full"));
  head.appendChild(el("span", "badge sev-" + sev, sev));
  if (alert.source) {
    head.appendChild(el("span", "src", alert.source));
  }
  if (alert.run_id && alert.run_id !== list.getAttribute("data-filter-run")) {
    const ref = el("span", "ref", "run ");
    ref.appendChild(link(runHref(alert.run_id), alert.run_id));
    head.appendChild(ref);
  }
  row.appendChild(head);
  const text = el("p", "alert-text");
  const title = String(alert.title || alert.rule_id || "alert");
  const message = alert.message ? String(alert.message) : "";
  text.appendChild(el("strong", null, title));
  if (message && message !== title) {
    // a message that repeats its title shows the title once
    const rest = message.indexOf(title) === 0 ? message.slice(title.length) : ": " + message;
    text.appendChild(document.createTextNode(rest));
  }
  row.appendChild(text);
  return row;
}

/** One batch of alerts (oldest first): each list gets its new rows on top, newest first. */
export function applyAlerts(alerts) {
  document.querySelectorAll(ALERT_LISTS).forEach(function (list) {
    const fragment = document.createDocumentFragment();
    const room = pageSize(list);
    for (let i = alerts.length - 1; i >= 0 && fragment.childNodes.length < room; i--) {
      if (alertWants(list, alerts[i])) {
        fragment.appendChild(buildAlertRow(alerts[i], list));
      }
    }
    if (fragment.childNodes.length) {
      list.insertBefore(fragment, list.firstChild);
      dropEmptyNote(list, "alerts");
    }
  });
}
