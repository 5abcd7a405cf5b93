"""Hugging Face ZeroGPU support: heavy handlers are wrapped in `spaces.GPU` when the `spaces` package is present
(on a ZeroGPU Space it borrows a GPU for the call), and in an identity decorator everywhere else."""
import importlib.util


def gpu(duration: int = 60):
    """Decorator factory: `@gpu(duration=120)` on a heavy handler."""
    if importlib.util.find_spec("spaces") is None:
        def identity(fn):
            return fn
        return identity
    import spaces  # only on Hugging Face Spaces

    return spaces.GPU(duration=duration)
