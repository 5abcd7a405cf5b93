// Every figure, for those who cannot see it: role "img" and a text summary of what it draws now (its title, then
// each trace's name, size and range of values), rebuilt whenever plotly redraws it. And in Gradio's dark theme
// (?__theme=dark or the system's setting) every figure follows: dark paper, light text, dim grid lines; the
// traces' own colours are kept, so a colour scale means the same in both themes.
const DARK = {paper: "#0b0f19", plot: "#111827", text: "#e5e7eb", grid: "#374151"};
const span = (values) => {             // the count and range of the finite numbers in a list or a grid
  let n = 0, low = Infinity, high = -Infinity;
  const visit = (v) => {
    if (Array.isArray(v) || ArrayBuffer.isView(v)) { for (const w of v) visit(w); return; }
    const x = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    if (Number.isFinite(x)) { n += 1; low = Math.min(low, x); high = Math.max(high, x); }
  };
  visit(values);
  const round = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
  return n ? {n, text: `${round(low)} to ${round(high)}`} : null;
};
const summary = (plot) => {
  const layout = plot.layout || {}, title = layout.title && (layout.title.text || layout.title);
  const parts = [`Figure${typeof title === "string" && title ? ": " + title.replace(/<[^>]+>/g, "") : ""}.`];
  const given = (plot.data || []).map((trace) => trace.name);          // plotly names the others "trace 3"
  (plot._fullData || plot.data || []).forEach((trace, i) => {
    if (parts.length > 6 || !(given[i] || trace.z)) return;                // unnamed lines: drawing aids
    const name = given[i] || trace.type, z = span(trace.z), y = span(trace.y), x = span(trace.x);
    if (z) parts.push(`${name}: ${z.n} values from ${z.text}.`);
    else if (y) parts.push(`${name}: ${y.n} points${x ? `, x from ${x.text}` : ""}, y from ${y.text}.`);
  });
  if (layout.meta && typeof layout.meta.summary === "string") parts.push(layout.meta.summary);   // a builder's own words
  return parts.join(" ").slice(0, 600);
};
const darken = (plot) => {
  const full = plot._fullLayout;
  if (!full || full.paper_bgcolor === DARK.paper) return;
  const update = {paper_bgcolor: DARK.paper, plot_bgcolor: DARK.plot, "font.color": DARK.text,
                  "title.font.color": DARK.text, "legend.font.color": DARK.text, "legend.bgcolor": "rgba(0,0,0,0)"};
  for (const key of Object.keys(full)) {
    const axes = /^[xy]axis\d*$/.test(key) ? [key] : /^scene\d*$/.test(key) ? ["xaxis", "yaxis", "zaxis"].map((a) => `${key}.${a}`) : [];
    for (const axis of axes) {
      Object.assign(update, {[`${axis}.gridcolor`]: DARK.grid, [`${axis}.zerolinecolor`]: DARK.grid,
                             [`${axis}.linecolor`]: DARK.grid, [`${axis}.color`]: DARK.text});
    }
  }
  (plot.layout.annotations || []).forEach((a, i) => {
    if (!a.font || !a.font.color || a.font.color === "#1f2937") update[`annotations[${i}].font.color`] = DARK.text;
  });
  window.Plotly.relayout(plot, update);
};
// plotly's own "download as PNG" names the file after the panel and the figure's title, not "newplot.png".
const GREEK = {"η": "eta", "α": "alpha", "β": "beta", "σ": "sigma", "θ": "theta", "ε": "eps", "λ": "lambda",
               "τ": "tau", "∇": "grad", "μ": "mu", "ᾱ": "alpha-bar"};
const fileName = (plot) => {
  const tab = plot.closest('[id^="tab-"]'), layout = plot.layout || {};
  const title = layout.title && (layout.title.text || layout.title);
  const words = `${tab ? tab.id.slice(4) : "figure"} ${typeof title === "string" ? title : ""}`
    .replace(/<[^>]+>/g, " ").replace(/[ηαβσθελτ∇μᾱ]/g, (c) => ` ${GREEK[c]} `)
    .normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  return words.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
};
// A title wider than its figure (a phone, a narrow column) is wrapped at spaces into lines that fit, instead of
// being cut at the figure's edge: the figure's title (with room made above the plot) and its axis titles.
const wrapped = (text, chars) => {
  const lines = [""];
  for (const word of text.split(" ")) {
    const line = lines[lines.length - 1];
    if (line && (line + " " + word).length > chars) lines.push(word); else lines[lines.length - 1] = line ? `${line} ${word}` : word;
  }
  return lines;
};
const fitTitles = (plot) => {
  const full = plot._fullLayout, layout = plot.layout || {};
  if (!full || !window.Plotly) return;
  const update = {};
  const fit = (width, key, text, room) => {          // width: the text's drawn width now; returns lines added
    if (!width || typeof text !== "string" || text.includes("<br>") || room <= 0 || width <= room) return 0;
    const lines = wrapped(text, Math.max(8, Math.floor((text.length * room) / width)));
    update[key] = lines.join("<br>");
    return lines.length - 1;
  };
  const title = layout.title && (typeof layout.title === "string" ? layout.title : layout.title.text);
  const drawn = plot.querySelector(".gtitle");
  const extra = fit(drawn && drawn.getBBox().width, "title.text", title, full.width - 16);
  if (extra) update["margin.t"] = full.margin.t + extra * 1.25 * ((full.title && full.title.font && full.title.font.size) || 17);
  for (const axis of ["xaxis", "yaxis"]) {      // an axis title shrinks first (its lines would run into a legend)
    const given = layout[axis] && layout[axis].title, element = plot.querySelector(`.g-${axis[0]}title text`);
    const text = given && (typeof given === "string" ? given : given.text);
    const room = (axis === "xaxis" ? full._size.w : full._size.h) + 8, size = full[axis]?.title?.font?.size;
    if (!element || !size || typeof text !== "string" || text.includes("<br>")) continue;
    const width = element.getBBox().width;
    if (width <= room) continue;
    const smaller = Math.max(10, Math.floor((size * room) / width));
    update[`${axis}.title.font.size`] = smaller;
    fit((width * smaller) / size, `${axis}.title.text`, text, room);               // still too wide: wrap
  }
  if (Object.keys(update).length) window.Plotly.relayout(plot, update);
};
const describe = (plot) => {
  try { fitTitles(plot); } catch (error) { console.warn("fitting titles", error); }   // never the other figures
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", summary(plot));
  if (plot._context) plot._context.toImageButtonOptions = {format: "png", filename: fileName(plot)};
  if (document.body.classList.contains("dark") && window.Plotly) darken(plot);
};
// Gradio's Plot re-creates its plotly div on every new figure (a {#key} block), and first redraws the old div,
// which is thrown away in the same update: a wasted full draw (0.3-0.5 s for a 3-D surface here). So a redraw of
// an already drawn div waits one frame and is skipped if the div has left the page by then.
// Gradio also calls Plotly.Plots.resize right after each new figure, which relayouts it (a second full draw of a
// 3-D scene: 0.5 s here) even when the figure already has its container's size. That resize waits for the draw
// and is skipped when the sizes agree; a real resize (the window, a phone turned) still goes through.
const patchReact = () => {
  const Plotly = window.Plotly;
  if (!Plotly || Plotly.dleReact) return;
  const react = Plotly.react, resize = Plotly.Plots.resize;
  Plotly.dleReact = react;
  Plotly.react = function (div, data, layout, ...rest) {
    const threeD = layout && Object.keys(layout).some((key) => /^scene\d*$/.test(key));
    if (!div) return react.call(this, div, data, layout, ...rest);
    if (!div._fullLayout && !threeD) return (div.dleDrawn = react.call(this, div, data, layout, ...rest));
    // a drawn div waits a frame (is it still on the page?); a new 3-D figure waits for the flat ones of the same
    // update, which are cheap and carry the numbers: the contour and the formula change first, the 3-D view after
    return (div.dleDrawn = new Promise((resolve) => (div._fullLayout ? requestAnimationFrame : setTimeout)(() => {
      resolve(div.isConnected ? react.call(this, div, data, layout, ...rest) : div);
    })));
  };
  Plotly.Plots.resize = function (div, ...rest) {
    const drawn = div && div.dleDrawn;
    if (!drawn) return resize.call(this, div, ...rest);
    div.dleDrawn = null;                                  // only the resize that follows a new figure is checked
    return Promise.resolve(drawn).then(() => {
      const full = div._fullLayout;
      const fits = full && Math.abs(full.width - div.clientWidth) < 2 && Math.abs(full.height - div.clientHeight) < 2;
      return fits || !div.isConnected ? div : resize.call(this, div, ...rest);
    });
  };
};
if (!window.Plotly) {                  // patched the moment Gradio's plotly module defines it, before its first draw
  let plotly;
  Object.defineProperty(window, "Plotly", {configurable: true, enumerable: true, get: () => plotly,
                                           set: (value) => { plotly = value; patchReact(); }});
}
setInterval(() => {
  patchReact();
  for (const plot of document.querySelectorAll(".js-plotly-plot")) {
    if (!plot.dataset.dleWatched && plot.on) {
      plot.dataset.dleWatched = "1";
      plot.on("plotly_afterplot", () => describe(plot));
    }
    if (!plot.getAttribute("aria-label") || (document.body.classList.contains("dark") && plot._fullLayout &&
        plot._fullLayout.paper_bgcolor !== DARK.paper)) describe(plot);
  }
}, 300);
