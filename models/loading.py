"""One lock for every model the app builds or loads, in whatever thread.

transformers' and diffusers' from_pretrained change process-wide state while they build a model: transformers 5
replaces PreTrainedModel.tie_weights and init_weights and torch.linspace, and sets the default dtype; diffusers
builds inside accelerate's init_empty_weights, which replaces nn.Module.register_parameter. Each puts back what it
found, so two loads in two threads (the warm-up thread and a visitor's first request) can leave a patch in place for
good: the app once built SmolLM2 with tie_weights still disabled ("lm_head.weight MISSING", then "Cannot copy out of
meta tensor"), and any model built meanwhile in a third thread gets no initial weights or meta ones. So every cached
loader, and every model a panel builds while the app runs, takes this lock: one at a time. It is re-entrant, since a
loader may call another.
"""
import threading

LOAD_LOCK = threading.RLock()
