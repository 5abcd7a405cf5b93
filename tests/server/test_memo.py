"""shared_cache: identical concurrent calls run the computation once (single flight), the size stays bounded, and a
failure is not cached."""
import threading
import time

import pytest

from server.memo import shared_cache


def test_a_class_asking_at_once_gets_one_computation():
    runs = []

    @shared_cache(maxsize=4)
    def slow(x):
        runs.append(x)
        time.sleep(0.3)                                    # long enough for every thread to arrive meanwhile
        return x * 2

    results, start = [], threading.Barrier(10)

    def student():
        start.wait()
        results.append(slow(21))

    threads = [threading.Thread(target=student) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 10 and runs == [21]
    info = slow.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (9, 1, 4, 1)


def test_different_arguments_compute_separately_and_the_oldest_leaves_first():
    runs = []

    @shared_cache(maxsize=2)
    def square(x):
        runs.append(x)
        return x * x

    assert [square(1), square(2), square(1), square(3), square(2)] == [1, 4, 1, 9, 4]
    assert runs == [1, 2, 3, 2]                            # 2 was the least recently used when 3 came in
    assert square.cache_info().currsize == 2
    square.cache_clear()
    assert square.cache_info().currsize == 0


def test_a_failure_is_not_cached_and_the_next_call_tries_again():
    calls = []

    @shared_cache(maxsize=2)
    def flaky(x):
        calls.append(x)
        if len(calls) == 1:
            raise ValueError("first time fails")
        return x

    with pytest.raises(ValueError):
        flaky(5)
    assert flaky(5) == 5 and calls == [5, 5]


def test_an_unbounded_cache_is_refused():
    with pytest.raises(ValueError, match="bounded"):
        shared_cache(maxsize=None)
