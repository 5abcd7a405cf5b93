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
  // Pages link to pages (components/page.nav_html): presenter mode and the theme follow the learner to the next page.
  const carried = (href) => {
    const presenter = document.querySelector("#presenter input[type=checkbox]");
    const theme = new URLSearchParams(window.location.search).get("__theme");
    const url = new URL(href, window.location.href);
    if (presenter && presenter.checked) url.searchParams.set("presenter", "1");
    if (theme) url.searchParams.set("__theme", theme);
    return url.href;
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".dle-nav a, .dle-panels a, a.dle-card-link");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    window.location.assign(carried(link.getAttribute("href")));
  });
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
  // figure and the link then agree. A number box with a range (a seed) is clamped the same way when it is left.
  const SLIDER_BOX = 'input[type=number][aria-label^="number input for"]';
  const RANGED_BOX = 'input[type=number][min][max]';        // a number box with a range (a seed): clamped on leaving
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
    if (!box.matches || !(box.matches(SLIDER_BOX) || box.matches(RANGED_BOX)) || box.value === "") return;
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
      // fitted already, unless the formula was drawn again since (a new .katex without its size: a busy page)
      if (display.dataset.fitted === key && (display.scrollWidth <= room + 1 || formula.style.fontSize)) continue;
      formula.style.fontSize = "";
      const size = parseFloat(getComputedStyle(formula).fontSize), need = display.scrollWidth;
      const scale = Math.max(0.5, (room / need) * 0.97);
      if (need > room) formula.style.fontSize = `${scale * size}px`;
      if (display.scrollWidth <= room || scale === 0.5) display.dataset.fitted = key;   // else measure again

    }
  }, 400);

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

  // A refused input: the toast says what was wrong (components/errors.keeps_view); the same words also appear next
  // to the control that caused it: the input control the message starts with ("seed must be …" beside "seed (…)",
  // "Type a prompt …" beside "prompt (…)"; the longest name wins), else the one the learner changed in the last 5 s
  // (an emptied prompt is not the fault of the w slider that was moved next).
  const labelName = (text) => text.split(/[(,:]/)[0].trim().toLowerCase().replace(/s$/, "");
  const escaped = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const names = (message, name) => name.length >= 3 && new RegExp(`^(type (a|an|the) )?${escaped(name)}s?(\\W|$)`).test(message);
  const takesInput = (label) => {
    const block = label.closest(".block");
    return Boolean(block && block.querySelector("input, textarea, select"));
  };
  const seenToasts = new WeakSet();
  let lastEdited = null;
  for (const kind of ["input", "change"]) {
    document.addEventListener(kind, (event) => {       // the block's id too: an upload's file input is replaced
      const block = event.target.closest && event.target.closest(".block[id]");     // once the file is read
      lastEdited = {element: event.target, id: block ? block.id : null, at: Date.now()};
    }, true);
  }
  setInterval(() => {
    for (const text of document.querySelectorAll('[data-testid="toast-text"]')) {   // one per message (a toast
      if (seenToasts.has(text)) continue;                                            // groups those of a kind)
      seenToasts.add(text);
      const message = text.textContent.trim(), lower = message.toLowerCase();
      let named = null, length = 0;
      for (const label of document.querySelectorAll('[data-testid="block-info"]')) {
        const name = labelName(label.textContent);
        if (label.offsetParent !== null && name.length > length && names(lower, name) && takesInput(label)) {
          named = label; length = name.length;
        }
      }
      const recent = lastEdited && Date.now() - lastEdited.at < 5000;
      let edited = recent && lastEdited.element.isConnected && (lastEdited.element.closest(".block") || lastEdited.element);
      if (recent && (!edited || edited.offsetParent === null) && lastEdited.id) edited = document.getElementById(lastEdited.id);
      const best = named || (edited && edited.offsetParent !== null ? edited : null);
      if (best) note(best, message);
    }
  }, 300);
}
