// The lecturer's console (GET /class/lecturer?tour=NAME&stop=N): start a class, then keep its code and secret in
// the address's fragment (#code=...&secret=...: a fragment never reaches the server, and a reload keeps the
// console). Shows the code, the join link and its QR code for the back row, the stop's question, the room's answers
// as bars updated about once a second, and the controls: ◀ / ▶, reveal (the tour's answer), the stop's panel, the
// results, close. Answers are set with textContent (Class.el, Class.show): a student's "<script>" is shown as text.
"use strict";

const asked = new URLSearchParams(location.search);
const room = {code: "", secret: "", stop: 1, stops: 0, timer: 0};

function fromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  room.code = fragment.get("code") || "";
  room.secret = fragment.get("secret") || "";
  return Boolean(room.code && room.secret);
}

function showStart(message) {
  clearInterval(room.timer);
  document.getElementById("start-box").hidden = false;
  document.getElementById("console").hidden = true;
  Class.show("start-tour", asked.get("tour") || "series");
  Class.show("start-stop", asked.get("stop") || "1");
  Class.show("status", message || "");
}

async function start() {
  try {
    const {code, secret} = await Class.call("open", {tour: asked.get("tour") || "series"});
    const stop = Number(asked.get("stop") || 1);
    if (stop > 1) await Class.call("go", {code, secret, stop});
    location.hash = Class.query({code, secret});
    fromFragment();
    showConsole();
  } catch (error) {
    Class.show("status", error.message);
  }
}

function showConsole() {
  document.getElementById("start-box").hidden = true;
  document.getElementById("console").hidden = false;
  const link = new URL("../?" + Class.query({join: room.code}), location.href).href;
  Class.show("code", room.code);
  const [host, path] = link.replace(/^https?:\/\//, "").split(/(?=\/\?)/);   // one line each, never cut inside
  document.getElementById("join-link").replaceChildren(Class.el("span", "", host), Class.el("span", "", path));
  document.getElementById("qr").src = "qr.svg?" + Class.query({code: room.code});
  document.getElementById("results").onclick = download;
  clearInterval(room.timer);
  room.timer = Class.every(1000, poll);
}

// The results CSV, fetched with the secret in a header, then saved from memory (a link would put it in the address).
async function download(event) {
  event.preventDefault();
  try {
    const response = await Class.fetched("results.csv?" + Class.query({code: room.code}), undefined, room.secret);
    if (!response.ok) throw new Error((await response.json().catch(() => ({}))).detail || "No results.");
    const saved = Class.el("a");
    saved.href = URL.createObjectURL(await response.blob());
    saved.download = "class-results.csv";
    saved.click();
    setTimeout(() => URL.revokeObjectURL(saved.href), 10000);
  } catch (error) {
    Class.show("status", error.message);
  }
}

// Every question the room answered, in one page: the bars, the model's answer marked and the share that predicted it.
async function summary() {
  try {
    const {stops} = await Class.call("summary?" + Class.query({code: room.code}), undefined, room.secret);
    const blocks = stops.map((item) => {
      const block = Class.el("article", "summary-stop");
      const bars = Class.el("div", "bars");
      Class.bars(bars, item.rows, {choices: item.choices, model: item.answer});
      const line = Class.shareLine(item.rows, item.answer);
      block.append(Class.el("h3", "", `stop ${item.stop} · ${item.title}`),
                   Class.el("p", "summary-question", item.question), bars,
                   Class.el("p", line ? "share" : "hint", line || "The model's answer is on the stop's panel."));
      return block;
    });
    document.getElementById("summary-list").replaceChildren(
      ...(blocks.length ? blocks : [Class.el("p", "", "No answers yet.")]));
    const section = document.getElementById("summary");
    section.hidden = false;
    section.scrollIntoView({behavior: "smooth"});
  } catch (error) {
    Class.show("status", error.message);
  }
}

async function poll() {
  try {
    const state = await Class.call("state?" + Class.query({code: room.code}));
    const {rows} = await Class.call("tally?" + Class.query({code: room.code, stop: state.stop}), undefined, room.secret);
    render(state, rows);
    Class.show("status", "");
  } catch (error) {
    if (/No open room/.test(error.message)) showStart(error.message);
    else Class.show("status", error.message);
  }
}

function render(state, rows) {
  room.stop = state.stop;
  room.stops = state.stops;
  Class.show("where", `stop ${state.stop} of ${state.stops || "?"}` + (state.tour_title ? ` · ${state.tour_title}` : ""));
  Class.show("title", state.title);
  Class.show("question", state.question || "No question at this stop.");
  Class.show("students", `${state.students} ${state.students === 1 ? "student" : "students"} joined`);
  Class.show("count", state.question ? `${state.answered} of ${state.students} answered` : "");
  Class.bars(document.getElementById("bars"), rows, {choices: state.choices, model: state.model_answer});
  document.getElementById("bars").hidden = document.getElementById("hide-bars").checked && !state.revealed;
  Class.show("share", state.revealed ? Class.shareLine(rows, state.model_answer) ||
                                       "Revealed: the panel shows the answer." : "");
  document.getElementById("prev").disabled = state.stop <= 1;
  document.getElementById("next").disabled = Boolean(state.stops) && state.stop >= state.stops;
  const reveal = document.getElementById("reveal");
  reveal.disabled = state.revealed || !state.question;
  reveal.textContent = state.revealed ? "revealed" : "reveal";
  document.getElementById("panel-link").href = Class.panelHref(state.tour, state.stop, state.revealed);
}

// The console's moves, announced to this browser's tour tabs (server/assets/scripts/tour.js follows them).
const moves = "BroadcastChannel" in window ? new BroadcastChannel("dle-class") : null;

async function act(route, extra) {
  try {
    const state = await Class.call(route, {code: room.code, secret: room.secret, ...extra});
    room.stop = state.stop;
    if (moves) moves.postMessage({tour: state.tour, stop: state.stop, revealed: state.revealed});
    await poll();
  } catch (error) {
    Class.show("status", error.message);
  }
}

async function closeClass() {
  if (!confirm(`Close the class ${room.code}? Its answers are gone once closed (take the results first).`)) return;
  try {
    await Class.call("close", {code: room.code, secret: room.secret});
    history.replaceState(null, "", location.pathname + location.search);
    showStart(`The class ${room.code} is closed.`);
  } catch (error) {
    Class.show("status", error.message);
  }
}

document.getElementById("start").addEventListener("click", start);
document.getElementById("prev").addEventListener("click", () => act("go", {stop: room.stop - 1}));
document.getElementById("next").addEventListener("click", () => act("go", {stop: room.stop + 1}));
document.getElementById("reveal").addEventListener("click", () => act("reveal", {}));
document.getElementById("close").addEventListener("click", closeClass);
document.getElementById("summary-button").addEventListener("click", summary);

if (fromFragment()) showConsole();
else showStart("");
