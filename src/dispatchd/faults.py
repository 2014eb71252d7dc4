"""Named crash points, so tests can kill the process at the worst instant on purpose.

``DISPATCHD_CRASH_AT=<name>`` makes the process SIGKILL itself when it reaches that point;
unset (always, in production) a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_TARGET = os.environ.get("DISPATCHD_CRASH_AT", "")


def crash_point(name: str) -> None:
    """Die here, without cleanup, if this is the configured crash point."""
    if _TARGET and name == _TARGET:
        os.kill(os.getpid(), signal.SIGKILL)
