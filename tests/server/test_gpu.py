"""The ZeroGPU decorator falls back to the identity without the `spaces` package, and uses it when present."""
import sys
import types

from server import gpu


def handler(x):
    return x + 1


def test_without_spaces_the_decorator_returns_the_function_itself(monkeypatch):
    monkeypatch.setattr(gpu.importlib.util, "find_spec", lambda name: None)
    assert gpu.gpu(duration=30)(handler) is handler


def test_with_spaces_the_handler_goes_through_spaces_gpu(monkeypatch):
    calls = []
    fake = types.ModuleType("spaces")

    def GPU(duration):
        calls.append(duration)
        return lambda fn: ("wrapped", fn)

    fake.GPU = GPU
    monkeypatch.setitem(sys.modules, "spaces", fake)
    monkeypatch.setattr(gpu.importlib.util, "find_spec", lambda name: object())
    assert gpu.gpu(duration=90)(handler) == ("wrapped", handler) and calls == [90]
