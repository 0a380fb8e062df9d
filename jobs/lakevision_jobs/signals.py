"""SIGTERM / SIGINT handling: mark the run cancelled at once and exit within a few seconds.

The app cancels local runs by signal and expects the state to change within 5 s. The handler
records the request and writes status.json phase "cancelled" immediately; the training loop
notices the flag between steps, saves `last.pt` (so the run can be resumed) and exits. A watchdog
ends the process after `grace` seconds (4.5) if a long step or save is still running; `last.pt`
from the latest evaluation is then what --resume uses.
"""

import os
import signal
import threading


class _Stop:
    def __init__(self):
        self.requested = False
        self.signame = None
        self._main_pid = None
        self._on_request = None
        self.grace = 4.5

    def install(self, on_request=None, grace=4.5):
        """Install handlers in the main process; DataLoader workers exit quietly instead."""
        self._main_pid = os.getpid()
        self._on_request = on_request
        self.grace = grace
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        if os.getpid() != self._main_pid:  # a forked DataLoader worker
            os._exit(0)
        if self.requested:
            return
        self.requested = True
        self.signame = signal.Signals(signum).name
        code = 128 + signum
        t = threading.Timer(self.grace, lambda: os._exit(code))
        t.daemon = True
        t.start()
        if self._on_request is not None:
            try:
                self._on_request(self.signame)
            except Exception:
                pass

    @property
    def exit_code(self):
        return 128 + getattr(signal, self.signame or "SIGTERM").value


STOP = _Stop()
