"""How the app is served: the caches a class shares (memo), the background warm-up of the models, the ZeroGPU
decorator (gpu), the queue heavy events join (queue), linked pages, light sessions, the allocator, and the page's
assets. app.py uses all of it; an explorer only memo, gpu and queue (tests/test_layout.py)."""
