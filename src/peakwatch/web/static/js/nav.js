/* peakwatch navigation: on a narrow screen the tab bar scrolls sideways; the current section's
 * tab is scrolled into the bar's view (the page itself does not move). */

/** Scrolls the tab bar so the highlighted tab is visible. */
export function showCurrentTab() {
  const bar = document.querySelector(".site-nav ul");
  const tab = bar ? bar.querySelector('a[aria-current="page"]') : null;
  if (!tab || bar.scrollWidth <= bar.clientWidth) {
    return;
  }
  const box = tab.getBoundingClientRect();
  const frame = bar.getBoundingClientRect();
  if (box.left < frame.left || box.right > frame.right) {
    const left = box.left - frame.left + bar.scrollLeft;
    bar.scrollLeft = Math.max(0, left - (bar.clientWidth - box.width) / 2);
  }
}
