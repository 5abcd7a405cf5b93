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
