"""The ``cadenas`` command: one entry point that dispatches to each part of the system.

Each subcommand imports its package lazily, so ``cadenas server`` never loads Qt and a kiosk
never needs FastAPI (architecture §4).
"""
