"""Windows implementations of the :mod:`lockdown.os` Protocols (ctypes), importable on Linux (kiosk.md K2).

``ctypes`` DLLs are resolved inside constructors, never at import time, so Linux CI can import and test these
modules; constructing one on Linux raises :class:`lockdown.os.UnsupportedPlatformError`. Import this package
lazily, inside the ``win32`` branch of the composition root.
"""
