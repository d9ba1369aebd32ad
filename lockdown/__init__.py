"""Lockdown: the kiosk's URL, key, process and display policy as pure functions (``policy``), and the
operating-system mechanisms behind narrow Protocols (``windows/``, ``x11/``), imported lazily.

Standard library only. Errors derive from :class:`lockdown.errors.LockdownError`.
"""
