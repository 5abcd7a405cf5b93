"""A bounded cache for deterministic computations that many users ask for at once.

When a lecturer puts a link on the screen, a whole class opens the same view within a minute: the same prompt, the
same layer. functools.lru_cache would compute it once per request that arrives before the first one finishes;
`shared_cache` computes it once, and the identical requests that arrive meanwhile wait for that one computation
(single flight) and share its result. Bounded (least recently used out), like every cache in the app.
"""
import functools
import threading
from collections import OrderedDict, namedtuple

CacheInfo = namedtuple("CacheInfo", "hits misses maxsize currsize")


def shared_cache(maxsize: int):
    """Decorator: fn(*args) cached by its (hashable) arguments, at most maxsize results, one computation in flight
    per key. Exposes cache_info() and cache_clear() as functools.lru_cache does."""
    if not isinstance(maxsize, int) or maxsize < 1:
        raise ValueError("maxsize must be a whole number >= 1: every cache in the app is bounded.")

    def decorate(fn):
        results: OrderedDict = OrderedDict()
        in_flight: dict = {}                       # key -> threading.Event, set when its computation ends
        lock = threading.Lock()
        counts = {"hits": 0, "misses": 0}

        @functools.wraps(fn)
        def cached(*args):
            while True:
                with lock:
                    if args in results:
                        results.move_to_end(args)
                        counts["hits"] += 1
                        return results[args]
                    done = in_flight.get(args)
                    if done is None:               # nobody computes it: this call will
                        done = in_flight[args] = threading.Event()
                        counts["misses"] += 1
                        break
                done.wait()                        # wait for the one in flight, then read its result (or, if it
                                                   # failed, compute it here: the loop starts over)
            try:
                value = fn(*args)
                with lock:
                    results[args] = value
                    while len(results) > maxsize:
                        results.popitem(last=False)
                return value
            finally:
                with lock:
                    in_flight.pop(args).set()

        def cache_info() -> CacheInfo:
            with lock:
                return CacheInfo(counts["hits"], counts["misses"], maxsize, len(results))

        def cache_clear() -> None:
            with lock:
                results.clear()
                counts.update(hits=0, misses=0)

        cached.cache_info, cached.cache_clear = cache_info, cache_clear
        return cached
    return decorate
