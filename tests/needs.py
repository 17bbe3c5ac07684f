"""What a test needs beyond Python, as one decorator each: the marker CI selects by, and a skip that
says what to install when the machine lacks it (`make test` installs everything)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T", bound=Callable[..., object])

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def needs_soffice(test: T) -> T:
    """A test that runs LibreOffice: marked `libreoffice`, skipped without soffice."""
    skip = pytest.mark.skipif(
        SOFFICE is None, reason="LibreOffice (soffice) is not installed; make test installs it"
    )
    return pytest.mark.libreoffice(skip(test))
