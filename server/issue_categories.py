"""Issue report categories (spec §10.2), one table for every use.

The organiser's reports at finalisation and the invigilator's live-alert validations read it.
Deprecated entries are kept for old data and refused for new reports.
"""

from __future__ import annotations

#: Issue report categories open to new reports, with their subcategories (spec §10.2; deprecated ones left out).
ISSUE_CATEGORIES: dict[str, tuple[str, dict[str, str]]] = {
    "CANDIDATE_INFORMATIONS_CHANGES": (
        "Modification des informations du candidat",
        {"NAME_OR_BIRTHDATE": "Nom ou date de naissance", "EXTRA_TIME_PERCENTAGE": "Temps majoré"},
    ),
    "SIGNATURE_ISSUE": ("Problème de signature", {}),
    "IN_CHALLENGE": (
        "Problème sur une question",
        {
            "IMAGE_NOT_DISPLAYING": "L'image ne s'affiche pas",
            "EMBED_NOT_WORKING": "L'application intégrée ne fonctionne pas",
            "FILE_NOT_OPENING": "Le fichier ne s'ouvre pas",
            "WEBSITE_UNAVAILABLE": "Le site à consulter est indisponible",
            "WEBSITE_BLOCKED": "Le site à consulter est bloqué",
            "EXTRA_TIME_EXCEEDED": "Le temps majoré est dépassé",
            "SOFTWARE_NOT_WORKING": "Le logiciel ne fonctionne pas",
            "UNINTENTIONAL_FOCUS_OUT": "Sortie involontaire d'une question en mode focus",
            "SKIP_ON_OOPS": "Une page d'erreur (« Oups ») s'est affichée",
            "ACCESSIBILITY_ISSUE": "Problème d'accessibilité",
        },
    ),
    "FRAUD": ("Fraude", {}),
    "NON_BLOCKING_CANDIDATE_ISSUE": ("Incident non bloquant (candidat)", {}),
    "NON_BLOCKING_TECHNICAL_ISSUE": ("Incident non bloquant (technique)", {}),
}
#: Kept for old data, refused for new reports (spec §10.2 rule 1).
DEPRECATED_CATEGORIES = frozenset({"OTHER", "CONNECTION_OR_END_SCREEN", "TECHNICAL_PROBLEM", "LATE_OR_LEAVING"})
DEPRECATED_SUBCATEGORIES = frozenset({"LINK_NOT_WORKING", "OTHER", "LEFT_EXAM_ROOM"})


#: The subcategories an invigilator picks when validating a live alert (spec §10.1).
IN_CHALLENGE_SUBCATEGORIES: dict[str, str] = ISSUE_CATEGORIES["IN_CHALLENGE"][1]
