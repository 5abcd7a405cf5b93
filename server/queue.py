"""How events share the server's cores (docs/operations.md, "Reliability").

Every event that runs a language-model or diffusion forward pass, or a whole loss-landscape grid, joins one queue
group that runs ONE at a time: torch already uses both cores for one call, and two at once only fight over them.
The light panels (neuron, toy descent, digits, backprop, GloVe) keep their own per-event queues (app.py:
default_concurrency_limit), so a crowd of heavy requests never stands in front of them. An explorer passes it to
an event: `button.click(..., **HEAVY)`.
"""

HEAVY = dict(concurrency_id="heavy-models", concurrency_limit=1)
