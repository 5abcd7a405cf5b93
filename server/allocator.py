"""Keep the server's resident memory from creeping up under load (glibc on Linux; a no-op elsewhere).

Gradio runs handlers on a pool of worker threads. glibc gives each thread its own malloc arena, and the tensors a
request allocates and frees leave those arenas fragmented: memory that Python and torch have freed stays in the
process. Two calls to glibc fix most of it (bench/load_test.py measures the difference, docs/operations.md, "Reliability"):
- mallopt(M_ARENA_MAX, 2): at most two arenas, so freed memory is reused by the next request instead of sitting in
  another thread's arena;
- malloc_trim(0) every `every_s` seconds: hand the free pages back to the operating system.
"""
import ctypes
import ctypes.util
import logging
import threading

M_ARENA_MAX = -8        # glibc's mallopt parameter number for the arena limit
log = logging.getLogger("deep_learning_explorer")


def _glibc():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def tame_malloc(arenas: int = 2, every_s: float = 30.0) -> bool:
    """Limit the arenas and start a daemon thread that trims the heap; False where there is no glibc."""
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt(M_ARENA_MAX, arenas)

    def trim_forever():
        stop = threading.Event()
        while not stop.wait(every_s):
            libc.malloc_trim(0)

    threading.Thread(target=trim_forever, name="malloc-trim", daemon=True).start()
    log.info("glibc malloc: %d arenas, trimmed every %.0f s", arenas, every_s)
    return True
