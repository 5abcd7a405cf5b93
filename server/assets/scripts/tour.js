// The guided tour (components/tour.py): its links open the next stop's page, in its state, as a deep link does. Keys drive the same links: → or space next, ← previous, r reveal, f full screen; never while
// the learner types in a box. The stop's focus element is scrolled into view once the panel has drawn.
// A key belongs to the element that has it: a text box, a button (space presses it), a link, a slider, a tab.
const busy = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "BUTTON", "A", "SUMMARY"].includes(el.tagName) ||
  ["button", "tab", "slider", "option", "textbox", "combobox"].includes(el.getAttribute && el.getAttribute("role")));
const follow = (selector) => {
  const link = document.querySelector(`#tour ${selector}`);
  if (link) window.location.assign(carried(link.getAttribute("href")));
  return Boolean(link);
};
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || busy(event.target) || !document.querySelector("#tour .tour-bar")) return;
  const keys = {"ArrowRight": ".tour-next", " ": ".tour-next", "ArrowLeft": ".tour-prev", "r": ".tour-reveal"};
  if (event.key in keys) {
    if (follow(keys[event.key])) event.preventDefault();
  } else if (event.key === "f") {
    if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen();
  }
});
document.addEventListener("click", (event) => {        // Markdown links may open a new tab: a stop stays here
  const link = event.target.closest && event.target.closest("#tour a.tour-nav");
  if (link) { event.preventDefault(); window.location.assign(carried(link.getAttribute("href"))); }
});
// The next stop's page is prerendered (Chromium's speculation rules; other browsers just load it on the key), once
// this stop has had time to draw, so that the step shows a page already drawn, with no reload flash.
let prerendered = "";
setInterval(() => {
  const next = document.querySelector("#tour .tour-next");
  if (!next || document.prerendering || !(HTMLScriptElement.supports && HTMLScriptElement.supports("speculationrules"))) return;
  const url = carried(next.getAttribute("href"));
  if (url === prerendered) return;
  prerendered = url;
  document.querySelectorAll("script.dle-next-stop").forEach((old) => old.remove());
  const rules = document.createElement("script");
  rules.type = "speculationrules";
  rules.className = "dle-next-stop";
  rules.textContent = JSON.stringify({prerender: [{source: "list", urls: [url]}]});
  document.head.append(rules);
}, 2000);
// The stop's focus element is scrolled to as soon as it is laid out, at once, and held in place while the panel
// draws around it (for 8 s, until the learner scrolls, clicks or types): the stop opens where it ends, once.
let focused = "", holdUntil = 0;
for (const kind of ["wheel", "touchmove", "keydown", "mousedown"]) {
  window.addEventListener(kind, () => { holdUntil = 0; }, {passive: true, capture: true});
}
const place = (target) => {   // its top a little below the pinned bar (as it grows while drawing, only down)
  const box = target.getBoundingClientRect(), top = 40 + window.innerHeight * 0.1;
  if (Math.abs(box.top - top) > 2) window.scrollBy(0, box.top - top);
};
const hold = (target) => {
  if (performance.now() > holdUntil || !target.isConnected) return;
  place(target);
  requestAnimationFrame(() => hold(target));
};
setInterval(() => {
  const bar = document.querySelector("#tour .tour-bar");
  const root = document.querySelector("#dle-root");
  if (root) root.classList.toggle("dle-tour-away", Boolean(bar) && bar.getBoundingClientRect().bottom < 0);
  const target = bar && bar.dataset.focus && document.getElementById(bar.dataset.focus);
  if (target && focused !== bar.dataset.focus && target.offsetParent !== null) {
    focused = bar.dataset.focus;
    holdUntil = performance.now() + 8000;
    hold(target);
  }
}, 100);
// Class mode: the lecturer's console (server/assets/class/lecturer.js) announces its moves (▶, ◀, reveal) to this
// browser's other tabs; a tab on the same tour follows them, so the projector's panel changes and reveals with the
// console. Only the console's own moves are sent: opening a console never moves a tab.
if ("BroadcastChannel" in window) {
  new BroadcastChannel("dle-class").onmessage = ({data}) => {
    const here = new URLSearchParams(window.location.search);
    if (!data || !document.querySelector("#tour .tour-bar") || here.get("tour") !== data.tour) return;
    if (here.get("stop") === String(data.stop) && (here.get("reveal") === "1") === Boolean(data.revealed)) return;
    const query = new URLSearchParams({tour: data.tour, stop: String(data.stop), ...(data.revealed ? {reveal: "1"} : {})});
    window.location.assign(carried(`./?${query}`));
  };
}
