// A value typed into a slider's number box: Gradio applies it when the box loses focus (its "release" event),
// not on Enter, and sends it unchecked, then clamps the box. Here Enter leaves the box, and a value outside the
// slider's range is clamped before Gradio reads it, with a note beside the control: the box, the slider, the
// figure and the link then agree. A number box with a range (a seed) is clamped the same way when it is left.
const SLIDER_BOX = 'input[type=number][aria-label^="number input for"]';
const RANGED_BOX = 'input[type=number][min][max]';        // a number box with a range (a seed): clamped on leaving
// While the learner types, a value outside a slider's range never reaches Gradio (it would send it on to the
// server, which refuses it with a raw "Value 60 is greater than maximum" toast): the box shows it, leaving clamps it.
const outside = (box) => {
  const value = Number(box.value);
  return box.value !== "" && Number.isFinite(value) && (value < Number(box.min) || value > Number(box.max));
};
document.addEventListener("input", (event) => {
  const box = event.target;
  if (box.matches && box.matches(SLIDER_BOX) && outside(box)) event.stopPropagation();   // a seed box: the server says
}, true);
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
