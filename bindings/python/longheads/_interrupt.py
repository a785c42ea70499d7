"""Ctrl-C during a long native call.

CPython delivers SIGINT to the main thread, as a KeyboardInterrupt raised when that thread next
runs Python code: during a 20 s prompt evaluation that would be after it. So the main thread
hands its long calls (evaluation, generation steps) to one helper thread and waits; the wait is
where KeyboardInterrupt arrives, within milliseconds, and it becomes a cancel of the context.
Other threads call directly (they never receive KeyboardInterrupt).

A Ctrl-C can also land in the Python code between two waits. The library's own loops
(``generate``, ``Chat.send``) go through :func:`pull_all`, which turns it into a cancel as well;
in a caller's own ``for piece in stream`` loop it raises KeyboardInterrupt there, as any Ctrl-C
in the caller's code does, and the stream keeps its text.
"""

import concurrent.futures
import threading

from ._errors import Error, Status

_lock = threading.Lock()
_executor = None


def _helper():
    global _executor
    with _lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="longheads")
        return _executor


def run(call, cancel):
    """Returns ``(call(), interrupted)``. ``call`` must release the GIL. From the main thread, a
    KeyboardInterrupt while it runs calls ``cancel()`` and the wait goes on (interrupted =
    True); if the call then fails with Status.CANCELLED, KeyboardInterrupt is raised instead."""
    if threading.current_thread() is not threading.main_thread():
        return call(), False
    future = _helper().submit(call)
    interrupted = False
    while True:
        try:
            return future.result(), interrupted
        except KeyboardInterrupt:
            interrupted = True
            cancel()
        except Error as e:
            if interrupted and e.status == Status.CANCELLED:
                raise KeyboardInterrupt() from e
            raise


def pull_all(step, cancel):
    """Calls ``step()`` (through :func:`run`) until it returns False. A KeyboardInterrupt
    anywhere in between, in the wait or in this loop's own code, calls ``cancel()`` and the
    pulling goes on to the generation's end. ``step`` keeps what it produced itself (in the
    helper thread), so an interrupt landing after it returned loses nothing."""
    while True:
        try:
            while run(step, cancel)[0]:
                pass
            return
        except KeyboardInterrupt:
            cancel()
