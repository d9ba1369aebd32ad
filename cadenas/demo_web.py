"""A small local "web" for the demo's free questions: a search engine and a few pages, on loopback.

The demo machine may have no Internet; this server stands in for it. Its results page follows the
``cadenas-demo`` entry of ``resources/search-engines.json`` (``li.result a.result-link``), so the
kiosk's search-result filter (K17) works on it: every search also lists a link to a site outside
the session's allow rule, which the kiosk hides. Standard library only.
"""

from __future__ import annotations

import html
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

#: The pages: path → (title, paragraphs).
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "/formats": (
        "Les formats de fichiers",
        (
            "Un format de fichier décrit comment les données sont rangées : JPEG et PNG pour les images, "
            "MP3 pour le son, ODT et DOCX pour les textes, ODS et XLSX pour les tableaux.",
            "Un format ouvert (ODT, ODS, PNG) est documenté publiquement : tout logiciel peut le lire.",
        ),
    ),
    "/licences": (
        "Les licences Creative Commons",
        (
            "BY : citer l'auteur. SA : partager dans les mêmes conditions. NC : pas d'usage commercial. "
            "ND : pas de modification.",
            "Une œuvre sous CC BY-SA ne peut pas être mélangée avec une œuvre sous CC BY-NC : leurs "
            "conditions se contredisent.",
        ),
    ),
    "/donnees": (
        "Protéger ses données personnelles",
        (
            "En France, la majorité numérique est fixée à 15 ans : avant, l'accord d'un parent est "
            "nécessaire pour s'inscrire sur un réseau social.",
            "Un mot de passe solide est long, unique pour chaque service, et gardé dans un gestionnaire.",
        ),
    ),
    "/tableur": (
        "Premiers pas avec un tableur",
        (
            "Une formule commence par le signe égal : =SOMME(A1:A10) additionne dix cellules.",
            "Une référence absolue se note avec des dollars : $A$1 ne bouge pas quand on recopie la formule.",
        ),
    ),
}
#: A result that the session does not allow: the kiosk hides it from the results page.
OUTSIDE_RESULT = ("http://corriges-du-test.example/reponses", "Les réponses du test (site non autorisé)")


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<style>body{font-family:sans-serif;max-width:50rem;margin:2rem auto;line-height:1.5}'
        "li.result{margin:.8rem 0}</style></head>"
        f'<body><header><a href="/">Recherche démo</a></header><main><h1>{html.escape(title)}</h1>{body}</main>'
        "</body></html>"
    ).encode()


def search(query: str) -> list[tuple[str, str]]:
    """The pages containing every word of ``query`` (case-insensitive), as (path, title)."""
    words = [w for w in query.lower().split() if w]
    found = []
    for path, (title, paragraphs) in PAGES.items():
        text = (title + " " + " ".join(paragraphs)).lower()
        if words and all(w in text for w in words):
            found.append((path, title))
    return found


class _Handler(BaseHTTPRequestHandler):
    server_version = "CadenasDemoWeb/1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/":
            form = '<form action="/search" role="search"><label>Rechercher <input name="q"></label> <button>OK</button>'
            self._reply(200, _page("Recherche démo", form + "</form>"))
        elif parts.path == "/search":
            query = parse_qs(parts.query).get("q", [""])[0]
            items = [
                f'<li class="result"><a class="result-link" href="{p}">{html.escape(t)}</a></li>'
                for p, t in search(query)
            ]
            items.append(
                f'<li class="result"><a class="result-link" href="{OUTSIDE_RESULT[0]}">{OUTSIDE_RESULT[1]}</a></li>'
            )
            self._reply(200, _page(f"Résultats pour « {query} »", "<ul>" + "".join(items) + "</ul>"))
        elif parts.path in PAGES:
            title, paragraphs = PAGES[parts.path]
            self._reply(200, _page(title, "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)))
        else:
            self._reply(404, _page("Page introuvable", "<p>Cette page n'existe pas.</p>"))

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("demo web: " + format, *args)


class DemoWeb:
    """The demo web on a free loopback port; :attr:`origin`, :meth:`session_rules` for the demo session."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-web", daemon=True)

    def start(self) -> DemoWeb:
        """Serve in a thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def session_rules(self) -> dict:
        """The demo session's URL rules: only this web is allowed, searched from the browsing pane."""
        return {
            "default": "block",
            "rules": [{"id": "demo-web", "action": "allow", "kind": "simplified", "pattern": self.origin}],
            "search_url": f"{self.origin}/search?q={{q}}",
        }
