"""Reader processes that end with their parent: a `consulta serve` killed outright (SIGKILL, an
OOM kill) must not leave its forkserver and workers behind, holding its pipes and memory.

Importing this module in a process asks Linux to kill it when its parent dies
(``prctl(PR_SET_PDEATHSIG, SIGKILL)``); the forkserver imports it as its preload, and each
worker calls ``die_with_parent`` as it starts. Elsewhere (not Linux) it does nothing.
"""

import ctypes
import ctypes.util
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    # No "parent already gone?" check (getppid() == 1): in a container `serve` itself is often
    # PID 1, and the forkserver would then take its living parent for a dead one.
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# Imported as the forkserver's preload (its command line is `-c "from multiprocessing.forkserver
# import main; …"`): the forkserver ends with serve. `serve` itself imports this module before it
# starts any forkserver, and its command line is not `-c`, so it is never asked to.
if sys.argv[:1] == ["-c"] and "multiprocessing.forkserver" in sys.modules:
    die_with_parent()
