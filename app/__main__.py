"""``python -m app``: the kiosk's UI process (``cadenas kiosk`` starts it through the launcher).

The process ends with ``os._exit`` once :func:`app.main.main` has closed everything (journal on disk,
lockdown reverted, pages and profile deleted): with PySide6 6.12 and QtWebEngine, the interpreter's
final garbage collection can abort on a reference-count error inside the bindings ("bool_dealloc",
seen after a full course), which would turn a clean end (status 0) into a crash the launcher restarts.
"""

import logging
import os
import sys

from app.main import main

status = main()
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
