"""Allow ``python -m cadenas``."""

from cadenas.cli import main

raise SystemExit(main())
