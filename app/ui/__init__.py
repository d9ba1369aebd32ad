"""The kiosk's Qt widgets: the main window, the browsing pane, the lock screens."""
