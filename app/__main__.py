"""``python -m app``: the kiosk's UI process (``cadenas kiosk`` starts it through the launcher)."""

import sys

from app.main import main

sys.exit(main())
