"""The service hands freed heap memory back after each letter (issue 4: under 200 MB)."""

from __future__ import annotations

import platform

import pytest

from pipeline.inbox.memory import release_free_memory


def test_release_free_memory_is_safe_to_call_any_time():
    release_free_memory()
    release_free_memory()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_blocks_go_back_to_the_system():
    blocks = [bytearray(100_000) for _ in range(300)]  # ~30 MB in malloc's heap, below mmap size
    del blocks[:-1]  # freed, but the last block keeps the heap top from shrinking by itself
    assert release_free_memory() is True
