"""One Chromium per test process (Playwright driving Debian's chromium, never a downloaded browser).

Starting Chromium took a second or two per browser test. The browser is started on first use and
closed when the session ends; each test gets a context of its own (cookies, storage and pages
start empty), so tests stay as independent as with a browser each.
"""

from __future__ import annotations

import shutil
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

_running: dict[str, Any] = {}


def shared_browser() -> Any:
    """This process's Chromium (a playwright Browser), started on first use."""
    assert CHROMIUM is not None, "chromium is not installed (apt-get install chromium); CI installs it"
    browser = _running.get("browser")
    if browser is None or not browser.is_connected():
        from playwright.sync_api import sync_playwright

        if "playwright" not in _running:
            _running["playwright"] = sync_playwright().start()
        browser = _running["playwright"].chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        _running["browser"] = browser
    return browser


def close_shared_browser() -> None:
    """Close the browser and Playwright's driver, if this process started them."""
    browser, driver = _running.pop("browser", None), _running.pop("playwright", None)
    if browser is not None and browser.is_connected():
        browser.close()
    if driver is not None:
        driver.stop()
