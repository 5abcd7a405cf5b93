() => {
  // Presenter mode: a class on the root that follows the checkbox. It is set here, in the page, because a
  // server-side update of the root column would re-render every panel.
  // (The address bar is deliberately NOT rewritten to follow the panel's link: plotly refers to its gradients
  // and clip paths through the page's full URL, so history.replaceState breaks every figure already drawn.
  // The "link to this view" box carries the URL instead.)
  setInterval(() => {
    const root = document.querySelector("#dle-root");
    const presenter = document.querySelector("#presenter input[type=checkbox]");
    if (root && presenter && root.classList.contains("dle-presenter") !== presenter.checked) {
      root.classList.toggle("dle-presenter", presenter.checked);
    }
  }, 250);
  // The guided tour (components/tour.py): its links reload the page into another stop, through the same restore
  // as a deep link. Keys drive the same links: → or space next, ← previous, r reveal, f full screen; never while
  // the learner types in a box. The stop's focus element is scrolled into view once the panel has drawn.
  // A key belongs to the element that has it: a text box, a button (space presses it), a link, a slider, a tab.
  const busy = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "BUTTON", "A", "SUMMARY"].includes(el.tagName) ||
    ["button", "tab", "slider", "option", "textbox", "combobox"].includes(el.getAttribute && el.getAttribute("role")));
  const follow = (selector) => {
    const link = document.querySelector(`#tour ${selector}`);
    if (link) window.location.assign(link.getAttribute("href"));
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
    if (link) { event.preventDefault(); window.location.assign(link.getAttribute("href")); }
  });
  let focused = "";
  setInterval(() => {
    const bar = document.querySelector("#tour .tour-bar");
    const root = document.querySelector("#dle-root");
    if (root) root.classList.toggle("dle-tour-away", Boolean(bar) && bar.getBoundingClientRect().bottom < 0);
    const target = bar && bar.dataset.focus && document.getElementById(bar.dataset.focus);
    if (target && focused !== bar.dataset.focus && target.offsetParent !== null) {
      focused = bar.dataset.focus;
      setTimeout(() => target.scrollIntoView({behavior: "smooth", block: "center"}), 1500);
    }
  }, 500);
  // A value typed into a slider's number box: Gradio applies it when the box loses focus (its "release" event),
  // not on Enter, and sends it unchecked, then clamps the box. Here Enter leaves the box, and a value outside the
  // slider's range is clamped before Gradio reads it, with a note beside the control: the box, the slider, the
  // figure and the link then agree.
  const SLIDER_BOX = 'input[type=number][aria-label^="number input for"]';
  const note = (box, text) => {
    const block = box.closest(".block") || box.parentElement;
    let shown = block.querySelector(".dle-clamped");
    if (!shown) {
      shown = document.createElement("div");
      shown.className = "dle-clamped";
      block.appendChild(shown);
    }
    shown.textContent = text;
    clearTimeout(shown.timer);
    shown.timer = setTimeout(() => shown.remove(), 6000);
  };
  document.addEventListener("blur", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches(SLIDER_BOX) || box.value === "") return;
    const value = Number(box.value), low = Number(box.min), high = Number(box.max);
    if (Number.isFinite(value) && (value < low || value > high)) {
      const clamped = Math.min(Math.max(value, low), high);
      note(box, `${value} is outside ${low} … ${high}: set to ${clamped}.`);
      box.value = String(clamped);
      box.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches && event.target.matches(SLIDER_BOX)) {
      event.preventDefault();
      event.target.blur();
    }
  }, true);
  // A display formula wider than its panel (large type on a 1024 px projector, a phone) is shrunk to fit, down to
  // half its size; what still does not fit scrolls sideways (app.py's CSS) instead of being cut off.
  setInterval(() => {
    for (const display of document.querySelectorAll(".dle-formula .katex-display")) {
      const formula = display.querySelector(".katex");
      const room = display.clientWidth;
      if (!formula || room === 0) continue;
      const key = `${formula.textContent}|${room}|${document.querySelector("#dle-root.dle-presenter") ? 1 : 0}`;
      if (display.dataset.fitted === key) continue;
      formula.style.fontSize = "";
      const size = parseFloat(getComputedStyle(formula).fontSize), need = display.scrollWidth;
      const scale = Math.max(0.5, (room / need) * 0.97);
      if (need > room) formula.style.fontSize = `${scale * size}px`;
      if (display.scrollWidth <= room || scale === 0.5) display.dataset.fitted = key;   // else measure again

    }
  }, 400);
}
