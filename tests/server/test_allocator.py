"""server/allocator.py: on glibc (this machine) the arena limit is set and the trimming thread runs."""
import threading

from server.allocator import _glibc, tame_malloc


def test_glibc_is_tamed_here():
    assert _glibc() is not None                               # Debian's glibc: the mitigation applies
    assert tame_malloc(arenas=2, every_s=3600) is True
    assert any(thread.name == "malloc-trim" and thread.daemon for thread in threading.enumerate())
