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
