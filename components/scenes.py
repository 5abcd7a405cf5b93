"""Scenes from the series: one-click presets that set a panel's controls to an example the videos show, each
labelled with the knowledge-map card it illustrates ("Weights & Bias · the bias slides the threshold")."""
import gradio as gr

LABEL = "Scenes from the series (click one: it sets the controls)"
MAX_LABEL = 60      # Gradio cuts a longer example label with "..."


def scenes(inputs: list, rows: dict[str, list], fn=None, outputs=None, elem_id: str | None = None,
           **event_options) -> gr.Examples:
    """rows: label -> one value per input. With fn and outputs the view is recomputed on click (for panels that
    compute on a button or on release), as an event with `event_options` (e.g. server.queue.HEAVY: the model panels'
    queue slot, so that a click that also fires a control's change event runs after it and meets its cached result);
    without fn, the inputs' own change events redraw the panel."""
    long = [label for label in rows if len(label) > MAX_LABEL]
    if long:
        raise ValueError(f"scene labels longer than {MAX_LABEL} characters are cut in the page: {long}")
    examples = gr.Examples(list(rows.values()), inputs, cache_examples=False, example_labels=list(rows), label=LABEL,
                           elem_id=elem_id, examples_per_page=12)
    if fn is not None:
        examples.load_input_event.then(fn, inputs=inputs, outputs=outputs, api_visibility="undocumented",
                                       **event_options)
    return examples
