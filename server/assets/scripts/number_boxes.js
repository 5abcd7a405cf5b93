// A value typed into a slider's number box: Gradio applies it when the box loses focus (its "release" event),
// not on Enter, and sends it unchecked, then clamps the box. Here Enter leaves the box, and a value outside the
// slider's range is clamped before Gradio reads it, with a note beside the control: the box, the slider, the
// figure and the link then agree. A number box with a range (a seed) is clamped the same way when it is left.
const SLIDER_BOX = 'input[type=number][aria-label^="number input for"]';
const RANGED_BOX = 'input[type=number][min][max]';        // a number box with a range (a seed): clamped on leaving
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
