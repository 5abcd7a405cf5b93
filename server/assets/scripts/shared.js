// What several behaviours use: a link with presenter mode and the theme carried to the next page (navigation,
// the tour), and a short note shown beside a control for 6 s (a clamped number box, a refused input).
const carried = (href) => {
  const presenter = document.querySelector("#presenter input[type=checkbox]");
  const theme = new URLSearchParams(window.location.search).get("__theme");
  const url = new URL(href, window.location.href);
  if (presenter && presenter.checked) url.searchParams.set("presenter", "1");
  if (theme) url.searchParams.set("__theme", theme);
  return url.href;
};
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
