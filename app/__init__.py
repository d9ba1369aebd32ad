"""The Cadenas kiosk: the Qt application candidates take the test in (issue 6).

``app`` is the only package that imports Qt, and only its widget and composition modules do so:
``app.sync`` (answer journal, sync client, device key) is plain Python that runs on a worker
thread and is tested without a screen.
"""
