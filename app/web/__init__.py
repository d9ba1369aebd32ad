"""The web side of the kiosk: the ``kiosk://`` scheme, the page bridge, the URL filter and the pages.

Only this package and :mod:`app.ui` import QtWebEngine.
"""
