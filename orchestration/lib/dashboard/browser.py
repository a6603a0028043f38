"""Headless Chromium (Debian's ``chromium``) for the dashboard: the rendered DOM and screenshots.

No extra Python package: ``chromium --headless --dump-dom`` prints the DOM after the page has
loaded, ``--screenshot`` writes a PNG. ``scripts/install_chromium.sh`` installs the browser
(idempotent). Usage by hand::

    python -m orchestration.lib.dashboard.browser screenshot http://127.0.0.1:8050/ dashboard.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.lib.settings import PROJECT_ROOT

INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install_chromium.sh"
# Flags that work on these machines (root, no GPU, no network beyond loopback).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def ensure_chromium() -> Path:
    """Run the idempotent install script when the binary is missing; return the binary."""
    path = chromium_path()
    if not path.exists():
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True, timeout=900)
    if not path.exists():
        raise FileNotFoundError(f"chromium not found at {path} after {INSTALL_SCRIPT}")
    return path


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [str(ensure_chromium()), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(url: str, timeout: float = 90) -> str:
    """The DOM of ``url`` as Chromium rendered it (after the load event)."""
    run = _run(["--dump-dom", url], timeout)
    if run.returncode != 0 or "<html" not in run.stdout:
        raise RuntimeError(
            f"chromium --dump-dom {url}: exit {run.returncode}: {run.stderr[-2000:]}"
        )
    return run.stdout


def screenshot(
    url: str, out: Path | str, width: int = 1400, height: int = 2400, timeout: float = 90
) -> Path:
    out = Path(out).resolve()
    run = _run([f"--window-size={width},{height}", f"--screenshot={out}", url], timeout)
    if run.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"chromium --screenshot {url}: exit {run.returncode}: {run.stderr[-2000:]}"
        )
    return out


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "dom":
        print(dump_dom(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "screenshot":
        h = int(sys.argv[4]) if len(sys.argv) > 4 else 2400
        print(screenshot(sys.argv[2], sys.argv[3], height=h))
    else:
        sys.exit(
            "usage: python -m orchestration.lib.dashboard.browser "
            "dom URL | screenshot URL OUT.png [HEIGHT]"
        )
