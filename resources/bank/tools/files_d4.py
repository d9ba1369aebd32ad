"""Attachments of competences 4.1, 4.2, 4.3 and 5.2 (domain 4 and part of domain 5).

Every value is fixed in this file, so the output is byte-for-byte reproducible. The answers of the
challenges that use these files are written next to the data that produces them (comments), and
the ``verify`` checks of the competence files prove them against the generated files.
"""

from __future__ import annotations

import tempfile
import textwrap
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import docmaker

# --- helpers ----------------------------------------------------------------------------------


def _wrap(paragraphs: list[str], width: int = 78) -> list[str]:
    """PDF lines: every paragraph wrapped to ``width`` characters; "" is a blank line."""
    lines: list[str] = []
    for p in paragraphs:
        if not p:
            lines.append("")
            continue
        indent = "    " if p.startswith("- ") else ""
        lines.extend(textwrap.wrap(p, width=width, subsequent_indent=indent) or [""])
    return lines


def _pdf_bytes(lines: list[str], *, title: str, author: str = "Cadenas") -> bytes:
    """A PDF written by docmaker, returned as bytes (to be stored inside an archive)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        docmaker.write_pdf(path, lines, title=title, author=author)
        return path.read_bytes()


def _png_bytes(width: int, height: int, pixel, text: dict[str, str] | None = None) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "img.png"
        docmaker.write_png(path, width, height, pixel, text=text)
        return path.read_bytes()


def _decimal_fr(value: Decimal) -> str:
    """A number with one decimal and a decimal comma, as a French spreadsheet writes it."""
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)).replace(".", ",")


# --- 4.1 Sécuriser l'environnement numérique ----------------------------------------------------

HOME_IP = "198.51.100.23"  # box of the account owner (France)
MOBILE_IP = "198.51.100.87"  # smartphone of the account owner (France)
ATTACKER_IP = "203.0.113.47"  # brute-force attack, ends with a success
STRAY_IP = "192.0.2.150"  # a few unrelated failures from abroad

#: Brute-force attempts (all failures) on the night of 06/03/2025, then one success at 02:51.
ATTACK_MINUTES = [11, 12, 12, 13, 14, 15, 15, 16, 18, 19, 20, 21, 23] + [
    24,
    26,
    27,
    29,
    31,
    33,
    34,
    36,
    38,
    41,
    44,
    47,
    48,
]


def connection_log() -> list[list[str]]:
    """Connection log of a mailbox over one week (answers: c41-compte-3a and c41-compte-5a).

    Failures: 2 (owner's typos) + 3 (stray IP) + 26 (attacker) = 31; attacker failures: 26.
    """
    rows: list[tuple[str, str, str, str, str, str]] = []
    pc, phone, unknown = "PC Windows - Firefox", "Android - application Mail", "Inconnu (script)"
    days = ["03", "04", "05", "06", "07", "08", "09"]
    routine = {
        "03": [("07:42", MOBILE_IP, phone), ("18:05", HOME_IP, pc)],
        "04": [("07:39", MOBILE_IP, phone), ("12:31", MOBILE_IP, phone), ("19:14", HOME_IP, pc)],
        "05": [("07:45", MOBILE_IP, phone), ("17:58", HOME_IP, pc)],
        "06": [("07:41", MOBILE_IP, phone), ("20:22", HOME_IP, pc)],
        "07": [("07:50", MOBILE_IP, phone), ("12:47", MOBILE_IP, phone), ("18:33", HOME_IP, pc)],
        "08": [("10:16", HOME_IP, pc), ("21:09", MOBILE_IP, phone)],
        "09": [("11:02", HOME_IP, pc), ("19:40", MOBILE_IP, phone)],
    }
    for day in days:
        for hour, ip, device in routine[day]:
            rows.append((day, hour, ip, "France", device, "Réussie"))
    # the owner mistypes the password twice, just before a successful login
    rows.append(("04", "19:13", HOME_IP, "France", pc, "Échec"))
    rows.append(("07", "18:32", HOME_IP, "France", pc, "Échec"))
    # a few isolated failures from abroad
    for hour in ("14:02", "14:03", "14:05"):
        rows.append(("05", hour, STRAY_IP, "Brésil", unknown, "Échec"))
    # the brute-force attack, then its success
    for minute in ATTACK_MINUTES:
        rows.append(("06", f"02:{minute:02d}", ATTACKER_IP, "Pays-Bas", unknown, "Échec"))
    rows.append(("06", "02:51", ATTACKER_IP, "Pays-Bas", unknown, "Réussie"))
    rows.sort(key=lambda r: (r[0], r[1]))
    header = ["Date", "Heure", "Adresse IP", "Pays", "Appareil", "Résultat"]
    return [header] + [[f"{d}/03/2025", h, ip, country, dev, res] for d, h, ip, country, dev, res in rows]


def _phishing_mail(sender: str, subject: str, greeting: str, body: list[str], button: str, url: str) -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<div style="font-family: Arial, sans-serif; max-width: 640px; margin: auto;">
<table style="border-bottom: 1px solid #ccc; width: 100%; font-size: 14px;">
<tr><td><strong>De :</strong></td><td>{sender}</td></tr>
<tr><td><strong>À :</strong></td><td>vous@messagerie.example</td></tr>
<tr><td><strong>Objet :</strong></td><td>{subject}</td></tr>
</table>
<p>{greeting}</p>
{paragraphs}
<p style="text-align: center; margin: 30px;">
<a href="{url}" style="background: #0c419a; color: #fff; padding: 12px 24px;
 text-decoration: none; border-radius: 4px;">{button}</a>
</p>
<p style="font-size: 12px; color: #555;">Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :<br>
{url}</p>
</div>"""


def build_41(root: Path) -> None:
    """Connection log, two phishing e-mails and an archive hiding a disguised script."""
    out = root / "4.1"
    docmaker.write_csv(out / "connexions.csv", connection_log())

    # c41-phish-4a: the button leads to the domain remboursement-assure.com
    docmaker.write_html(
        out / "courriel_remboursement.html",
        "Votre remboursement est en attente",
        _phishing_mail(
            "Assurance Maladie &lt;ne-pas-repondre@remboursement-assure.com&gt;",
            "Votre remboursement de 148,60 € est en attente",
            "Madame, Monsieur,",
            [
                "Suite à un nouveau calcul de vos remboursements de soins, un montant de <strong>148,60 €</strong> "
                "est en attente de versement.",
                "Pour le recevoir, vous devez confirmer vos coordonnées bancaires sous 48 heures. Passé ce délai, "
                "le montant sera définitivement perdu.",
                "Nous vous remercions de votre confiance.<br>Le service des remboursements",
            ],
            "Consulter mon remboursement",
            "https://www.ameli.fr.remboursement-assure.com/connexion?dossier=88412",
        ),
    )
    # c41-phish-4b: the button leads to the domain fr-espace-client.info
    docmaker.write_html(
        out / "courriel_banque.html",
        "Action requise sur votre compte",
        _phishing_mail(
            "Banque Horizon &lt;securite@fr-espace-client.info&gt;",
            "Action requise : votre accès sera suspendu",
            "Cher client,",
            [
                "Dans le cadre de la nouvelle directive européenne de sécurité des paiements, nous devons vérifier "
                "votre identité.",
                "Sans action de votre part avant ce soir minuit, l'accès à votre espace client et votre carte "
                "bancaire seront suspendus.",
                "Cordialement,<br>Le service sécurité de Banque Horizon",
            ],
            "Vérifier mon identité",
            "https://banquehorizon.fr-espace-client.info/auth/verification",
        ),
    )

    # c41-logi-5a: the disguised script is Documents_administratifs/Factures/Avis_de_paiement.pdf.js
    base = "Documents_administratifs/"
    invoice = _pdf_bytes(
        _wrap(["Facture d'électricité - mars 2025", "", "Montant à payer : 64,20 euros", "Échéance : 15/04/2025"]),
        title="Facture mars 2025",
    )
    notice = _pdf_bytes(
        _wrap(["Avis de paiement - février 2025", "", "Cantine scolaire : 52,80 euros", "Prélevé le 05/03/2025"]),
        title="Avis de paiement février",
    )
    certificate = _pdf_bytes(
        _wrap(["Certificat de scolarité", "", "Année scolaire 2024-2025", "Classe : seconde 4"]),
        title="Certificat de scolarité",
    )
    scan = _png_bytes(60, 40, docmaker.rectangles((40, 110, 60), [(5, 5, 55, 35, (230, 230, 230))]))
    script = (
        "// Fichier d'exercice Cadenas : ce script ne fait rien.\n"
        "// Un vrai fichier « .pdf.js » serait exécuté par Windows Script Host (WScript)\n"
        "// et pourrait installer un logiciel malveillant.\n"
        "var message = 'exercice';\n"
    )
    docmaker.write_zip(
        out / "pieces_jointes.zip",
        {
            base + "Lisez-moi.txt": "Voici les documents que tu m'as demandés. Bonne journée !\n",
            base + "Factures/Avis_de_paiement.pdf.js": script,
            base + "Factures/Avis_de_paiement_fevrier.pdf": notice,
            base + "Factures/Facture_electricite_mars.pdf": invoice,
            base + "Photos/Scan_carte_vitale.png": scan,
            base + "Scolarite/Certificat_de_scolarite.pdf": certificate,
        },
    )


# --- 4.2 Protéger les données personnelles et la vie privée -------------------------------------

PRIVACY_POLICY = [
    "Politique de confidentialité de l'application ClasseTchat",
    "Version du 1er septembre 2025",
    "",
    "1. Qui traite vos données ?",
    "ClasseTchat SAS, 12 rue des Écoles, 69000 Lyon, est responsable du traitement. "
    "Délégué à la protection des données : dpo@classetchat.example",
    "",
    "2. Quelles données collectons-nous ?",
    "Vos nom, prénom, classe et établissement ; vos messages et leurs pièces jointes ; votre photo de "
    "profil (facultative) ; vos données de connexion (adresse IP, date et heure).",
    "",
    "3. Pourquoi ?",
    "Pour faire fonctionner la messagerie entre élèves, parents et enseignants et pour assurer sa "
    "sécurité. Nous ne vendons pas vos données et n'affichons aucune publicité.",
    "",
    "4. Combien de temps conservons-nous vos données ?",
    "- Votre photo de profil est supprimée dès la suppression de votre compte.",
    # c42-droits-4a: 45 days
    "- Vos messages sont conservés 45 jours après la suppression de votre compte, afin de pouvoir "
    "restituer une conversation en cas de litige, puis ils sont effacés définitivement.",
    "- Vos données de connexion sont conservées 12 mois, conformément à la loi.",
    "- Un compte resté inactif pendant 24 mois est supprimé automatiquement.",
    "",
    "5. Vos droits",
    "Vous pouvez accéder à vos données, les rectifier, les effacer, demander la limitation de leur "
    "traitement ou vous y opposer, en écrivant à dpo@classetchat.example. Nous répondons dans un "
    "délai d'un mois. Vous pouvez aussi introduire une réclamation auprès de la CNIL.",
]

#: c42-droits-7a: articles 3, 5 and 7 break the GDPR; 2, 4 and 6 are lawful.
APP_TERMS = [
    "Conditions de confidentialité de l'application PasAPas (podomètre connecté)",
    "",
    "Article 1 - Le responsable du traitement est PasAPas SAS, 4 quai de la Fosse, 44000 Nantes. "
    "Contact du délégué à la protection des données : dpo@pasapas.example",
    "",
    "Article 2 - Les données de connexion (adresse IP, date et heure) sont conservées un an, afin de "
    "respecter l'obligation légale de conservation imposée aux hébergeurs.",
    "",
    "Article 3 - En créant votre compte, vous acceptez que votre rythme cardiaque et vos données de "
    "sommeil soient vendus à nos partenaires publicitaires. La case correspondante est pré-cochée.",
    "",
    "Article 4 - Vos données sont hébergées aux États-Unis chez un prestataire certifié dans le cadre "
    "du Data Privacy Framework UE - États-Unis, reconnu adéquat par la Commission européenne.",
    "",
    "Article 5 - Toutes vos données (profil, historique d'activité, données de santé) sont conservées "
    "10 ans après la suppression de votre compte, afin d'entraîner nos algorithmes.",
    "",
    "Article 6 - Nous pouvons refuser une demande d'exercice de vos droits manifestement infondée ou "
    "excessive, notamment par son caractère répétitif ; nous vous en indiquons alors les motifs.",
    "",
    "Article 7 - Toute demande d'accès à vos données donne lieu à des frais de dossier de 15 euros.",
    "",
    "Article 8 - Vous pouvez introduire une réclamation auprès de la CNIL.",
]


def _photo(width: int, height: int) -> object:
    """A simple landscape: sky, sea, sand and a sun."""
    return docmaker.rectangles(
        (120, 180, 235),
        [
            (0, height // 2, width, height, (30, 90, 160)),
            (0, height * 3 // 4, width, height, (225, 200, 140)),
            (width - 40, 10, width - 15, 35, (250, 215, 60)),
        ],
    )


def build_42(root: Path) -> None:
    """Two privacy policies (PDF) and three images with text metadata."""
    out = root / "4.2"
    docmaker.write_pdf(
        out / "politique_confidentialite.pdf", _wrap(PRIVACY_POLICY), title="Politique de confidentialité ClasseTchat"
    )
    docmaker.write_pdf(out / "conditions_pasapas.pdf", _wrap(APP_TERMS), title="Conditions de confidentialité PasAPas")
    # c42-meta-3a: Author = Inès Garnier
    docmaker.write_png(
        out / "photo_sortie.png",
        160,
        120,
        docmaker.rectangles(
            (200, 190, 170),
            [(20, 30, 60, 110, (90, 60, 40)), (70, 25, 105, 110, (40, 70, 120)), (115, 35, 150, 110, (150, 40, 50))],
        ),
        text={
            "Title": "Sortie au musée",
            "Author": "Inès Garnier",
            "Description": "Photo de groupe devant l'entrée",
            "Software": "GIMP 2.10.36",
            "Creation Time": "2025:03:14 15:42:10",
        },
    )
    # c42-meta-3b: Author = Mathis Lefebvre
    docmaker.write_png(
        out / "affiche_concert.png",
        120,
        170,
        docmaker.rectangles(
            (250, 235, 200),
            [(10, 10, 110, 50, (120, 30, 90)), (25, 70, 95, 130, (240, 170, 40)), (10, 145, 110, 160, (120, 30, 90))],
        ),
        text={
            "Title": "Concert de printemps de la chorale",
            "Author": "Mathis Lefebvre",
            "Copyright": "CC BY 4.0",
            "Software": "Inkscape 1.3",
        },
    )
    # c42-meta-5a: GPS position in Marseille (Vieux-Port)
    docmaker.write_png(
        out / "photo_vacances.png",
        160,
        120,
        _photo(160, 120),
        text={
            "Title": "IMG_2041",
            "Make": "Fairphone",
            "Model": "FP5",
            "Creation Time": "2025:07:21 18:03:55",
            "GPSLatitude": "43.2951",
            "GPSLatitudeRef": "N",
            "GPSLongitude": "5.3700",
            "GPSLongitudeRef": "E",
        },
    )


# --- 4.3 Protéger la santé, le bien-être et l'environnement -------------------------------------

#: (application, category, minutes Monday → Sunday; None = not used that day)
SCREEN_TIME = [
    ("Instagram", "Réseaux sociaux", [35, 28, 52, 31, 44, 75, 68]),
    ("Snapchat", "Réseaux sociaux", [22, 18, 40, 25, 30, 55, 47]),
    ("TikTok", "Réseaux sociaux", [48, None, 61, 39, 57, 94, 88]),
    ("YouTube", "Vidéo", [30, 45, 60, 25, 40, 90, 110]),
    ("Brawl Stars", "Jeux", [None, 25, 45, None, 30, 70, 65]),
    ("Clash Royale", "Jeux", [15, None, 20, 10, None, 35, None]),
    ("WhatsApp", "Messagerie", [12, 15, 10, 14, 18, 20, 16]),
    ("Pronote", "Éducation", [8, 10, 5, 9, 7, None, 12]),
]
DAYS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]


def screen_time() -> list[list[str | int]]:
    """Screen time of a week (answers: c43-sante-4a Réseaux sociaux = 957, c43-sante-4b Jeux = 315)."""
    rows: list[list[str | int]] = [["Jour", "Application", "Catégorie", "Minutes"]]
    for d, day in enumerate(DAYS):
        for app, category, minutes in SCREEN_TIME:
            if minutes[d] is not None:
                rows.append([day, app, category, minutes[d]])
    return rows


#: (device, room, mode, power in W, hours per day)
DEVICES = [
    ("Téléviseur", "Salon", "Marche", "90", "3"),
    ("Téléviseur", "Salon", "Veille", "0.5", "21"),
    ("Décodeur TV", "Salon", "Marche", "15", "3"),
    ("Décodeur TV", "Salon", "Veille", "11", "21"),
    ("Console de jeux", "Salon", "Marche", "120", "1.5"),
    ("Console de jeux", "Salon", "Veille", "10", "22.5"),
    ("Box Internet", "Entrée", "Marche", "12", "24"),
    ("Ordinateur fixe", "Bureau", "Marche", "150", "2"),
    ("Ordinateur fixe", "Bureau", "Veille", "2", "22"),
    ("Écran d'ordinateur", "Bureau", "Marche", "25", "2"),
    ("Écran d'ordinateur", "Bureau", "Veille", "0.3", "22"),
    ("Imprimante", "Bureau", "Marche", "300", "0.1"),
    ("Imprimante", "Bureau", "Veille", "4", "23.9"),
    ("Enceinte connectée", "Cuisine", "Marche", "5", "2"),
    ("Enceinte connectée", "Cuisine", "Veille", "2", "22"),
]


def energy() -> list[list[str]]:
    """Yearly consumption of a household's devices (answer: c43-eco-4a, standby total 239.7 kWh)."""
    rows = [["Appareil", "Pièce", "Mode", "Puissance (W)", "Heures par jour", "kWh par an"]]
    for device, room, mode, watts, hours in DEVICES:
        kwh = Decimal(watts) * Decimal(hours) * 365 / 1000
        rows.append([device, room, mode, watts.replace(".", ","), hours.replace(".", ","), _decimal_fr(kwh)])
    return rows


def build_43(root: Path) -> None:
    """Screen-time and household energy CSV files."""
    out = root / "4.3"
    docmaker.write_csv(out / "temps_ecran.csv", screen_time())
    docmaker.write_csv(out / "consommation_foyer.csv", energy())


# --- 5.2 Évoluer dans un environnement numérique ------------------------------------------------

IPCONFIG = """Configuration IP de Windows

   Nom de l'hôte . . . . . . . . . . : PC-SALON
   Suffixe DNS principal . . . . . . :
   Type de noeud. . . . . . . . . .  : Hybride
   Routage IP activé . . . . . . . . : Non
   Proxy WINS activé . . . . . . . . : Non
   Liste de recherche du suffixe DNS.: home

Carte Ethernet Ethernet :

   Statut du média. . . . . . . . . . . . : Média déconnecté
   Suffixe DNS propre à la connexion. . . :
   Description. . . . . . . . . . . . . . : Realtek PCIe GbE Family Controller
   Adresse physique . . . . . . . . . . . : 10-7B-44-8E-2D-31
   DHCP activé. . . . . . . . . . . . . . : Oui
   Configuration automatique activée. . . : Oui

Carte Ethernet VirtualBox Host-Only Network :

   Suffixe DNS propre à la connexion. . . :
   Description. . . . . . . . . . . . . . : VirtualBox Host-Only Ethernet Adapter
   Adresse physique . . . . . . . . . . . : 0A-00-27-00-00-0C
   DHCP activé. . . . . . . . . . . . . . : Non
   Configuration automatique activée. . . : Oui
   Adresse IPv6 de liaison locale. . . . .: fe80::5d1c:9a2e:41b7:8c03%7(préféré)
   Adresse IPv4. . . . . . . . . . . . . .: 192.168.56.1(préféré)
   Masque de sous-réseau. . . . . . . . . : 255.255.255.0
   Passerelle par défaut. . . . . . . . . :
   NetBIOS sur Tcpip. . . . . . . . . . . : Activé

Carte réseau sans fil Wi-Fi :

   Suffixe DNS propre à la connexion. . . : home
   Description. . . . . . . . . . . . . . : Intel(R) Wi-Fi 6 AX201 160MHz
   Adresse physique . . . . . . . . . . . : A4-C3-F0-5B-12-9E
   DHCP activé. . . . . . . . . . . . . . : Oui
   Configuration automatique activée. . . : Oui
   Adresse IPv6 de liaison locale. . . . .: fe80::1a3f:77c2:9e04:d5a1%12(préféré)
   Adresse IPv4. . . . . . . . . . . . . .: 192.168.1.23(préféré)
   Masque de sous-réseau. . . . . . . . . : 255.255.255.0
   Bail obtenu. . . . . . . . . . . . . . : lundi 3 mars 2025 08:12:45
   Bail expirant. . . . . . . . . . . . . : mardi 4 mars 2025 08:12:45
   Passerelle par défaut. . . . . . . . . : 192.168.1.254
   Serveur DHCP . . . . . . . . . . . . . : 192.168.1.254
   Serveurs DNS. . . . . . . . . . . . .  : 192.168.1.254
   NetBIOS sur Tcpip. . . . . . . . . . . : Activé
"""

LAPTOP_SHEET = [
    "Fiche technique - Ordinateur portable NovaBook 15 (référence NB15-2025)",
    "",
    "Processeur : 8 coeurs / 16 threads, jusqu'à 4,6 GHz, mémoire cache 12 Mo",
    # c52-materiel-4a: 2 x 8 = 16 Go of RAM
    "Mémoire : 2 x 8 Go DDR5-5600 SO-DIMM (2 emplacements, extensible à 32 Go)",
    "Stockage : SSD M.2 NVMe 512 Go",
    "Carte graphique : 6 Go GDDR6 dédiés",
    "Écran : 15,6 pouces, 1920 x 1080 pixels, 144 Hz",
    "Connectique : 2 x USB-C (dont 1 Thunderbolt 4), 2 x USB-A 3.2, HDMI 2.1, prise jack 3,5 mm",
    "Réseau : Wi-Fi 6E, Bluetooth 5.3, Ethernet 2,5 Gbit/s",
    "Batterie : 70 Wh, autonomie annoncée jusqu'à 10 heures",
    "Poids : 1,9 kg",
    "Système d'exploitation : Windows 11 Famille",
    "Garantie : 2 ans pièces et main-d'oeuvre",
]


def build_52(root: Path) -> None:
    """Two folder-tree archives, an ipconfig output and a laptop spec sheet."""
    out = root / "5.2"
    # c52-fichiers-3a: mot magique ORNITHORYNQUE
    docmaker.write_zip(
        out / "dossier_classe.zip",
        {
            "Classe_3B/Lisez-moi.txt": "Ce dossier contient les documents partagés de la classe de 3e B.\n",
            "Classe_3B/Francais/Lectures/liste_livres.txt": "Le Horla ; Les Fourberies de Scapin ; No et moi\n",
            "Classe_3B/Francais/Redactions/brouillon.txt": "Brouillon : il n'y a pas de mot magique ici.\n",
            "Classe_3B/Histoire-Geo/Cartes/legende.txt": "Légende de la carte des reliefs de la France.\n",
            "Classe_3B/Sciences/Physique/formules.txt": "v = d / t\nP = m x g\n",
            "Classe_3B/Sciences/SVT/TP/Compte-rendus/2025/mot_magique.txt": (
                "Bravo, vous avez trouvé le fichier !\nLe mot magique est : ORNITHORYNQUE\n"
            ),
            "Classe_3B/Vie_de_classe/delegues.txt": "Délégués : Yasmine et Hugo.\n",
        },
    )
    # c52-fichiers-3b: mot magique SALAMANDRE
    docmaker.write_zip(
        out / "projet_sciences.zip",
        {
            "Projet_Sciences/Consignes.txt": "Exposé sur les amphibiens, à rendre le 12 mai.\n",
            "Projet_Sciences/Groupe_1/plan.txt": "1. Introduction\n2. Les grenouilles\n3. Conclusion\n",
            "Projet_Sciences/Groupe_2/Brouillons/notes.txt": "Penser à citer les sources des images.\n",
            "Projet_Sciences/Groupe_2/Ressources/Images/Sources/indice.txt": (
                "Félicitations ! Le mot magique est : SALAMANDRE\n"
            ),
            "Projet_Sciences/Groupe_2/Ressources/liens.txt": "Sites consultés : encyclopédie, muséum.\n",
            "Projet_Sciences/Groupe_3/diaporama_plan.txt": "Diapositive 1 : titre\nDiapositive 2 : sommaire\n",
        },
    )
    # c52-reseau-5a: gateway 192.168.1.254, Wi-Fi MAC A4-C3-F0-5B-12-9E
    docmaker.write_text(out / "ipconfig.txt", IPCONFIG)
    docmaker.write_pdf(out / "fiche_technique.pdf", _wrap(LAPTOP_SHEET), title="Fiche technique NovaBook 15")


def build(root: Path) -> None:
    """Write every attachment of competences 4.1, 4.2, 4.3 and 5.2 under ``root``."""
    root = Path(root)
    build_41(root)
    build_42(root)
    build_43(root)
    build_52(root)
