"""Reader processes that end with their parent: a `consulta serve` killed outright (SIGKILL, an
OOM kill) must not leave its forkserver and workers behind, holding its pipes and memory.

Importing this module in a process asks Linux to kill it when its parent dies
(``prctl(PR_SET_PDEATHSIG, SIGKILL)``); the forkserver imports it as its preload, and each
worker calls ``die_with_parent`` as it starts. Elsewhere (not Linux) it does nothing.
"""

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


if __name__ != "__main__" and "multiprocessing.forkserver" in sys.modules:
    die_with_parent()  # imported as the forkserver's preload: the forkserver ends with serve
