"""Lockdown: the kiosk's URL, key, process and display policy, and the OS mechanisms behind it.

Decisions are pure functions (``policy``); operating-system mechanisms sit behind narrow Protocols
(``windows/``, ``x11/``) and are imported lazily. Standard library only. Errors derive from
:class:`lockdown.errors.LockdownError`.
"""
