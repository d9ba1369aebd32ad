"""Attachments of domain 1 (1.1, 1.2, 1.3) and of competence 2.1.

``build(root)`` writes every file under ``root/<competence code>/``. All data is fixed (seeded
generators, no clock), so the output is byte-for-byte reproducible. Where an answer is computed
from generated data, the generator asserts it equals the solution written in the competence file,
so a change of data that would break a challenge fails here first (the bank checker's ``verify``
checks catch it too).
"""

from __future__ import annotations

import hashlib
import random
import zlib
from pathlib import Path

import docmaker

# --- helpers ----------------------------------------------------------------------------------


def _page(title: str, body: str, *, head: str = "") -> str:
    """A complete HTML page with extra ``head`` markup (docmaker.write_html has a fixed head)."""
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n{head}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _fr(value: float) -> str:
    """A number written with a decimal comma, as French spreadsheets expect."""
    return f"{value:.2f}".replace(".", ",")


def _words(rng: random.Random, count: int) -> str:
    """Pseudo-random filler text (hard to compress, so compressed sizes follow real sizes)."""
    syllables = ["ba", "lo", "mi", "tur", "sen", "cra", "pol", "dei", "vu", "gna", "stro", "fel", "qui", "zar"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(count)]
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    return "\n".join(lines) + "\n"


# --- 1.1 Mener une recherche et une veille d'information -------------------------------------------------


def _c11(root: Path) -> None:
    out = root / "1.1"

    # Article with its legal notice (c11-fiabilite-4a).
    docmaker.write_text(
        out / "echo-sciences-abeilles.html",
        _page(
            "Des abeilles qui savent compter – L'Écho des sciences",
            """<header>
<p><strong>L'Écho des sciences</strong> – le magazine des curieux</p>
<nav><a href="index.html">Accueil</a> | <a href="biologie.html">Biologie</a> | <a href="espace.html">Espace</a>
| <a href="#mentions">Mentions légales</a></nav>
</header>
<main>
<article>
<h1>Des abeilles qui savent compter jusqu'à quatre</h1>
<p>Par <strong>Julien Ferrand</strong>, journaliste scientifique – publié le 4 mars 2024</p>
<p>Une équipe de chercheurs a entraîné des abeilles domestiques à choisir, parmi plusieurs fleurs artificielles,
celle qui portait un nombre précis de motifs. Après quelques jours, les insectes ne se trompaient presque plus
jusqu'à quatre motifs.</p>
<p>« Cela ne veut pas dire que les abeilles font des additions, mais qu'elles distinguent de petites quantités »,
précise Claire Moreau, biologiste interrogée par notre rédaction.</p>
<p>Référence : article publié dans une revue scientifique à comité de lecture, 2023.</p>
</article>
</main>
<footer>
<h2 id="mentions">Mentions légales</h2>
<p>Éditeur du site : association L'Écho des sciences, 12 rue des Forges, 42600 Montbrison.</p>
<p>Directrice de la publication : Nadia Berthelot.</p>
<p>Rédacteur en chef : Thomas Lacombe.</p>
<p>Hébergeur : société Nuage-Hébergement, 3 avenue du Port, 13002 Marseille.</p>
<p>Contact : redaction@lecho-des-sciences.fr</p>
</footer>""",
        ),
    )

    # Page of the site's feeds (c11-veille-5a).
    docmaker.write_text(
        out / "echo-sciences-flux.html",
        _page(
            "Nos flux RSS – L'Écho des sciences",
            """<h1>Suivre L'Écho des sciences avec un agrégateur</h1>
<p>Copiez l'adresse du flux de votre choix dans votre lecteur de flux RSS (agrégateur).</p>
<table border="1">
<tr><th>Flux</th><th>Contenu</th><th>Adresse</th></tr>
<tr><td>Toute l'actualité</td><td>Tous les articles publiés, toutes rubriques confondues.</td><td>https://www.lecho-des-sciences.fr/flux/tout.xml</td></tr>
<tr><td>Biologie</td><td>Articles de la rubrique Biologie.</td><td>https://www.lecho-des-sciences.fr/flux/biologie.xml</td></tr>
<tr><td>Espace</td><td>Articles de la rubrique Espace.</td><td>https://www.lecho-des-sciences.fr/flux/espace.xml</td></tr>
<tr><td>Agenda national</td><td>Conférences et expositions annoncées partout en France.</td><td>https://www.lecho-des-sciences.fr/flux/agenda.xml</td></tr>
<tr><td>Agenda Auvergne-Rhône-Alpes</td><td>Conférences et expositions annoncées dans la région Auvergne-Rhône-Alpes uniquement.</td><td>https://www.lecho-des-sciences.fr/flux/agenda-ara.xml</td></tr>
<tr><td>Espace – dépêches</td><td>Brèves de la rubrique Espace (sans les articles de fond).</td><td>https://www.lecho-des-sciences.fr/flux/espace-breves.xml</td></tr>
</table>""",
        ),
    )

    # An unreliable article (c11-fiabilite-6a).
    docmaker.write_text(
        out / "sante-nature-celeri.html",
        _page(
            "Le jus de céleri guérit la migraine – Santé Nature Express",
            """<header><p><strong>Santé Nature Express</strong> – votre santé au naturel</p></header>
<main>
<article>
<h1>Le jus de céleri guérit la migraine en trois jours !</h1>
<p>Les médecins ne veulent pas que vous le sachiez : un simple verre de jus de céleri chaque matin
suffit à faire disparaître la migraine en trois jours.</p>
<p>Une <a href="/">étude scientifique</a> l'a prouvé :
100 % des personnes testées ont vu leurs maux de tête disparaître.</p>
<h2>Comment faire ?</h2>
<p>Pour des résultats garantis, utilisez notre cure « Céleri Pur 21 jours », disponible dans notre boutique
au prix exceptionnel de 89 € au lieu de 149 €.</p>
<p><a href="/boutique">Commander maintenant</a></p>
</article>
</main>
<footer>
<h2>Mentions légales</h2>
<p>Ce site est édité par la société VitaCéleri SAS, qui fabrique et commercialise des cures de jus de légumes.</p>
<p>Directeur de la publication : le gérant de VitaCéleri SAS.</p>
</footer>""",
        ),
    )

    # Opening hours and prices of a swimming pool (c11-pageweb-3a).
    docmaker.write_text(
        out / "piscine-tilleuls.html",
        _page(
            "Piscine municipale des Tilleuls – Ville de Saint-Aubin",
            """<h1>Piscine municipale des Tilleuls</h1>
<p>8 allée des Tilleuls, Saint-Aubin. Bassin sportif de 25 m et bassin d'apprentissage.</p>
<h2>Horaires d'ouverture au public (période scolaire)</h2>
<table border="1">
<tr><th>Jour</th><th>Horaires</th></tr>
<tr><td>Lundi</td><td>12 h – 13 h 45 et 17 h – 20 h</td></tr>
<tr><td>Mardi</td><td>Fermé (entretien des bassins)</td></tr>
<tr><td>Mercredi</td><td>10 h – 18 h</td></tr>
<tr><td>Jeudi</td><td>12 h – 13 h 45</td></tr>
<tr><td>Vendredi</td><td>12 h – 13 h 45 et 17 h – 21 h</td></tr>
<tr><td>Samedi</td><td>9 h – 12 h et 14 h – 18 h</td></tr>
<tr><td>Dimanche</td><td>9 h – 13 h</td></tr>
</table>
<h2>Tarifs (une entrée)</h2>
<ul>
<li>Enfant de moins de 4 ans : gratuit</li>
<li>Enfant (4 à 11 ans) : 2 €</li>
<li>Jeune (12 à 17 ans) : 3 €</li>
<li>Adulte : 4,50 €</li>
<li>Carte de 10 entrées adulte : 38 €</li>
</ul>""",
        ),
    )

    # An article copied by an aggregator; the source is in the page's code (c11-pageweb-6a).
    docmaker.write_text(
        out / "infomontagne-sentiers.html",
        _page(
            "Vercors : plusieurs sentiers fermés après des éboulements – InfoMontagne",
            """<header><p><strong>InfoMontagne</strong> – toute l'actu des massifs, en un seul endroit</p></header>
<main>
<article>
<h1>Vercors : plusieurs sentiers fermés après des éboulements</h1>
<p>Article repris avec l'autorisation de son éditeur.</p>
<p>Après les fortes pluies de la semaine, trois sentiers de randonnée du plateau sont fermés jusqu'à nouvel ordre.
Les communes concernées demandent aux promeneurs de respecter les barrières installées à l'entrée des chemins.</p>
<p>Les gardes du parc naturel régional rappellent que les itinéraires de remplacement sont balisés en jaune.</p>
</article>
</main>
<footer><p>InfoMontagne rassemble des articles de la presse locale.</p></footer>""",
            head="""<meta name="author" content="Rédaction InfoMontagne">
<link rel="canonical" href="https://www.journal-du-vercors.fr/nature/sentiers-fermes-eboulements">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Vercors : plusieurs sentiers fermés après des éboulements",
 "mainEntityOfPage": "https://www.journal-du-vercors.fr/nature/sentiers-fermes-eboulements",
 "publisher": {"@type": "Organization", "name": "Le Journal du Vercors", "url": "https://www.journal-du-vercors.fr"}}
</script>
""",
        ),
    )

    # A press file: an article and the reports it cites (c11-pageweb-7a).
    article = _page(
        "Tri des déchets : les Isérois champions ? – Le Quotidien des Alpes",
        """<h1>Tri des déchets : les Isérois champions ?</h1>
<p>Selon le dernier rapport de l'Observatoire régional des déchets (voir le dossier sources), 80 % des foyers
de l'Isère trient leurs emballages. Un chiffre qui place le département en tête de la région.</p>
<p>Sources : sources/rapport-odr-2023.html</p>""",
    )
    report_2023 = _page(
        "Observatoire régional des déchets – Rapport 2023 (données 2022)",
        """<h1>Observatoire régional des déchets – Rapport 2023</h1>
<p>Ce rapport présente les données de l'année 2022.</p>
<h2>Tableau 1 – Enquête téléphonique : part des foyers qui déclarent trier leurs emballages</h2>
<table border="1">
<tr><th>Département</th><th>2021</th><th>2022</th></tr>
<tr><td>Drôme</td><td>74 %</td><td>76 %</td></tr>
<tr><td>Isère</td><td>78 %</td><td>80 %</td></tr>
<tr><td>Savoie</td><td>77 %</td><td>79 %</td></tr>
</table>
<h2>Tableau 2 – Analyse du contenu des poubelles : part des foyers qui trient effectivement leurs emballages</h2>
<table border="1">
<tr><th>Département</th><th>2021</th><th>2022</th></tr>
<tr><td>Drôme</td><td>44 %</td><td>45 %</td></tr>
<tr><td>Isère</td><td>39 %</td><td>41 %</td></tr>
<tr><td>Savoie</td><td>46 %</td><td>47 %</td></tr>
</table>
<h2>Tableau 3 – Tonnes d'emballages collectées (milliers de tonnes)</h2>
<table border="1">
<tr><th>Département</th><th>2021</th><th>2022</th></tr>
<tr><td>Drôme</td><td>18</td><td>19</td></tr>
<tr><td>Isère</td><td>52</td><td>55</td></tr>
<tr><td>Savoie</td><td>21</td><td>22</td></tr>
</table>
<p>Méthode : l'enquête téléphonique recueille ce que les habitants disent faire ; l'analyse du contenu des
poubelles, sur un échantillon de 2 000 foyers par département, mesure ce qu'ils font réellement.</p>""",
    )
    report_2021 = _page(
        "Observatoire régional des déchets – Rapport 2021 (données 2020)",
        """<h1>Observatoire régional des déchets – Rapport 2021</h1>
<p>Ce rapport présente les données de l'année 2020.</p>
<h2>Part des foyers qui trient effectivement leurs emballages (analyse des poubelles)</h2>
<table border="1">
<tr><th>Département</th><th>2020</th></tr>
<tr><td>Drôme</td><td>42 %</td></tr>
<tr><td>Isère</td><td>37 %</td></tr>
<tr><td>Savoie</td><td>44 %</td></tr>
</table>""",
    )
    docmaker.write_zip(
        out / "dossier-tri-dechets.zip",
        {
            "article-quotidien-des-alpes.html": article,
            "sources/rapport-odr-2021.html": report_2021,
            "sources/rapport-odr-2023.html": report_2023,
        },
    )


# --- 1.2 Gérer des données ----------------------------------------------------------------------

_COURSES = {
    "francais": [
        ("Le roman d'aventure", "BALEINE"),
        ("La poésie engagée", "CITRONNIER"),
        ("Le théâtre classique", "DROMADAIRE"),
    ],
    "histoire-geo": [
        ("La Première Guerre mondiale", "ESCARGOT"),
        ("Les régimes totalitaires", "FOUGERE"),
        ("La Seconde Guerre mondiale", "GIRAFE"),
    ],
    "mathematiques": [
        ("Le théorème de Pythagore", "HARICOT"),
        ("Les fonctions", "IGLOO"),
        ("Les probabilités", "JONQUILLE"),
    ],
    "physique-chimie": [
        ("Les atomes et les ions", "KAYAK"),
        ("La vitesse et les mouvements", "LAVANDE"),
        ("L'énergie électrique", "MAGNOLIA"),
    ],
    "svt": [
        ("La génétique", "NENUPHAR"),
        ("Le système immunitaire", "OURAGAN"),
        ("L'évolution des espèces", "PELICAN"),
    ],
}

_MEETINGS = [
    ("2024-01-15", "salle polyvalente", "préparation du carnaval", "ABRICOT"),
    ("2024-02-05", "médiathèque", "choix des livres pour le prix des lecteurs", "BOUSSOLE"),
    ("2024-02-26", "gymnase Pasteur", "organisation du tournoi de handball", "CERISIER"),
    ("2024-03-11", "salle du conseil de la mairie", "budget de l'association", "DIABOLO"),
    ("2024-03-25", "gymnase Jean-Moulin", "installation des stands de la kermesse", "TOURNESOL"),
    ("2024-04-08", "salle polyvalente", "bilan de la kermesse", "FLAMANT"),
    ("2024-04-22", "école élémentaire, 4 rue Jean-Moulin", "sortie scolaire de fin d'année", "GRENADINE"),
    ("2024-05-13", "médiathèque", "exposition de photographies", "HIRONDELLE"),
    ("2024-05-27", "salle du conseil de la mairie", "renouvellement du bureau", "ISOLOIR"),
    ("2024-06-10", "salle polyvalente", "fête de la musique", "JACINTHE"),
]


def _c12(root: Path) -> None:
    out = root / "1.2"

    # One document in five formats (c12-formats-5a): the Markdown version holds HIBISCUS.
    report = "Compte rendu du conseil de vie collégienne"
    docmaker.write_zip(
        out / "compte-rendu-conseil.zip",
        {
            "compte-rendu-conseil.txt": f"{report}\n\nVersion texte brut.\nMot magique : SEMAPHORE\n",
            "compte-rendu-conseil.md": f"# {report}\n\n*Version en Markdown.*\n\n- **Mot magique** : HIBISCUS\n",
            "compte-rendu-conseil.html": _page(
                "Compte rendu",
                "<h1>Compte rendu du conseil de vie collégienne</h1>\n<p>Version page web. Mot magique : GIROFLE</p>",
            ),
            "compte-rendu-conseil.csv": f"Rubrique;Contenu\nTitre;{report}\nMot magique;CAPUCINE\n",
            "compte-rendu-conseil.rtf": (
                "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Arial;}}\\f0 Compte rendu du conseil de vie coll\\'e9gienne"
                "\\par Mot magique : MIMOSA\\par}\n"
            ),
        },
    )

    # Lessons sorted by subject (c12-archives-3a, c12-archives-3b).
    members = {}
    for subject, chapters in _COURSES.items():
        for number, (title, word) in enumerate(chapters, start=1):
            members[f"cours-3e/{subject}/chapitre{number}.txt"] = (
                f"Cours de 3e – {subject} – chapitre {number} : {title}\n\nRésumé du cours à compléter en classe.\n"
                f"Mot magique : {word}\n"
            )
    docmaker.write_zip(out / "cours-3e.zip", members)

    # Meeting notes; only one mentions the gymnase Jean-Moulin (c12-archives-4a).
    members = {}
    for date, place, topic, word in _MEETINGS:
        members[f"reunions/reunion-{date}.txt"] = (
            f"Association des parents d'élèves – compte rendu de la réunion du {date}\n\n"
            f"Les membres du bureau se sont retrouvés ({place}) pour traiter le point suivant : {topic}.\n"
            f"Prochaine réunion : date à fixer par courriel.\n\nMot magique : {word}\n"
        )
    assert sum("gymnase Jean-Moulin" in text for text in members.values()) == 1
    docmaker.write_zip(out / "comptes-rendus-reunions.zip", members)

    # A backup with nested folders; the largest file holds CARAMBOLE (c12-archives-6a).
    rng = random.Random(1206)
    sizes = {
        "Sauvegarde/Documents/lettre-motivation.txt": (400, "AUBERGINE"),
        "Sauvegarde/Documents/Administratif/attestation-assurance.txt": (900, "BRIOCHE"),
        "Sauvegarde/Documents/Administratif/impots/declaration-2023.txt": (5200, "CORNICHON"),
        "Sauvegarde/Documents/Cours/histoire/notes-revolution.txt": (3100, "DAUPHIN"),
        "Sauvegarde/Musique/paroles-chansons.txt": (5900, "EPERVIER"),
        "Sauvegarde/Projets/club-theatre/archives/textes-repetitions.txt": (7600, "CARAMBOLE"),
        "Sauvegarde/Projets/club-theatre/affiche-texte.txt": (300, "GUIMAUVE"),
        "Sauvegarde/Projets/jardin/plan-potager.txt": (1500, "HOUBLON"),
        "Sauvegarde/Telechargements/notice-imprimante.txt": (6800, "IGUANE"),
        "Sauvegarde/journal-de-bord.txt": (2400, "JASMIN"),
    }
    members = {name: f"Mot magique : {word}\n\n" + _words(rng, count) for name, (count, word) in sizes.items()}
    raw = {name: len(text.encode("utf-8")) for name, text in members.items()}
    packed = {name: len(zlib.compress(text.encode("utf-8"))) for name, text in members.items()}
    biggest = "Sauvegarde/Projets/club-theatre/archives/textes-repetitions.txt"
    assert max(raw, key=raw.get) == biggest and max(packed, key=packed.get) == biggest
    docmaker.write_zip(out / "sauvegarde-ordinateur.zip", members)

    # Three downloaded copies; only miroir-2 matches the published SHA-256 (c12-archives-7a).
    guide = (
        "Guide d'installation du logiciel PlanningClasse 3.2\n\n"
        "1. Fermez toutes les applications ouvertes.\n"
        "2. Lancez l'installateur téléchargé depuis {url}.\n"
        "3. Acceptez la licence puis choisissez le dossier d'installation.\n"
        "4. Au premier lancement, saisissez le code d'activation ci-dessous.\n\n"
        "Code d'activation : {code}\n"
    )
    official = "https://www.planningclasse.fr/telecharger"
    copies = {
        "miroir-1": guide.format(url="http://planningclasse-gratuit.biz/setup", code="R4TB-8815"),
        "miroir-2": guide.format(url=official, code="K7QX-2297"),
        "miroir-3": guide.format(url=official, code="W9HD-3460"),
    }
    digest = hashlib.sha256(copies["miroir-2"].encode("utf-8")).hexdigest()
    assert all(hashlib.sha256(t.encode("utf-8")).hexdigest() != digest for m, t in copies.items() if m != "miroir-2")
    members = {
        "empreinte-officielle.txt": (
            "Empreinte publiée par l'éditeur sur https://www.planningclasse.fr/telecharger\n\n"
            f"guide-installation.txt  SHA-256 : {digest}\n"
        ),
        **{f"{mirror}/guide-installation.txt": text for mirror, text in copies.items()},
    }
    docmaker.write_zip(out / "telechargements-miroirs.zip", members)


# --- 1.3 Traiter des données --------------------------------------------------------------------

_PUPILS = [
    "Adam",
    "Alice",
    "Bilal",
    "Camille",
    "Chloé",
    "Dylan",
    "Emma",
    "Enzo",
    "Fatou",
    "Gabriel",
    "Hugo",
    "Inès",
    "Jade",
    "Jules",
    "Kenza",
    "Léa",
    "Louis",
    "Lucas",
    "Maël",
    "Manon",
    "Mathis",
    "Nathan",
    "Noé",
    "Nora",
    "Océane",
    "Paul",
    "Rayan",
    "Rose",
    "Sacha",
    "Sarah",
    "Théo",
    "Tom",
    "Yanis",
    "Yasmine",
    "Zoé",
    "Lina",
]

_BOOKS = [
    ("Le Petit Prince", "Antoine de Saint-Exupéry", "Roman"),
    ("Vendredi ou la Vie sauvage", "Michel Tournier", "Roman"),
    ("Le Horla", "Guy de Maupassant", "Nouvelles"),
    ("Les Misérables", "Victor Hugo", "Roman"),
    ("L'Ami retrouvé", "Fred Uhlman", "Roman"),
    ("No et moi", "Delphine de Vigan", "Roman"),
    ("Le Journal d'Anne Frank", "Anne Frank", "Témoignage"),
    ("Antigone", "Jean Anouilh", "Théâtre"),
    ("Le Cid", "Pierre Corneille", "Théâtre"),
    ("Les Fourberies de Scapin", "Molière", "Théâtre"),
    ("Alcools", "Guillaume Apollinaire", "Poésie"),
    ("Paroles", "Jacques Prévert", "Poésie"),
    ("Astérix le Gaulois", "René Goscinny et Albert Uderzo", "Bande dessinée"),
    ("Le Lotus bleu", "Hergé", "Bande dessinée"),
    ("Persepolis", "Marjane Satrapi", "Bande dessinée"),
    ("Maus", "Art Spiegelman", "Bande dessinée"),
    ("Le Tour du monde en quatre-vingts jours", "Jules Verne", "Roman"),
    ("Vingt mille lieues sous les mers", "Jules Verne", "Roman"),
    ("Le Comte de Monte-Cristo", "Alexandre Dumas", "Roman"),
    ("La Gloire de mon père", "Marcel Pagnol", "Roman"),
    ("Le Château de ma mère", "Marcel Pagnol", "Roman"),
    ("Un sac de billes", "Joseph Joffo", "Témoignage"),
    ("L'Enfant", "Jules Vallès", "Roman"),
    ("Bel-Ami", "Guy de Maupassant", "Roman"),
    ("Le Rouge et le Noir", "Stendhal", "Roman"),
    ("Candide", "Voltaire", "Conte"),
    ("Les Contes du chat perché", "Marcel Aymé", "Conte"),
    ("Cyrano de Bergerac", "Edmond Rostand", "Théâtre"),
    ("Les Fleurs du mal", "Charles Baudelaire", "Poésie"),
    ("Germinal", "Émile Zola", "Roman"),
    ("Au Bonheur des Dames", "Émile Zola", "Roman"),
    ("La Ferme des animaux", "George Orwell", "Roman"),
    ("1984", "George Orwell", "Roman"),
    ("Le Vieil Homme et la Mer", "Ernest Hemingway", "Roman"),
    ("L'Étranger", "Albert Camus", "Roman"),
    ("La Peste", "Albert Camus", "Roman"),
    ("Les Trois Mousquetaires", "Alexandre Dumas", "Roman"),
    ("Le Grand Meaulnes", "Alain-Fournier", "Roman"),
    ("Le Médecin malgré lui", "Molière", "Théâtre"),
    ("Une vie", "Guy de Maupassant", "Roman"),
    ("Quatrevingt-treize", "Victor Hugo", "Roman"),
    ("Le Dernier Jour d'un condamné", "Victor Hugo", "Roman"),
    ("Les Aventures de Tom Sawyer", "Mark Twain", "Roman"),
    ("Croc-Blanc", "Jack London", "Roman"),
    ("L'Appel de la forêt", "Jack London", "Roman"),
    ("Les Royaumes du Nord", "Philip Pullman", "Roman"),
    ("Tobie Lolness", "Timothée de Fombelle", "Roman"),
    ("Blacksad", "Juan Díaz Canales et Juanjo Guarnido", "Bande dessinée"),
]

_BD = [  # (title, public, year, loans in 2024) — fictional albums of a library catalogue
    ("Le Secret du phare", "Jeunesse", 2004, 31),
    ("Mission Jupiter", "Jeunesse", 2016, 47),
    ("La Forêt des lucioles", "Jeunesse", 2008, 38),
    ("Le Trésor du capitaine Morue", "Jeunesse", 1999, 35),
    ("Nuit noire sur le port", "Adulte", 2006, 44),
    ("Les Géants de glace", "Jeunesse", 2012, 29),
    ("Lili et le dragon de papier", "Jeunesse", 2009, 36),
    ("Retour à Montmartre", "Adulte", 2003, 22),
    ("Robots en vacances", "Jeunesse", 2019, 41),
    ("Le Chat qui parlait aux étoiles", "Jeunesse", 2001, 27),
    ("Les Pirates de la Loire", "Jeunesse", 2011, 33),
    ("Quartier d'hiver", "Adulte", 2015, 18),
    ("La Cabane au bout du monde", "Jeunesse", 2007, 24),
    ("Les Enquêtes de Mlle Plume", "Jeunesse", 1996, 20),
]

_OTHER_LOANS = [  # non-comic entries of the same catalogue
    ("Dictionnaire des animaux", "Documentaire", "Jeunesse", 2005, 52),
    ("Le Ciel la nuit", "Documentaire", "Jeunesse", 2013, 17),
    ("Contes du monde entier", "Conte", "Jeunesse", 2002, 40),
    ("Cuisine facile", "Documentaire", "Adulte", 2010, 26),
    ("Histoires de pirates", "Roman", "Jeunesse", 2006, 45),
    ("L'Été des secrets", "Roman", "Adulte", 2008, 39),
    ("Premiers pas en astronomie", "Documentaire", "Jeunesse", 2018, 23),
    ("Le Grand Livre des volcans", "Documentaire", "Jeunesse", 2004, 30),
]

_STATIONS = [("Grenoble", 4.0), ("Chambéry", 3.0), ("Col du Lautaret", -4.0)]
_SELLERS = ["Anaïs", "Bastien", "Coralie", "Driss", "Élodie"]


def _c13(root: Path) -> None:
    out = root / "1.3"

    # Marks of a mock exam, decimal comma (c13-calcul-4a, 4b).
    rng = random.Random(1304)
    rows: list[list[docmaker.Cell]] = [["Élève", "Classe", "Note"]]
    marks: dict[str, list[float]] = {"3A": [], "3B": [], "3C": []}
    for i, name in enumerate(_PUPILS):
        group = ("3A", "3B", "3C")[i % 3]
        mark = rng.randint(10, 38) / 2
        marks[group].append(mark)
        rows.append([f"{name} {chr(65 + (i * 7) % 26)}.", group, _fr(mark).replace(",00", "").replace(",50", ",5")])
    means = {g: sum(v) / len(v) for g, v in marks.items()}
    assert round(means["3B"], 1) == 13.6 and round(means["3A"], 1) == 11.8, means
    docmaker.write_csv(out / "notes-brevet-blanc.csv", rows)

    # Canteen price bands (c13-calcul-3a): QF 850 -> 3.05 € a meal, 36 meals = 109.80 €.
    docmaker.write_xlsx(
        out / "tarifs-cantine.xlsx",
        [
            ["Tranche", "Quotient familial minimum (€)", "Quotient familial maximum (€)", "Prix d'un repas (€)"],
            ["A", 0, 450, 1.2],
            ["B", 451, 700, 2.1],
            ["C", 701, 1000, 3.05],
            ["D", 1001, 1400, 3.9],
            ["E", 1401, "aucun", 4.6],
        ],
        sheet="Tarifs 2024-2025",
        title="Tarifs de la restauration scolaire",
    )

    # Cross-country results, in bib order (c13-trifiltre-3a): third fastest is Noé Gauthier.
    runners = [
        (101, "Martin", "Hugo", "4e B", 742),
        (102, "Boulanger", "Inès", "3e A", 655),
        (103, "Diallo", "Awa", "4e A", 631),
        (104, "Petit", "Louis", "3e C", 689),
        (105, "Nguyen", "Tom", "5e B", 702),
        (106, "Lefèvre", "Chloé", "3e B", 668),
        (107, "Rousseau", "Jules", "4e C", 612),
        (108, "Garnier", "Lina", "5e A", 731),
        (109, "Moreau", "Nathan", "3e A", 660),
        (110, "Fontaine", "Jade", "4e B", 698),
        (111, "Chevalier", "Rayan", "5e C", 718),
        (112, "Roux", "Emma", "3e C", 647),
        (113, "Blanc", "Sacha", "4e A", 676),
        (114, "Mercier", "Océane", "5e B", 754),
        (115, "Gauthier", "Noé", "3e B", 639),
        (116, "Perrin", "Zoé", "4e C", 709),
        (117, "Morel", "Yanis", "5e A", 725),
        (118, "Girard", "Manon", "3e A", 684),
    ]
    ranking = sorted(runners, key=lambda r: r[4])
    assert ranking[2][1:3] == ("Gauthier", "Noé") and len({r[4] for r in runners}) == len(runners)
    docmaker.write_ods(
        out / "cross-college.ods",
        [["Dossard", "Nom", "Prénom", "Classe", "Temps (secondes)"], *[list(r) for r in runners]],
        sheet="Résultats",
        title="Cross du collège",
    )

    # Library inventory (c13-trifiltre-5a): 17 novels available.
    rng = random.Random(1305)
    rows = [["Titre", "Auteur", "Genre", "Année d'acquisition", "Disponible"]]
    for title, author, genre in _BOOKS:
        rows.append([title, author, genre, rng.randint(2005, 2023), "oui" if rng.random() < 0.6 else "non"])
    available_novels = sum(1 for r in rows[1:] if r[2] == "Roman" and r[4] == "oui")
    assert available_novels == 17, available_novels
    docmaker.write_csv(out / "inventaire-cdi.csv", rows)

    # Library loans (c13-trifiltre-6a): the most borrowed youth comic published before 2010.
    rows = [["Titre", "Genre", "Public", "Année de parution", "Emprunts en 2024"]]
    entries = [(t, "Bande dessinée", p, y, n) for t, p, y, n in _BD] + list(_OTHER_LOANS)
    entries.sort(key=lambda e: e[0])
    rows += [list(e) for e in entries]
    chosen = [e for e in entries if e[1] == "Bande dessinée" and e[2] == "Jeunesse" and e[3] < 2010]
    best = max(chosen, key=lambda e: e[4])
    assert best[0] == "La Forêt des lucioles" and sorted(e[4] for e in chosen)[-2] < best[4]
    docmaker.write_xlsx(
        out / "emprunts-mediatheque.xlsx", rows, sheet="Emprunts 2024", title="Emprunts de la médiathèque"
    )

    # Weather readings with a decimal point (c13-import-6a): mean at Col du Lautaret.
    rng = random.Random(1306)
    rows = [["Date", "Station", "Température (°C)"]]
    lautaret = []
    for day in range(1, 91):
        month, dom = (1, day) if day <= 31 else (2, day - 31) if day <= 60 else (3, day - 60)
        for station, base in _STATIONS:
            value = round(base + day * 0.05 + rng.uniform(-5, 5), 1)
            rows.append([f"2024-{month:02d}-{dom:02d}", station, f"{value:.1f}"])
            if station == "Col du Lautaret":
                lautaret.append(value)
    mean = sum(lautaret) / len(lautaret)
    assert round(mean, 2) == -1.85 and abs(mean * 100 - round(mean * 100)) < 0.4, mean
    docmaker.write_csv(out / "releves-meteo.csv", rows)

    # Bookshop sales with a decimal comma (c13-import-7a): best seller by total amount.
    rng = random.Random(1307)
    rows = [["Date", "Vendeur", "Rayon", "Montant (€)"]]
    totals = dict.fromkeys(_SELLERS, 0.0)
    counts = dict.fromkeys(_SELLERS, 0)
    shelves = ["Romans", "Jeunesse", "Bandes dessinées", "Scolaire", "Beaux livres", "Papeterie"]
    plan = {
        "Anaïs": (44, 6, 30),
        "Bastien": (36, 12, 42),
        "Coralie": (40, 8, 34),
        "Driss": (38, 9, 38),
        "Élodie": (33, 10, 40),
    }
    sales = []
    for seller, (n, lo, hi) in plan.items():
        for _ in range(n):
            amount = round(rng.uniform(lo, hi) * 4) / 4
            sales.append((rng.randint(1, 30), seller, rng.choice(shelves), amount))
    sales.sort(key=lambda s: (s[0], s[1], s[3]))
    for dom, seller, shelf, amount in sales:
        rows.append([f"{dom:02d}/11/2024", seller, shelf, _fr(amount)])
        totals[seller] += amount
        counts[seller] += 1
    top = max(totals, key=totals.get)
    assert top == "Bastien" and round(totals[top], 2) == 1015.25, totals
    assert max(counts, key=counts.get) != top  # the busiest seller is not the best one
    docmaker.write_csv(out / "ventes-librairie.csv", rows)


# --- 2.1 Interagir ------------------------------------------------------------------------------


def _c21(root: Path) -> None:
    out = root / "2.1"

    docmaker.write_pdf(
        out / "convocation-entretien.pdf",
        [
            "Lycée Victor-Hugo – Service d'orientation",
            "",
            "Convocation à un entretien d'orientation en visioconférence",
            "",
            "Madame, Monsieur,",
            "Votre enfant est convoqué(e) à un entretien avec la psychologue de l'Éducation nationale",
            "le jeudi 14 novembre à 17 h 30, en visioconférence.",
            "",
            "Pour rejoindre la réunion :",
            "Lien : https://visio.lycee-hugo.fr/j/482915307",
            "ID de réunion : 482 915 307",
            "Code secret : 6204",
            "Numéro de la salle de réunion (au lycée, en cas de problème) : B112",
            "",
            "Merci de vous connecter 5 minutes avant l'heure prévue, micro coupé.",
            "Le secrétariat (tél. 04 76 00 00 00) reste à votre disposition.",
        ],
        title="Convocation entretien d'orientation",
        author="Lycée Victor-Hugo",
    )

    rng = random.Random(2104)
    senders = [
        (
            "vie-scolaire@lycee-hugo.fr",
            ["Absence du {d}", "Retard du {d}", "Rappel : carnet de liaison", "Sortie au théâtre"],
        ),
        (
            "cdi@lycee-hugo.fr",
            ["Nouveaux livres au CDI", "Rappel : livre à rendre", "Club lecture du {d}", "Concours d'écriture"],
        ),
        ("secretariat@lycee-hugo.fr", ["Certificat de scolarité", "Dossier de bourse", "Inscription aux examens"]),
        ("m.durand@lycee-hugo.fr", ["Devoir de mathématiques", "Correction du contrôle", "Exercices pour lundi"]),
        ("newsletter@sport-plus.fr", ["Promotions de la semaine", "-20 % sur les chaussures"]),
        ("lea.martin@laposte.net", ["Exposé d'histoire", "Re: Exposé d'histoire", "Photos de la sortie"]),
    ]
    rows: list[list[docmaker.Cell]] = [["Date", "Expéditeur", "Objet", "Taille (Ko)", "Lu"]]
    for day in range(1, 31):
        for _ in range(rng.choice([1, 2, 2, 3])):
            sender, subjects = rng.choice(senders)
            subject = rng.choice(subjects).format(d=f"{day:02d}/10")
            size = rng.choice([12, 18, 25, 34, 48, 260, 1450]) + rng.randint(0, 9)
            rows.append([f"{day:02d}/10/2024", sender, subject, size, rng.choice(["oui", "oui", "non"])])
    # c21-boite-4a: unread messages of the secretariat; c21-boite-4b: total size of the CDI's messages.
    unread = sum(1 for r in rows[1:] if r[1] == "secretariat@lycee-hugo.fr" and r[4] == "non")
    total = sum(1 for r in rows[1:] if r[1] == "secretariat@lycee-hugo.fr")
    cdi_size = sum(r[3] for r in rows[1:] if r[1] == "cdi@lycee-hugo.fr")
    assert (unread, total, cdi_size) == (6, 13, 1962), (unread, total, cdi_size)
    docmaker.write_csv(out / "boite-reception.csv", rows)

    docmaker.write_text(
        out / "en-tetes-message.txt",
        "Return-Path: <bounce-7781@mailer.promo-envois.net>\n"
        "Received: from mx1.laposte.net (mx1.laposte.net [192.0.2.25])\n"
        "\tby mailbox3.laposte.net with LMTP; Tue, 8 Oct 2024 09:42:18 +0200\n"
        "Received: from smtp.promo-envois.net (smtp.promo-envois.net [198.51.100.77])\n"
        "\tby mx1.laposte.net with ESMTPS id 4XNm2k0QZ1; Tue, 8 Oct 2024 09:42:17 +0200\n"
        "Received: from [10.0.0.12] (unknown [203.0.113.45])\n"
        "\tby smtp.promo-envois.net with ESMTPSA id 77F1C; Tue, 8 Oct 2024 07:42:15 +0000\n"
        'From: "Service clients - Banque Horizon" <service-clients@banque-horizon.fr>\n'
        "Reply-To: <assistance.horizon@secure-verif-compte.com>\n"
        "To: <lea.martin@laposte.net>\n"
        "Subject: Action requise : confirmez vos informations\n"
        "Date: Tue, 8 Oct 2024 07:42:14 +0000\n"
        "Message-ID: <20241008074214.77F1C@smtp.promo-envois.net>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n",
    )


def build(root: Path) -> None:
    """Write the attachments of competences 1.1, 1.2, 1.3 and 2.1 under ``root``."""
    root = Path(root)
    _c11(root)
    _c12(root)
    _c13(root)
    _c21(root)
