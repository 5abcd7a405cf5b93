// A student's phone (GET /class/student?code=CODE): join under an anonymous id this browser keeps, follow the
// lecturer's stop about once a second, answer (a tap, or a few words), and after the reveal see the model's answer
// and how the room did; on request, the lecturer's panel in a frame that follows each stop (follow me), until the
// student explores on their own. Every text from the room is set with textContent (Class.el, Class.show).
"use strict";

const ID_KEY = "dle-class-student";
const room = {code: "", stop: 0, revealed: false, tallied: "", timer: 0, follow: "off", shown: ""};

function studentId() {
  let id = localStorage.getItem(ID_KEY);
  if (!id || !/^[0-9a-f]{32}$/.test(id)) {            // random, not a login (crypto.randomUUID needs https)
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(ID_KEY, id);
  }
  return id;
}

function askForCode(message) {
  clearInterval(room.timer);
  room.code = "";
  document.getElementById("join-box").hidden = false;
  document.getElementById("stop-box").hidden = true;
  Class.show("status", message || "");
  Class.show("where", "");
}

async function join(code) {
  try {
    const state = await Class.call("join", {code, student: studentId()});
    room.code = state.code;
    history.replaceState(null, "", "?" + Class.query({code: state.code}));   // a reload joins the same room
    document.getElementById("join-box").hidden = true;
    document.getElementById("stop-box").hidden = false;
    Class.show("status", "");
    clearInterval(room.timer);
    room.timer = Class.every(1000, poll);
  } catch (error) {
    askForCode(error.message);
  }
}

async function poll() {
  if (!room.code) return;
  let state;
  try {
    state = await Class.call("state?" + Class.query({code: room.code, student: studentId()}));
  } catch (error) {
    if (/No open room/.test(error.message)) askForCode("The class has ended (or its code changed): " + error.message);
    else Class.show("status", error.message);
    return;
  }
  Class.show("status", "");
  await render(state);
}

async function render(state) {
  const moved = state.stop !== room.stop;
  room.stop = state.stop;
  Class.show("room", `Class ${state.code}`);
  Class.show("where", state.stops ? `stop ${state.stop} of ${state.stops}` : `stop ${state.stop}`);
  Class.show("stop-title", state.title);
  Class.show("question", state.question || "No question at this stop: look at the lecturer's screen.");
  if (moved) drawChoices(state.choices);
  document.getElementById("free-form").hidden = !state.question || state.choices.length > 0;
  for (const button of document.querySelectorAll("#choices button")) {
    button.classList.toggle("chosen", Class.normal(button.textContent) === state.my_answer);
    button.disabled = state.revealed;
  }
  document.querySelector("#free-form button").disabled = state.revealed;
  document.getElementById("free-input").disabled = state.revealed;
  showMine(state.my_answer, state.revealed, Boolean(state.question));
  const panel = document.getElementById("panel-link");
  panel.href = Class.panelHref(state.tour, state.stop, state.revealed);
  follow(panel.href, state.stop);
  await showReveal(state);
}

// Follow me: "off" (no panel here), "on" (the frame shows the lecturer's stop, with its reveal, and moves with it),
// "explore" (the frame stays where the student took it; "follow again" brings it back to the lecturer's stop).
function follow(href, stop) {
  const frame = document.getElementById("follow-frame");
  const button = document.getElementById("follow");
  frame.hidden = room.follow === "off";
  button.textContent = {off: "follow the lecturer's panel here", on: "explore on my own",
                        explore: "follow the lecturer again"}[room.follow];
  const note = document.getElementById("follow-note");
  note.hidden = room.follow !== "explore";
  note.textContent = room.follow === "explore" ? `Exploring on your own: the lecturer is at stop ${stop}.` : "";
  if (room.follow === "on" && room.shown !== href) {
    room.shown = href;
    frame.src = href;
  }
}

function toggleFollow() {
  room.follow = room.follow === "on" ? "explore" : "on";
  if (room.follow === "on") room.shown = "";                      // back with the lecturer: their settings again
  follow(document.getElementById("panel-link").href, room.stop);
}

function drawChoices(choices) {
  const box = document.getElementById("choices");
  box.replaceChildren(...choices.map((choice) => {
    const button = Class.el("button", "", choice);
    button.type = "button";
    button.addEventListener("click", () => send(choice));
    return button;
  }));
  document.getElementById("free-input").value = "";
}

function showMine(answer, revealed, asked) {
  const line = document.getElementById("mine");
  if (!asked) line.replaceChildren();
  else if (!answer) line.replaceChildren(revealed ? "You did not answer this one." : "Tap an answer (you can change it).");
  else line.replaceChildren("your answer: ", Class.el("b", "", answer),
                            revealed ? "" : " (you can change it until the reveal)");
}

async function showReveal(state) {
  const box = document.getElementById("reveal-box");
  box.hidden = !state.revealed || !state.question;
  const key = `${state.stop}:${state.revealed}`;
  if (box.hidden || room.tallied === key) return;     // after the reveal the tally no longer changes
  const {rows} = await Class.call("tally?" + Class.query({code: room.code, stop: state.stop}));
  room.tallied = key;
  const model = state.model_answer;
  const hit = model && Class.normal(model) === state.my_answer;
  document.getElementById("model").replaceChildren(...(model ?
    ["The model's answer: ", Class.el("b", "", model), hit ? " · you predicted it ✓" : ""] :
    ["Revealed: see the lecturer's screen."]));
  Class.show("share", Class.shareLine(rows, model));
  Class.bars(document.getElementById("bars"), rows, {choices: state.choices, model, mine: state.my_answer});
}

async function send(text) {
  try {
    const {answer} = await Class.call("answer", {code: room.code, student: studentId(), answer: text, stop: room.stop});
    for (const button of document.querySelectorAll("#choices button")) {
      button.classList.toggle("chosen", Class.normal(button.textContent) === answer);
    }
    showMine(answer, false, true);
    Class.show("status", "");
    return true;
  } catch (error) {
    Class.show("status", error.message);
    return false;
  }
}

document.getElementById("follow").addEventListener("click", toggleFollow);
document.getElementById("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  join(document.getElementById("code-input").value);
});
document.getElementById("free-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("free-input");
  if (input.value.trim()) send(input.value).then((sent) => { if (sent) input.value = ""; });
});

const linked = new URLSearchParams(location.search).get("code");
if (linked) join(linked);
else askForCode("");
