// Pages link to pages (components/page.nav_html): presenter mode and the theme follow the learner to the next page.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest(".dle-nav a, .dle-panels a, a.dle-card-link");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  window.location.assign(carried(link.getAttribute("href")));
});
