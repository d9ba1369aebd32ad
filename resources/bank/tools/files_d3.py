"""Attachments of competences 3.2, 3.3, 3.4 and 5.1 (written under ``root/<code>/``).

Every value a challenge asks for is fixed here; the challenges' ``verify`` checks prove that the
generated files still hold or produce their answers. No randomness, no clock: the output is
byte-for-byte reproducible.
"""

from __future__ import annotations

from pathlib import Path

import docmaker

# --- 3.2 Développer des documents multimédia -------------------------------------------------

#: PNG images and their tEXt metadata (challenges c32-metadonnees-*).
IMAGES_32 = {
    "affiche-fete.png": (
        320,
        200,
        (250, 240, 210),
        [(20, 20, 300, 70, (200, 40, 60)), (40, 90, 140, 180, (40, 120, 200)), (180, 90, 280, 180, (250, 190, 30))],
        {
            "Title": "Affiche de la fête du collège",
            "Author": "Maëlle Kerbrat",
            "Software": "GIMP 2.10.38",
            "Description": "Affiche A3 pour la fête de fin d'année, version 2",
        },
    ),
    "photo-sortie.png": (
        400,
        300,
        (135, 190, 235),
        [(0, 200, 400, 300, (205, 185, 140)), (150, 80, 250, 200, (120, 110, 100)), (190, 40, 210, 80, (90, 85, 80))],
        {
            "Title": "Sortie au Mont-Saint-Michel",
            "Author": "Théo Vasseur",
            "Software": "Krita 5.2.2",
            "Copyright": "Tous droits réservés",
        },
    ),
    "logo-club.png": (
        256,
        256,
        (15, 20, 60),
        [(100, 100, 156, 156, (250, 220, 80)), (30, 40, 36, 46, (255, 255, 255)), (200, 60, 206, 66, (255, 255, 255))],
        {
            "Title": "Logo du club d'astronomie",
            "Author": "Club Orion",
            "Software": "Inkscape 1.3.2 (https://inkscape.org)",
        },
    ),
}


def _build_32(out: Path) -> None:
    for name, (width, height, background, shapes, text) in IMAGES_32.items():
        docmaker.write_png(out / name, width, height, docmaker.rectangles(background, shapes), text=text)


# --- 3.3 Adapter les documents à leur finalité -----------------------------------------------

SORTIE_HTML = """<h1>Sortie scolaire au musée des Confluences</h1>
<img src="bandeau-deco.png" alt="">
<p>Les classes de 4e partiront le jeudi 12 juin à 8 h 15 devant le collège.</p>
<h2>Programme de la journée</h2>
<img src="programme-journee.png" alt="Programme : visite guidée le matin, atelier fossiles l'après-midi">
<p>Le pique-nique est à prévoir par les familles.</p>
<h2>Accès</h2>
<img src="plan-acces.png" width="600">
<p>Retour prévu à 17 h 30.</p>
<img src="logo-musee.png" alt="Logo du musée des Confluences">"""

CANTINE_HTML = """<h1>Menu de la cantine, semaine du 3 mars</h1>
<img src="logo-restauration.png" alt="Service de restauration scolaire">
<h2>Menu</h2>
<img src="menu-semaine.jpg" alt="Lundi : carottes râpées, lasagnes, yaourt. Mardi : soupe, poisson pané, fruit.">
<h2>Allergènes</h2>
<img src="allergenes.jpg" title="Tableau des allergènes" width="500">
<p>Pour toute question, contactez l'intendance.</p>
<img src="separateur.png" alt="">"""

ANNONCE_HTML = """<h1>Club théâtre : inscriptions ouvertes</h1>
<p>Le club théâtre du lycée reprend le mardi de 17 h à 18 h 30 en salle polyvalente.</p>
<p>Inscriptions auprès de Mme Lacombe jusqu'au 30 septembre.</p>
<p><a href="reglement-club.pdf">Lire le règlement du club (PDF, 120 ko)</a></p>"""

CONCERT_PDF = [
    "Concert de printemps des ateliers musique",
    "",
    "Vendredi 4 avril, 20 h - Auditorium du lycée Jean-Jaurès",
    "Entrée libre dans la limite des places disponibles",
    "",
    "Au programme : chorale, orchestre à cordes et groupe de jazz des élèves.",
    "",
    "Conception graphique : atelier arts plastiques de 1re.",
    "Cette affiche est diffusée sous licence CC BY-NC-SA 4.0.",
]

ABEILLES_DOCX = [
    "Exposé : le déclin des abeilles sauvages",
    "Par Lina Moreau et Sacha Dubreuil, classe de 3e B",
    "1. Pourquoi les abeilles sont indispensables",
    "Près des trois quarts des cultures alimentaires dépendent au moins en partie de la pollinisation "
    "par les insectes.",
    "2. Les causes du déclin",
    "Pesticides, disparition des haies et des prairies fleuries, parasites et changement climatique.",
    "3. Que pouvons-nous faire ?",
    "Semer des fleurs locales, installer des hôtels à insectes, limiter les traitements chimiques.",
    "Licence : ce document est mis à disposition selon les termes de la licence CC BY-ND 4.0 "
    "(Attribution - Pas de modification).",
]

VOLCANS_DOCX = [
    "Dossier documentaire : les volcans d'Auvergne",
    "Rédigé par Hugo Ferrand, professeur de SVT",
    "La chaîne des Puys compte environ quatre-vingts volcans alignés sur une trentaine de kilomètres.",
    "Le puy de Dôme culmine à 1 465 mètres ; sa dernière éruption date d'environ 10 700 ans.",
    "Depuis 2018, le haut lieu tectonique Chaîne des Puys - faille de Limagne est inscrit au patrimoine mondial.",
    "Licence : ce texte est mis à disposition selon les termes de la licence CC BY-NC 4.0 "
    "(Attribution - Pas d'utilisation commerciale).",
]


def _html_source(title: str, body: str, *, lang: str = "fr") -> str:
    """The source of a small HTML page, shipped as a .txt file so that its tags stay readable."""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _build_33(out: Path) -> None:
    # The accessibility challenges ask about attributes (alt, lang): the pages are given as their
    # source code in .txt files, whose text the bank checker reads tags included.
    docmaker.write_text(out / "sortie-scolaire-source.txt", _html_source("Sortie scolaire au musée", SORTIE_HTML))
    docmaker.write_text(out / "menu-cantine-source.txt", _html_source("Menu de la cantine", CANTINE_HTML))
    docmaker.write_text(out / "club-theatre-source.txt", _html_source("Club théâtre", ANNONCE_HTML, lang="en"))
    docmaker.write_pdf(
        out / "affiche-concert.pdf", CONCERT_PDF, title="Concert de printemps", author="Atelier arts plastiques"
    )
    docmaker.write_docx(
        out / "expose-abeilles.docx", ABEILLES_DOCX, title="Le déclin des abeilles", author="Lina Moreau"
    )
    docmaker.write_docx(
        out / "dossier-volcans.docx", VOLCANS_DOCX, title="Les volcans d'Auvergne", author="Hugo Ferrand"
    )


# --- 3.4 Programmer ---------------------------------------------------------------------------

#: Marks of two classes (decimal point, semicolon separator). Means: 2C → 12.2, 2D → 10.6.
# fmt: off
NOTES_SECONDE = [
    ("Eleve", "Classe", "Note"),
    ("Amine", "2C", 14.5), ("Bérénice", "2D", 9), ("Chloé", "2C", 11), ("Damien", "2D", 12.5),
    ("Elsa", "2C", 8.5), ("Farid", "2D", 7), ("Gaspard", "2C", 16), ("Hanna", "2D", 13),
    ("Ilyes", "2C", 12), ("Jade", "2D", 10.5), ("Kylian", "2C", 9.5), ("Louna", "2D", 15),
    ("Mathis", "2C", 13), ("Nora", "2D", 8), ("Oscar", "2C", 15.5), ("Pauline", "2D", 11),
    ("Quentin", "2C", 10), ("Rose", "2D", 9.5), ("Sofiane", "2C", 12), ("Tess", "2D", 10.5),
]
# fmt: on

PROGRAMME_NOTES = """# Programme écrit par l'équipe de vie scolaire.
# Il lit le fichier notes-seconde.csv (placé dans le même dossier)
# et affiche un résultat pour une classe.
import csv

CLASSE = "{classe}"

total = 0
nombre = 0
with open("notes-seconde.csv", encoding="utf-8") as fichier:
    for ligne in csv.DictReader(fichier, delimiter=";"):
        if ligne["Classe"] == CLASSE:
            total = total + float(ligne["Note"])
            nombre = nombre + 1

print(round(total / nombre, 1))
"""

EQUIPES_SOURCE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Tournoi de handball - classement</title>
</head>
<body>
<h1>Tournoi inter-classes</h1>
<p>Équipe en tête : <strong id="premier"></strong></p>
<script>
  // Résultats des matchs : [équipe A, buts A, équipe B, buts B]
  const matchs = [
    ["Les Hiboux", 12, "Les Castors", 9],
    ["Les Renards", 10, "Les Loutres", 10],
    ["Les Hiboux", 8, "Les Renards", 11],
    ["Les Castors", 14, "Les Loutres", 7],
    ["Les Hiboux", 9, "Les Loutres", 13],
    ["Les Castors", 10, "Les Renards", 10],
  ];

  // Victoire : 3 points, match nul : 1 point, défaite : 0 point.
  const points = {};
  for (const [a, butsA, b, butsB] of matchs) {
    points[a] = points[a] || 0;
    points[b] = points[b] || 0;
    if (butsA > butsB) {
      points[a] += 3;
    } else if (butsA < butsB) {
      points[b] += 3;
    } else {
      points[a] += 1;
      points[b] += 1;
    }
  }

  // En cas d'égalité de points, la première équipe rencontrée dans la liste reste en tête.
  let premier = null;
  for (const equipe in points) {
    if (premier === null || points[equipe] > points[premier]) {
      premier = equipe;
    }
  }
  document.getElementById("premier").textContent = premier;
</script>
</body>
</html>
"""


def _build_34(out: Path) -> None:
    docmaker.write_csv(out / "notes-seconde.csv", NOTES_SECONDE)
    for classe in ("2C", "2D"):
        docmaker.write_text(out / f"programme-{classe}.txt", PROGRAMME_NOTES.format(classe=classe))
    docmaker.write_text(out / "tournoi-source.txt", EQUIPES_SOURCE)


# --- 5.1 Résoudre des problèmes techniques ---------------------------------------------------

JOURNAL_IMPRIMANTE = """# Journal de l'imprimante IMP-CDI (salle de documentation)
2025-03-14 08:02:11 INFO    Mise sous tension
2025-03-14 08:02:45 INFO    Auto-test terminé : OK
2025-03-14 08:15:30 INFO    Travail 4412 (12 pages) imprimé pour PC-CDI-02
2025-03-14 09:03:02 AVERT   W-031 Niveau de toner noir bas (15 %)
2025-03-14 09:40:17 INFO    Travail 4413 (3 pages) imprimé pour PC-CDI-05
2025-03-14 10:41:58 INFO    Travail 4414 (40 pages) reçu de PC-CDI-01
2025-03-14 10:42:06 ERREUR  E-204 Bourrage papier dans le bac 2 - impression interrompue
2025-03-14 10:42:06 INFO    Travail 4414 suspendu (page 7 sur 40)
2025-03-14 10:55:40 INFO    Capot avant ouvert
2025-03-14 10:56:12 INFO    Capot avant fermé
2025-03-14 10:56:30 INFO    Travail 4414 repris
2025-03-14 11:05:09 AVERT   W-031 Niveau de toner noir bas (12 %)
2025-03-14 11:20:44 INFO    Travail 4415 (2 pages) imprimé pour PC-CDI-03
"""

#: Source machines and messages cycled to build the event logs below.
_SOURCES = ("Sauvegarde", "Antivirus", "Réseau", "Impression", "Mises à jour")
_MESSAGES = {
    "INFO": "Opération terminée normalement",
    "AVERTISSEMENT": "Opération lente, nouvel essai programmé",
    "ERREUR": "Échec de l'opération",
}


def _event_log(levels: str, day: str) -> list[tuple[str, ...]]:
    """A CSV event log: one row per letter of ``levels`` (I=INFO, A=AVERTISSEMENT, E=ERREUR)."""
    names = {"I": "INFO", "A": "AVERTISSEMENT", "E": "ERREUR"}
    rows: list[tuple[str, ...]] = [("Date", "Heure", "Niveau", "Source", "Message")]
    for i, letter in enumerate(levels):
        level = names[letter]
        minutes = 7 * 60 + 13 * i
        rows.append(
            (day, f"{minutes // 60:02d}:{minutes % 60:02d}", level, _SOURCES[(3 * i) % len(_SOURCES)], _MESSAGES[level])
        )
    return rows


#: 40 events, 7 errors.
SERVEUR_LEVELS = "IIAIEIIIAIIEIIIIEAIIIIEIIAIIIEIIIIAIEIIE"
#: 36 events, 5 errors.
POSTE_LEVELS = "IAIIIEIIIIAIIEIIIIIEIAIIIIIEIIIIAEII"

#: 30 pings: (status, time in ms); lost pings are recorded with time 0. Mean of the 24 OK ones: 22.8.
# fmt: off
PINGS = [
    ("OK", 18), ("OK", 21), ("perdu", 0), ("OK", 19), ("OK", 25), ("OK", 22), ("OK", 48), ("perdu", 0),
    ("OK", 20), ("OK", 19), ("OK", 23), ("OK", 21), ("perdu", 0), ("perdu", 0), ("OK", 27), ("OK", 18),
    ("OK", 20), ("OK", 35), ("OK", 22), ("OK", 19), ("perdu", 0), ("OK", 21), ("OK", 24), ("OK", 20),
    ("OK", 18), ("OK", 26), ("OK", 22), ("perdu", 0), ("OK", 19), ("OK", 21),
]
# fmt: on

SVG_LOGO = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">
  <title>Logo de l'association Les Petits Débrouillards du quartier</title>
  <circle cx="100" cy="100" r="90" fill="#2a6f97"/>
  <path d="M60 120 L100 50 L140 120 Z" fill="#f4d35e"/>
</svg>
"""


def _build_51(out: Path) -> None:
    docmaker.write_text(out / "journal-imprimante.txt", JOURNAL_IMPRIMANTE)
    docmaker.write_csv(out / "journal-serveur.csv", _event_log(SERVEUR_LEVELS, "2025-05-19"))
    docmaker.write_csv(out / "journal-poste.csv", _event_log(POSTE_LEVELS, "2025-05-20"))
    docmaker.write_csv(
        out / "ping-box.csv",
        [("Numero", "Destination", "Statut", "Temps_ms")]
        + [(i + 1, "192.168.1.1", status, ms) for i, (status, ms) in enumerate(PINGS)],
    )
    docmaker.write_zip(
        out / "sauvegarde-projet.zip",
        {
            "projet-robot/LISEZ-MOI.txt": "Sauvegarde du projet robot, club technologie.\n"
            "Les fichiers utiles sont rangés dans les sous-dossiers.\n",
            "projet-robot/code/robot.py": "# Programme du robot suiveur de ligne\nVITESSE = 40\n",
            "projet-robot/code/anciens/robot-v1.py": "# Première version, abandonnée\nVITESSE = 80\n",
            "projet-robot/photos/montage-1.txt": "Photo du montage (emplacement réservé).\n",
            "projet-robot/docs/compte-rendu.txt": "Compte rendu de la séance 3 : le capteur gauche est à recalibrer.\n",
            "projet-robot/docs/archives/2024/notes-secretes.txt": "Bravo, vous avez trouvé le fichier caché.\n"
            "Le mot magique est : TOURNESOL\n",
        },
    )
    docmaker.write_zip(
        out / "fichiers-recus.zip",
        {
            "fichiers-recus/compte-rendu-reunion.txt": "Réunion du bureau de l'association, 6 février.\n"
            "Présents : 7 membres. Ordre du jour : fête de quartier, nouveau logo.\n",
            "fichiers-recus/logo.csv": SVG_LOGO,
            "fichiers-recus/budget.csv": "Poste;Montant\nAffiches;120\nBuvette;340\nLocation sono;200\n",
        },
    )


def build(root: Path) -> None:
    """Write the attachments of competences 3.2, 3.3, 3.4 and 5.1 under ``root``."""
    root = Path(root)
    _build_32(root / "3.2")
    _build_33(root / "3.3")
    _build_34(root / "3.4")
    _build_51(root / "5.1")
