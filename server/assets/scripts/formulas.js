// A display formula wider than its panel (large type on a 1024 px projector, a phone) is shrunk to fit, down to
// half its size; what still does not fit scrolls sideways (app.py's CSS) instead of being cut off.
setInterval(() => {
  for (const display of document.querySelectorAll(".dle-formula .katex-display")) {
    const formula = display.querySelector(".katex");
    const room = display.clientWidth;
    if (!formula || room === 0) continue;
    const key = `${formula.textContent}|${room}|${document.querySelector("#dle-root.dle-presenter") ? 1 : 0}`;
    // fitted already, unless the formula was drawn again since (a new .katex without its size: a busy page)
    if (display.dataset.fitted === key && (display.scrollWidth <= room + 1 || formula.style.fontSize)) continue;
    formula.style.fontSize = "";
    const size = parseFloat(getComputedStyle(formula).fontSize), need = display.scrollWidth;
    const scale = Math.max(0.5, (room / need) * 0.97);
    if (need > room) formula.style.fontSize = `${scale * size}px`;
    if (display.scrollWidth <= room || scale === 0.5) display.dataset.fitted = key;   // else measure again

  }
}, 400);
