"""HTTP routes: every module here exposes a ``router`` that server.app includes."""
