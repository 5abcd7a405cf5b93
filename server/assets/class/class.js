// What both class pages share: the room's JSON routes, elements whose words are set as text (never as HTML: an
// answer is whatever a student typed), an answer's normal form (as core/classroom.py groups them), the bars.
"use strict";

const Class = {
  // POST (data given) or GET one of /class/...; the answer's JSON, or an Error carrying the server's words.
  async call(route, data, secret) {
    const response = await Class.fetched(route, data, secret);
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(payload.detail || `The server answered ${response.status}.`);
    return payload;
  },

  // The response itself; a lecturer's GET carries the room's secret in a header, never in the address (addresses
  // end up in proxies' and servers' logs).
  async fetched(route, data, secret) {
    const headers = secret ? {"x-class-secret": secret} : {};
    const options = data === undefined ? {headers} :
      {method: "POST", headers: {...headers, "content-type": "application/json"}, body: JSON.stringify(data)};
    try {
      return await fetch(route, {cache: "no-store", ...options});
    } catch (error) {
      throw new Error("The server cannot be reached: check the connection.");
    }
  },

  query(params) {
    return new URLSearchParams(params).toString();
  },

  // <tag class=...>text</tag>: the text is set with textContent, so "<img onerror=...>" shows as those characters.
  el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  },

  show(id, text) {
    document.getElementById(id).textContent = text;
  },

  normal(text) {
    return String(text || "").normalize("NFC").split(/\s+/).filter(Boolean).join(" ")
      .replace(/^[␣Ġ ]+/, "").toLowerCase();
  },

  percent(part, whole) {
    return whole ? `${Math.round(100 * part / whole)} %` : "0 %";
  },

  // The room's answers as bars into `box`: every choice in the tour's order (0 for those nobody picked), or the
  // free answers most given first (the first `most`, then how many others); the model's answer marked once known.
  bars(box, rows, {choices = [], model = "", mine = "", most = 8} = {}) {
    const counts = new Map(rows.map(([answer, count]) => [answer, count]));
    const listed = choices.length ? choices.map((choice) => [choice, counts.get(Class.normal(choice)) || 0])
                                  : rows.slice(0, most);
    const total = rows.reduce((sum, row) => sum + row[1], 0);
    const top = Math.max(1, ...listed.map((row) => row[1]));
    const drawn = listed.map(([answer, count]) => {
      const bar = Class.el("div", "bar");
      bar.classList.toggle("model", Boolean(model) && Class.normal(answer) === Class.normal(model));
      bar.classList.toggle("mine", Boolean(mine) && Class.normal(answer) === Class.normal(mine));
      const track = Class.el("span", "bar-track");
      const fill = Class.el("span", "bar-fill");
      fill.style.width = `${(100 * count) / top}%`;
      track.append(fill);
      bar.append(Class.el("span", "bar-label", answer), track,
                 Class.el("span", "bar-count", `${count} · ${Class.percent(count, total)}`));
      return bar;
    });
    const others = choices.length ? 0 : rows.length - listed.length;
    if (others > 0) drawn.push(Class.el("p", "bar-more", `and ${others} other answers`));
    box.replaceChildren(...drawn);
    return total;
  },

  // The share of the room that gave the model's answer, in words ("" before the reveal).
  shareLine(rows, model) {
    if (!model) return "";
    const total = rows.reduce((sum, row) => sum + row[1], 0);
    const hit = rows.filter(([answer]) => answer === Class.normal(model)).reduce((sum, row) => sum + row[1], 0);
    return `${Class.percent(hit, total)} of the room predicted the model's answer (${hit} of ${total}).`;
  },

  // Run `step` about once a second, never two at once, and not while the tab is hidden.
  every(ms, step) {
    let busy = false;
    const tick = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try { await step(); } finally { busy = false; }
    };
    tick();
    return setInterval(tick, ms);
  },

  // A stop's panel on the app (a tour link: /?tour=...&stop=N, with its reveal once revealed), from /class/.
  panelHref(tour, stop, revealed) {
    return "../?" + Class.query({tour, stop, ...(revealed ? {reveal: 1} : {})});
  },
};
