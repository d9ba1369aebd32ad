"""Attachments of competences 2.2, 2.3, 2.4 and 3.1 (see ``make_attachments.py``).

``build(root)`` writes every file under ``root/<competence code>/``. All data is fixed in this
module, so the output is byte-for-byte reproducible. Where a challenge's answer is computed from a
file (a number of replacements, a poll winner), the generator asserts it, so that editing the data
without updating the challenge fails loudly here as well as in ``cadenas bank check``.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import docmaker

# --- helpers ------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    return f'<table border="1">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>'


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(f"<p>{escape(line)}</p>" for line in lines)


# --- 2.2 Partager et publier --------------------------------------------------------------------


def _sharing_page(folder: str, owner: str, people: list[list[str]], general: str) -> str:
    return (
        f"<h1>Partager « {escape(folder)} »</h1>\n"
        f"<p>Dossier appartenant à {escape(owner)} – espace de stockage en ligne de l'établissement.</p>\n"
        "<h2>Personnes et groupes ayant accès</h2>\n"
        + _table(["Nom", "Adresse", "Rôle"], people)
        + "\n<h2>Rôles</h2>\n"
        + _paragraphs(
            [
                "Lecteur : peut ouvrir et télécharger les fichiers.",
                "Commentateur : peut ouvrir les fichiers et ajouter des commentaires.",
                "Éditeur : peut modifier, ajouter, renommer et supprimer des fichiers.",
                "Propriétaire : peut tout faire, y compris gérer le partage et supprimer le dossier.",
            ]
        )
        + "\n<h2>Accès général</h2>\n"
        + f"<p>{escape(general)}</p>"
    )


def _build_22(out: Path) -> None:
    docmaker.write_html(
        out / "partage_sortie.html",
        "Partager « Sortie Futuroscope – 4e B »",
        _sharing_page(
            "Sortie Futuroscope – 4e B",
            "Claire Roussel",
            [
                ["Claire Roussel (vous)", "c.roussel@college-jean-moulin.example", "Propriétaire"],
                ["Sophie Marchand", "s.marchand@college-jean-moulin.example", "Commentateur"],
                ["Groupe « Parents 4e B » (24 membres)", "parents-4eb@college-jean-moulin.example", "Lecteur"],
                ["Karim Benali", "k.benali@college-jean-moulin.example", "Éditeur"],
                ["Julien Caron", "j.caron@college-jean-moulin.example", "Lecteur"],
                ["Agnès Poulain", "a.poulain@college-jean-moulin.example", "Lecteur"],
            ],
            "Restreint : seules les personnes et les groupes ajoutés ci-dessus peuvent ouvrir le dossier.",
        ),
    )
    docmaker.write_html(
        out / "partage_theatre.html",
        "Partager « Club théâtre – textes et costumes »",
        _sharing_page(
            "Club théâtre – textes et costumes",
            "Thomas Lefèvre",
            [
                ["Thomas Lefèvre (vous)", "t.lefevre@lycee-condorcet.example", "Propriétaire"],
                ["Anaïs Perrot", "a.perrot@lycee-condorcet.example", "Lecteur"],
                ["Groupe « Club théâtre » (15 membres)", "club-theatre@lycee-condorcet.example", "Commentateur"],
                ["Mathis Dupré", "m.dupre@lycee-condorcet.example", "Commentateur"],
                ["Élodie Vasseur", "e.vasseur@lycee-condorcet.example", "Éditeur"],
            ],
            "Toute personne disposant du lien peut ouvrir le dossier avec le rôle : Commentateur.",
        ),
    )
    docmaker.write_html(
        out / "licence_phare.html",
        "Phare au crépuscule, Ouessant – banque d'images",
        "<h1>Phare au crépuscule, Ouessant</h1>\n"
        + _paragraphs(
            [
                "Photographie : Maëlle Kerboriou",
                "Publiée le 3 septembre 2021 – 4000 × 2667 pixels – format JPEG",
                "Mots-clés : phare, Bretagne, mer, coucher de soleil",
            ]
        )
        + "\n<h2>Licence</h2>\n"
        + "<p>Cette photographie est mise à disposition selon les termes de la licence Creative Commons "
        "<strong>CC BY-SA 4.0</strong> (Attribution – Partage dans les mêmes conditions 4.0 International).</p>\n"
        + "<p>Crédit à indiquer en cas de réutilisation : « Maëlle Kerboriou, CC BY-SA 4.0 ».</p>\n"
        + '<p><a href="https://creativecommons.org/licenses/by-sa/4.0/deed.fr">Lire le résumé de la licence</a></p>',
    )
    charter = [
        "1. Restez courtois : pas d'insultes ni de moqueries.",
        "2. Ne publiez jamais d'informations personnelles concernant une autre personne (adresse, numéro de "
        "téléphone, photo, emploi du temps, lieux fréquentés…) sans son accord.",
        "3. Pas de publicité commerciale.",
        "4. Citez vos sources quand vous reprenez un texte ou une image.",
    ]
    messages = [
        ("Maman_de_Lou", "lundi 18 h 02",
         "Bonjour à tous ! Qui peut emmener des enfants au tournoi de handball de samedi à Vernon ? "
         "J'ai deux places dans ma voiture. Vous pouvez m'écrire à mon adresse : lou.parent@courriel.example."),
        ("PapaDeNoah", "lundi 18 h 40",
         "Je peux prendre trois enfants. Le plan d'accès au gymnase est sur le site de la mairie de Vernon, "
         "rubrique Sports."),
        ("Karima59", "lundi 20 h 15",
         "Voici l'affiche officielle du tournoi, reprise du site du club (source : site du club de handball)."),
        ("Gilles_R", "lundi 21 h 03",
         "Je ne peux pas conduire cette fois. La coach ne répond pas au téléphone, mais je sais qu'elle est "
         "chez le kiné tous les mercredis de 14 h à 16 h, au 3 place du Marché : vous pouvez l'attendre à la "
         "sortie pour lui demander les horaires."),
        ("Sandrine.B", "mardi 7 h 55",
         "Merci pour l'organisation ! Pour ceux qui ont besoin de chaussures de sport, j'en ai une paire "
         "pointure 36 que mon fils ne met plus, je la donne volontiers."),
        ("Modération", "mardi 9 h 10",
         "Rappel : merci à toutes et à tous de respecter la charte du forum."),
        ("PapaDeNoah", "mardi 12 h 30",
         "Il me reste une place. Départ prévu samedi à 8 h 15 devant le collège."),
    ]
    thread = "".join(
        f"<div class=\"message\"><p><strong>{escape(who)}</strong> – {escape(when)}</p><p>{escape(text)}</p></div>\n"
        for who, when, text in messages
    )
    docmaker.write_html(
        out / "forum_parents.html",
        "Forum des parents d'élèves – Covoiturage tournoi de handball",
        "<h1>Forum des parents d'élèves du collège Jean-Moulin</h1>\n<h2>Charte du forum (extrait)</h2>\n"
        + _paragraphs(charter)
        + "\n<h2>Sujet : covoiturage pour le tournoi de handball de samedi</h2>\n"
        + thread,
    )


# --- 2.3 Collaborer -----------------------------------------------------------------------------


POLL_DATES = ["Lundi 11 mars", "Mardi 12 mars", "Jeudi 14 mars", "Vendredi 15 mars"]
POLL = {
    "Amel": ["Oui", "Non", "Oui", "Oui"],
    "Bastien": ["Non", "Oui", "Oui", "Si besoin"],
    "Chloé": ["Oui", "Si besoin", "Non", "Oui"],
    "David": ["Non", "Oui", "Oui", "Oui"],
    "Emma": ["Si besoin", "Oui", "Oui", "Non"],
    "Farid": ["Oui", "Non", "Si besoin", "Oui"],
    "Gaëlle": ["Non", "Si besoin", "Oui", "Non"],
}


def _build_23(out: Path) -> None:
    docmaker.write_odt(
        out / "organisation_sortie.odt",
        [
            "Organisation de la sortie au musée des Beaux-Arts – classe de 5e C",
            "Document partagé entre Mme Girard (professeure responsable), Inès Moreau et Tom Lacroix "
            "(délégués de classe).",
            "TEXTE ACTUEL DU DOCUMENT (avant traitement des modifications)",
            "La sortie aura lieu le mardi 14 mai. Le départ est fixé à 8 h 30 devant le collège. "
            "Le retour est prévu vers 16 h 45. Chaque élève apporte un pique-nique.",
            "MODIFICATIONS PROPOSÉES (mode suivi des modifications)",
            "Modification 1 – proposée par Inès Moreau : remplacer « mardi 14 mai » par « jeudi 16 mai ». "
            "Décision de Mme Girard : acceptée.",
            "Modification 2 – proposée par Tom Lacroix : remplacer « 8 h 30 » par « 8 h 15 ». "
            "Décision de Mme Girard : refusée.",
            "Modification 3 – proposée par Tom Lacroix : remplacer « jeudi 16 mai » par « vendredi 17 mai ». "
            "Décision de Mme Girard : refusée.",
            "Modification 4 – proposée par Inès Moreau : remplacer « 16 h 45 » par « 17 h 00 ». "
            "Décision de Mme Girard : acceptée.",
            "Modification 5 – proposée par Inès Moreau : supprimer la phrase « Chaque élève apporte un pique-nique. » "
            "Décision de Mme Girard : en attente.",
            "COMMENTAIRES",
            "Commentaire de Mme Girard : « Le musée est fermé le mardi, d'où le changement de date. »",
            "Réponse de Tom Lacroix : « D'accord, mais le bus ne peut pas venir plus tôt que 8 h 30 ce jour-là ? »",
        ],
        title="Organisation de la sortie au musée",
        author="Mme Girard",
    )
    docmaker.write_zip(
        out / "versions_affiche.zip",
        {
            "affiche_fete/affiche_2024-05-30.txt": "Affiche de la fête de la musique du collège\n"
            "Dernière modification : 30/05/2024 par Yanis\n\nSlogan : Un été en musique\n"
            "Date de la fête : vendredi 21 juin, de 17 h à 20 h, cour du collège\n",
            "affiche_fete/affiche_finale.txt": "Affiche de la fête de la musique du collège\n"
            "Dernière modification : 31/05/2024 par Zoé\n\nSlogan : Fête de la musique au collège\n"
            "Date de la fête : vendredi 21 juin, de 17 h à 20 h, cour du collège\n",
            "affiche_fete/affiche_2024-06-03.txt": "Affiche de la fête de la musique du collège\n"
            "Dernière modification : 03/06/2024 par Inès\n\nSlogan : La musique nous rassemble\n"
            "Date de la fête : vendredi 21 juin, de 17 h à 20 h, cour du collège\n",
            "affiche_fete/affiche_2024-05-28.txt": "Affiche de la fête de la musique du collège\n"
            "Dernière modification : 28/05/2024 par Yanis\n\nSlogan : Tous en scène !\n"
            "Date de la fête : vendredi 21 juin, cour du collège\n",
        },
    )
    docmaker.write_zip(
        out / "versions_expose.zip",
        {
            "expose_abeilles/expose_2024-01-09.txt": "Exposé de SVT – groupe 3\n"
            "Dernière modification : 09/01/2024 par Manon\n\nTitre : Le déclin des abeilles\n\n"
            "1. Le rôle des abeilles dans la pollinisation\n2. Les causes du déclin\n",
            "expose_abeilles/expose_2023-12-19.txt": "Exposé de SVT – groupe 3\n"
            "Dernière modification : 19/12/2023 par Lucas\n\nTitre : Les abeilles en danger\n\n"
            "1. Les abeilles\n",
            "expose_abeilles/expose_final.txt": "Exposé de SVT – groupe 3\n"
            "Dernière modification : 05/01/2024 par Lucas\n\nTitre : Sauvons les abeilles\n\n"
            "1. Le rôle des abeilles\n2. Les menaces\n",
            "expose_abeilles/expose_2024-01-16.txt": "Exposé de SVT – groupe 3\n"
            "Dernière modification : 16/01/2024 par Manon\n\n"
            "Titre : Les abeilles, sentinelles de l'environnement\n\n"
            "1. Le rôle des abeilles dans la pollinisation\n2. Les causes du déclin\n3. Que pouvons-nous faire ?\n",
            "expose_abeilles/expose_2024-01-12.txt": "Exposé de SVT – groupe 3\n"
            "Dernière modification : 12/01/2024 par Rayan\n\nTitre : Les abeilles et nous\n\n"
            "1. Le rôle des abeilles dans la pollinisation\n2. Les causes du déclin\n",
        },
    )
    yes = [sum(answers[i] == "Oui" for answers in POLL.values()) for i in range(len(POLL_DATES))]
    assert yes == [3, 3, 5, 4] and POLL_DATES[yes.index(max(yes))] == "Jeudi 14 mars", yes
    docmaker.write_html(
        out / "sondage_reunion.html",
        "Sondage – réunion de préparation du voyage en Espagne",
        "<h1>Réunion de préparation du voyage en Espagne</h1>\n"
        "<p>Sondage créé par M. Ferreira. Répondez pour chaque date : Oui, Non ou Si besoin.</p>\n"
        + _table(["Participant", *POLL_DATES], [[name, *answers] for name, answers in POLL.items()])
        + "\n<p>7 participants – sondage clos.</p>",
    )
    docmaker.write_docx(
        out / "planning_brochure.docx",
        [
            "Projet : brochure de présentation du club nature",
            "Planning de réalisation",
            "Règles du planning : le groupe travaille uniquement les jours ouvrés (du lundi au vendredi). "
            "Chaque tâche occupe des jours entiers. Une tâche qui dépend d'autres tâches ne peut commencer que "
            "lorsqu'elles sont toutes terminées ; elle commence alors le jour ouvré suivant.",
            "Tâche A – Rédaction des textes (Lina) : 3 jours. Début : lundi 4 mars 2024.",
            "Tâche B – Choix et retouche des photos (Noé) : 4 jours. Début : lundi 4 mars 2024.",
            "Tâche C – Mise en page (Sami) : 2 jours. Dépend des tâches A et B.",
            "Tâche D – Relecture (Lina et Noé) : 1 jour. Dépend de la tâche C.",
            "Tâche E – Impression chez l'imprimeur : 1 jour. Dépend de la tâche D.",
            "Remarque de Sami : je ne pourrai pas commencer la mise en page avant que toutes les photos "
            "soient prêtes.",
        ],
        title="Planning de la brochure",
        author="Sami",
    )
    docmaker.write_pdf(
        out / "compte_rendu_visio.pdf",
        [
            "Projet eTwinning « Nos villes demain »",
            "Lycée Jean-Jaurès (Lyon) et Lincoln High School (New York)",
            "",
            "Compte rendu de la réunion de lancement du 29 février 2024",
            "Présents : Mme Perrin, M. Aubert (Lyon) ; Ms Carter (New York)",
            "",
            "Décisions :",
            "- Chaque élève dépose sa vidéo de présentation sur l'espace partagé",
            "  avant le vendredi 15 mars 2024.",
            "- Les groupes mixtes (2 élèves de Lyon, 2 élèves de New York) sont",
            "  affichés sur l'espace partagé.",
            "- Prochaine visioconférence commune : jeudi 21 mars 2024 à 16 h 00,",
            "  heure de Paris. Durée prévue : 45 minutes.",
            "- Lien de connexion : envoyé par courriel la veille.",
            "",
            "Rédigé par M. Aubert.",
        ],
        title="Compte rendu – réunion de lancement eTwinning",
        author="M. Aubert",
    )


# --- 2.4 S'insérer dans le monde numérique -----------------------------------------------------


def _build_24(out: Path) -> None:
    docmaker.write_html(
        out / "carte_grise_express.html",
        "Carte Grise Express France – votre carte grise en 2 minutes",
        "<h1>Carte Grise Express France</h1>\n"
        "<p><strong>Votre carte grise en 2 minutes, sans vous déplacer !</strong></p>\n"
        "<p>Service agréé – traitement en 24 h – plus de 300 000 clients satisfaits.</p>\n"
        "<p><strong>Frais de service offerts* !</strong></p>\n"
        "<h2>Nos démarches</h2>\n"
        + _paragraphs(
            [
                "Changement de titulaire (achat d'un véhicule d'occasion)",
                "Changement d'adresse",
                "Duplicata (perte, vol)",
                "Immatriculation d'un véhicule neuf",
            ]
        )
        + "\n<h2>Comment ça marche ?</h2>\n"
        + _paragraphs(
            [
                "1. Remplissez le formulaire et téléversez vos justificatifs.",
                "2. Payez en ligne les taxes officielles et nos frais.",
                "3. Recevez votre certificat d'immatriculation à domicile.",
            ]
        )
        + "\n<hr>\n<p><small>* Frais de service offerts uniquement pour la première demande de changement "
        "d'adresse. Pour toute autre démarche (changement de titulaire, duplicata, immatriculation d'un "
        "véhicule neuf), des frais de traitement de 39,90 € TTC s'ajoutent aux taxes officielles.</small></p>\n"
        "<p><small>Carte Grise Express France est un service proposé par la société Démarches Rapides SAS, "
        "prestataire privé habilité, qui n'est pas un site de l'administration. Ces démarches peuvent être "
        "effectuées gratuitement, hors taxes officielles, sur le site de l'Agence nationale des titres "
        "sécurisés (ANTS).</small></p>",
    )
    docmaker.write_html(
        out / "cgu_tchatou.html",
        "Tchatou – Conditions générales d'utilisation",
        "<h1>Conditions générales d'utilisation de l'application Tchatou</h1>\n"
        "<p>Version en vigueur au 1er septembre 2024.</p>\n"
        + "\n".join(
            f"<h2>{escape(title)}</h2>\n<p>{escape(text)}</p>"
            for title, text in [
                ("Article 1 – Objet",
                 "Tchatou est une application de messagerie instantanée permettant d'échanger des messages, "
                 "des photos et des messages vocaux avec ses contacts."),
                ("Article 2 – Inscription",
                 "Pour créer un compte, vous devez avoir au moins 15 ans et fournir un numéro de téléphone "
                 "valide. Un code de confirmation vous est envoyé par SMS ; il expire au bout de 10 minutes."),
                ("Article 3 – Contenus",
                 "Vous restez propriétaire des contenus que vous envoyez. Vous vous engagez à ne pas publier de "
                 "contenus illicites, haineux ou portant atteinte à la vie privée d'autrui."),
                ("Article 4 – Modération",
                 "Tout utilisateur peut signaler un message. Les signalements sont examinés sous 48 heures ; un "
                 "compte peut être suspendu pendant 7 jours, ou supprimé en cas de récidive."),
                ("Article 5 – Données personnelles",
                 "Nous collectons votre numéro de téléphone, votre liste de contacts (si vous l'autorisez) et "
                 "les données techniques de connexion. Les journaux de connexion sont conservés 12 mois, "
                 "conformément à nos obligations légales."),
                ("Article 6 – Suppression du compte",
                 "Vous pouvez supprimer votre compte à tout moment depuis Paramètres > Compte > Supprimer. "
                 "Votre photo de profil est effacée sous 30 jours. Vos messages sont conservés pendant 90 jours "
                 "après la suppression du compte, afin de permettre le traitement d'éventuelles réclamations, "
                 "puis définitivement effacés. Les sauvegardes techniques sont écrasées au bout de 7 jours."),
                ("Article 7 – Modification des CGU",
                 "Nous vous informons de toute modification de ces conditions au moins 15 jours avant son "
                 "entrée en vigueur."),
            ]
        ),
    )
    docmaker.write_pdf(
        out / "cgu_randopiste.pdf",
        [
            "RandoPiste - Conditions generales d'utilisation",
            "Version du 15 mars 2024",
            "",
            "Article 1 - Objet",
            "RandoPiste permet d'enregistrer vos randonnées (traces GPS), de les",
            "partager et de consulter les parcours publiés par la communauté.",
            "",
            "Article 2 - Abonnement",
            "L'abonnement Premium coûte 4,99 euros par mois. Il peut être résilié à",
            "tout moment ; la résiliation prend effet à la fin du mois en cours.",
            "",
            "Article 3 - Parcours publiés",
            "Les parcours que vous publiez restent visibles par la communauté pendant",
            "au moins 30 jours, sauf si vous les retirez vous-même.",
            "",
            "Article 4 - Données personnelles",
            "Vos données de facturation sont conservées 10 ans (obligation comptable).",
            "Les journaux de connexion sont conservés 1 an.",
            "",
            "Article 5 - Suppression du compte",
            "Vous pouvez supprimer votre compte depuis le menu Profil > Paramètres.",
            "Vos photos sont effacées sous 30 jours. Vos parcours enregistrés",
            "(traces GPS) sont conservés 45 jours après la suppression du compte,",
            "pour vous permettre de le réactiver, puis définitivement effacés.",
            "",
            "Article 6 - Contact",
            "Pour toute question : rubrique Aide de l'application.",
        ],
        title="RandoPiste - CGU",
        author="RandoPiste",
    )
    docmaker.write_pdf(
        out / "recapitulatif_commande.pdf",
        [
            "SonoPlus - boutique en ligne",
            "Récapitulatif de commande n° SP-240226-0817",
            "",
            "Client : Camille Martin",
            "Date de la commande : lundi 26 février 2024",
            "Paiement accepté le : lundi 26 février 2024",
            "",
            "Article : casque audio sans fil SP-200, noir     1 x 79,00 EUR",
            "Livraison : Colissimo, offerte",
            "Total payé : 79,00 EUR",
            "",
            "Suivi du colis :",
            "- Expédié le jeudi 29 février 2024",
            "- Présenté et remis en main propre le samedi 2 mars 2024",
            "",
            "Droit de rétractation : voir les articles L221-18 et suivants du",
            "Code de la consommation. Formulaire de rétractation disponible",
            "dans votre espace client.",
        ],
        title="Récapitulatif de commande SP-240226-0817",
        author="SonoPlus",
    )


# --- 3.1 Développer des documents textuels ------------------------------------------------------


def _build_31(out: Path) -> None:
    docmaker.write_odt(
        out / "reglement_concours.odt",
        [
            "Médiathèque municipale de Saint-Aubin",
            "Règlement du concours de nouvelles « Plumes en herbe » – édition 2024",
            "Article 1 – Organisation. La médiathèque municipale organise un concours d'écriture de nouvelles "
            "ouvert aux collégiens et aux lycéens habitant ou scolarisés dans la commune.",
            "Article 2 – Thème. Le thème de cette édition est : « Une porte qui n'aurait jamais dû s'ouvrir ».",
            "Article 3 – Catégories. Deux catégories sont prévues : collège (11 à 15 ans) et lycée (15 à 18 ans).",
            "Article 4 – Longueur. La nouvelle compte au maximum 6 pages, titre compris.",
            "Article 5 – Présentation. Le texte est saisi avec un traitement de texte, en police Arial, "
            "taille 12 points, avec un interligne de 1,5 et des marges de 2,5 cm. Le titre peut être écrit en "
            "14 points et en gras. Les pages sont numérotées en bas à droite.",
            "Article 6 – Anonymat. Le nom de l'auteur ne doit figurer nulle part dans le texte ; il est indiqué "
            "uniquement sur le bulletin d'inscription.",
            "Article 7 – Envoi. Le texte est envoyé au format PDF avant le 15 avril 2024 à minuit, à l'adresse "
            "plumes.en.herbe@mediatheque-saint-aubin.example, avec le bulletin d'inscription.",
            "Article 8 – Jury. Le jury est composé de bibliothécaires, d'enseignants et d'une autrice invitée. "
            "Il note l'originalité, le respect du thème, la qualité de la langue et la présentation.",
            "Article 9 – Prix. Dans chaque catégorie, les trois lauréats reçoivent des chèques-lire de 50, 30 et "
            "20 euros. La remise des prix aura lieu le samedi 1er juin 2024 à la médiathèque.",
            "Article 10 – Droits. Les auteurs autorisent la médiathèque à publier les nouvelles primées dans un "
            "recueil, en citant le prénom et l'initiale du nom de l'auteur.",
        ],
        title="Règlement du concours Plumes en herbe 2024",
        author="Médiathèque de Saint-Aubin",
    )
    letter = [
        "Léa Fontaine",
        "12 rue des Acacias, 69100 Villeurbanne",
        "Transports Girardin",
        "Service des ressources humaines",
        "À l'attention de Mme Sandrine Royer",
        "Villeurbanne, le 18 mars 2024",
        "Objet : remerciements pour mon stage d'observation",
        "Madame,",
        "Je tiens à vous remercier chaleureusement pour l'accueil que l'équipe des Transports Girardain m'a "
        "réservé du 4 au 8 mars 2024, dans le cadre de mon stage d'observation de troisième.",
        "Grâce à M. Delorme, chef d'atelier, j'ai découvert l'entretien des camions de la flotte Girardain et "
        "les règles de sécurité de l'atelier.",
        "J'ai également pu suivre une journée au service d'exploitation, où l'on organise les tournées de "
        "livraison. Je n'imaginais pas qu'il fallait autant de calculs pour planifier les trajets des "
        "40 chauffeurs de Transports Girardin.",
        "Ce stage m'a confirmé mon envie de m'orienter vers la logistique. Je présenterai l'entreprise "
        "Girardain lors de l'oral de stage au collège, le 2 avril prochain.",
        "Si vous le souhaitez, je vous ferai parvenir mon rapport de stage ; j'y ai inséré le logo de "
        "Girardain, avec l'autorisation de M. Delorme.",
        "Avec toute ma reconnaissance envers l'équipe Girardain, je vous prie d'agréer, Madame, l'expression "
        "de mes salutations respectueuses.",
        "Léa Fontaine",
        "P.-S. : les photos prises chez Transports Girardin figurent en annexe de mon rapport.",
    ]
    assert sum(p.count("Girardain") for p in letter) == 5
    assert sum(p.lower().count("girardain") for p in letter) == 5
    docmaker.write_docx(out / "lettre_stage.docx", letter, title="Lettre de remerciements", author="Léa Fontaine")
    report = [
        "Compte rendu de l'assemblée générale du 9 mars 2024",
        "Association « Les Jardins partagés du Clos »",
        "Présents : 31 adhérants sur 44, le quorum est atteint.",
        "1. Rapport moral. La présidente remercie les adhérents pour leur engagement durant la saison.",
        "Chaque adhérant dispose désormais d'une parcelle de 20 m² ; deux nouvelles parcelles ont été créées "
        "près du composteur.",
        "2. Rapport financier. La cotisation annuelle reste fixée à 15 € par adhérant.",
        "Adhérants et bénévoles ont financé ensemble l'achat d'un récupérateur d'eau de pluie.",
        "3. Vote. Le règlement intérieur modifié est adopté à l'unanimité des adhérents présents.",
        "Un adhérant demande que les outils communs soient rangés dans l'abri fermé à clé ; la proposition "
        "est acceptée.",
        "4. Questions diverses. La fête des récoltes aura lieu le samedi 21 septembre ; tous les adhérants "
        "pourront y inviter leur famille.",
        "Le bureau rappelle qu'un nouvel adhérent doit signer la charte du jardin avant de recevoir sa parcelle.",
        "La séance est levée à 21 h 40. Prochaine réunion du bureau : mardi 2 avril, chez une adhérante, Mme Ruiz.",
    ]
    assert sum(p.lower().count("adhérant") for p in report) == 7
    assert not any("adherant" in p.lower() for p in report)
    docmaker.write_odt(out / "compte_rendu_ag.odt", report, title="Compte rendu de l'AG", author="Le bureau")
    # A real DOCX package written with a .zip name: the text lives in word/document.xml.
    docmaker.write_docx(
        out / "memoire.zip",
        [
            "Mémoire de fin d'études – BTS Gestion de la PME",
            "La transition numérique d'une boulangerie artisanale",
            "Romain Dufay – session 2024",
            "Introduction",
            "En trois ans, la boulangerie Aux Blés d'Or a ouvert un site de commande en ligne, adopté une caisse "
            "connectée et lancé un compte sur les réseaux sociaux. Ce mémoire analyse les effets de ces choix "
            "sur le chiffre d'affaires et sur l'organisation du travail.",
            "Partie 1 – Le diagnostic de départ",
            "Partie 2 – Les outils mis en place",
            "Partie 3 – Les résultats et les limites",
            "Conclusion",
            "La transition numérique a surtout profité à la vente à emporter, mais elle demande du temps de "
            "gestion que l'entreprise n'avait pas prévu.",
            "Mot magique : MANDRAGORE",
        ],
        title="Mémoire – transition numérique",
        author="Romain Dufay",
    )


def build(root: Path) -> None:
    """Write the attachments of competences 2.2, 2.3, 2.4 and 3.1 under ``root``."""
    root = Path(root)
    _build_22(root / "2.2")
    _build_23(root / "2.3")
    _build_24(root / "2.4")
    _build_31(root / "3.1")
