"""Linux/X11 implementations of the :mod:`lockdown.os` Protocols, standard library only (kiosk.md K38).

What Linux can do without Qt: the process table and the remote/VM signals from ``/proc`` and ``/sys``, and the
no-op mechanisms that report "unsupported". The Qt-based ones (displays, clipboard) live in ``app.platform``.
Import this package lazily, inside the platform branch of the composition root.
"""
