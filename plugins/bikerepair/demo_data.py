"""The demo's data for bike repair in the Métropole: the repairers' people, the four repairers (hours, rules,
services), the residents' bikes and the past appointments. ``demo.py`` writes them."""

from __future__ import annotations

from plugins.bikerepair.models import DONE, EXPIRED, NO_SHOW

# The repairers' people (e-mail, name, what they do): created here, but Lucas Dubois, a resident of the core demo;
# listed in docs/bikerepair.md and printed by ``flask pc demo``.
PEOPLE = [
    ("lucas.dubois@example.org", "Lucas Dubois", "responsable, Atelier du Vélo Solidaire (atelier associatif, Lille)"),
    ("hugo@roue-libre.example.org", "Hugo Lemaire", "responsable, Atelier Roue Libre (autoréparation, Villeneuve)"),
    ("nicolas@rayon-mobile.example.org", "Nicolas Vandamme", "responsable, Rayon Mobile (itinérant, Roubaix)"),
    ("claire@cycles-de-fives.example.org", "Claire Dufour", "responsable, Cycles de Fives (vélociste, Lille-Fives)"),
    ("yanis@cycles-de-fives.example.org", "Yanis Haddou", "équipe, Cycles de Fives"),
]


def hm(hour: int, minute: int = 0) -> int:
    """The minute of the day of a local time (the unit of opening ranges)."""
    return hour * 60 + minute


def _weekly(weekdays: dict[tuple[int, ...], list[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
    return {day: ranges for days, ranges in weekdays.items() for day in days}


# Each repairer: its organisation, owner (and staff), hours (0 = Monday; Sunday closed), rules, services
# (name, minutes, indicative price in cents or None: on estimate).
# fmt: off
REPAIRERS = {
    "associatif": {
        "organisation": {
            "kind": "repairer", "name": "Atelier du Vélo Solidaire", "address": "23 rue Gosselet",
            "postcode": "59000", "city": "Lille", "latitude": 50.6261, "longitude": 3.0676,
            "description": "Atelier associatif : on vous apprend à réparer votre vélo, avec les outils et les "
            "conseils des bénévoles. Pièces d'occasion à petit prix.",
        },
        "owner": "lucas.dubois@example.org",
        "staff": [],
        "hours": _weekly({
            (1, 3, 4): [(hm(14), hm(19))],
            (2,): [(hm(10), hm(12, 30)), (hm(14), hm(19))],
            (5,): [(hm(10), hm(12, 30)), (hm(13, 30), hm(18))],
        }),
        "rules": {
            "kind": "atelier_associatif", "bike_types": ["classique", "enfant", "pliant", "route_vtt"],
            "payment_notes": "Adhésion annuelle à prix libre (10 € conseillés). Espèces ou chèque.",
            "grid_minutes": 30, "capacity": 2, "notice_minutes": 120, "horizon_days": 30, "auto_accept": False,
            "pending_expiry_hours": 72, "cancel_deadline_hours": 24,
        },
        "services": [
            ("Crevaison", 30, 500), ("Réglage des freins", 30, 800), ("Révision complète accompagnée", 90, 1500),
            ("Transmission (chaîne, dérailleur)", 60, 1200), ("Diagnostic", 30, 0),
        ],
    },
    "autoreparation": {
        "organisation": {
            "kind": "repairer", "name": "Atelier Roue Libre", "address": "12 avenue Paul Langevin",
            "postcode": "59650", "city": "Villeneuve-d'Ascq", "latitude": 50.6094, "longitude": 3.1420,
            "contact_email": "contact@roue-libre.example.org",
            "description": "Atelier d'autoréparation près de la Cité scientifique : un poste, des outils et un "
            "bénévole pour vous guider. Vous réparez vous-même.",
        },
        "owner": "hugo@roue-libre.example.org",
        "staff": [],
        "hours": _weekly({
            (0, 3): [(hm(17, 30), hm(20))],
            (2,): [(hm(10), hm(12)), (hm(14), hm(19))],
            (5,): [(hm(9, 30), hm(12, 30))],
        }),
        "rules": {
            "kind": "autoreparation", "bike_types": ["classique", "enfant", "pliant", "route_vtt"],
            "payment_notes": "Poste à 3 € l'heure, gratuit pour les adhérents. Carte bancaire ou espèces.",
            "grid_minutes": 30, "capacity": 3, "notice_minutes": 60, "horizon_days": 21, "auto_accept": True,
            "pending_expiry_hours": 48, "cancel_deadline_hours": 2,
        },
        "services": [
            ("Poste d'autoréparation (1 h)", 60, 300), ("Poste avec un bénévole (1 h)", 60, 500),
            ("Crevaison guidée", 30, 200), ("Entretien de la transmission guidé", 60, 400),
        ],
    },
    "itinerant": {
        "organisation": {
            "kind": "repairer", "name": "Rayon Mobile", "address": "41 rue de l'Épeule", "postcode": "59100",
            "city": "Roubaix", "latitude": 50.6889, "longitude": 3.1655, "contact_phone": "06 52 18 44 90",
            "description": "Réparateur itinérant : je viens réparer votre vélo chez vous ou au travail, avec mon "
            "triporteur atelier.",
        },
        "owner": "nicolas@rayon-mobile.example.org",
        "staff": [],
        "hours": _weekly({(0, 1, 2, 3, 4): [(hm(9), hm(12)), (hm(14), hm(18))], (5,): [(hm(9), hm(12))]}),
        "rules": {
            "kind": "itinerant", "bike_types": ["classique", "vae", "cargo", "enfant", "pliant"],
            "served_communes": "Roubaix, Tourcoing, Croix, Wasquehal", "radius_km": 10,
            "payment_notes": "Déplacement compris. Carte bancaire, espèces ou virement.",
            "grid_minutes": 60, "capacity": 1, "buffer_minutes": 30, "notice_minutes": 1440, "horizon_days": 30,
            "auto_accept": False, "pending_expiry_hours": 48, "cancel_deadline_hours": 24,
        },
        "services": [
            ("Crevaison à domicile", 45, 2500), ("Freins à domicile", 60, 3500), ("Révision à domicile", 90, 6000),
            ("Diagnostic à domicile", 30, 1500),
        ],
    },
    "velociste": {
        "organisation": {
            "kind": "repairer", "name": "Cycles de Fives", "address": "152 rue Pierre Legrand", "postcode": "59800",
            "city": "Lille", "latitude": 50.6318, "longitude": 3.0905, "contact_phone": "03 20 00 12 34",
            "contact_email": "atelier@cycles-de-fives.example.org",
            "description": "Vélociste de quartier : entretien et réparation des vélos à assistance électrique et "
            "des vélos cargo, toutes marques.",
        },
        "owner": "claire@cycles-de-fives.example.org",
        "staff": ["yanis@cycles-de-fives.example.org"],
        "hours": _weekly({
            (1, 2, 3, 4): [(hm(10), hm(12, 30)), (hm(14), hm(19))],
            (5,): [(hm(9, 30), hm(12, 30)), (hm(14), hm(18))],
        }),
        "rules": {
            "kind": "velociste", "bike_types": ["classique", "vae", "cargo", "pliant"],
            "payment_notes": "Devis gratuit avant travaux. Carte bancaire, espèces ; pièces facturées en plus.",
            "grid_minutes": 30, "capacity": 2, "buffer_minutes": 15, "notice_minutes": 120, "horizon_days": 45,
            "auto_accept": False, "pending_expiry_hours": 48, "cancel_deadline_hours": 24,
        },
        "services": [
            ("Révision VAE", 90, 7900), ("Diagnostic électrique VAE", 45, 3500), ("Révision vélo cargo", 120, 9900),
            ("Remplacement d'un pneu", 30, 2000), ("Réglage freins et vitesses", 45, 3000),
            ("Réparation sur devis", 60, None),
        ],
    },
}
# fmt: on

# Residents of the Métropole from the core demo, their bikes: (owner, name, type, brand, notes)
BIKES = [
    ("sophie.leroy@example.org", "Vélo de ville", "classique", "Gitane", "Panier avant, antivol en U."),
    ("sophie.leroy@example.org", "Vélo de Lina", "enfant", "Btwin", "20 pouces, pour ses 8 ans."),
    ("admin.mel@example.org", "Mon VAE", "vae", "Moustache", "Batterie de 2022, environ 4 000 km."),
    ("admin.mel@example.org", "Le cargo", "cargo", "Yuba", "Deux sièges enfant à l'arrière."),
]

# Past appointments, written directly: (repairer, service, days ago, local hour, minute, status, resident e-mail
# and bike name or walk-in name, booklet entry (work, parts, price in cents) for a done one, hours from the booking
# to the first slot offered)
PAST = [
    ("associatif", "Révision complète accompagnée", 100, 14, 0, DONE, ("sophie.leroy@example.org", "Vélo de ville"),
     ("Révision complète : patins de frein changés, dérailleur réglé, pneus regonflés", "Patins de frein", 1500), 30),
    ("associatif", "Crevaison", 75, 10, 30, DONE, "Jeanne Lefort", None, 26),
    ("associatif", "Réglage des freins", 40, 15, 0, DONE, "Mehdi Amrani", None, 45),
    ("associatif", "Transmission (chaîne, dérailleur)", 20, 16, 0, NO_SHOW, "Bastien Caudron", None, 22),
    ("autoreparation", "Crevaison guidée", 35, 10, 0, DONE, ("sophie.leroy@example.org", "Vélo de Lina"),
     ("Chambre à air remplacée par Sophie, avec l'aide d'un bénévole", "Chambre à air 20 pouces", 200), 3),
    ("autoreparation", "Poste d'autoréparation (1 h)", 60, 18, 0, DONE, "Paul Nguyen", None, 5),
    ("autoreparation", "Poste avec un bénévole (1 h)", 18, 10, 30, DONE, "Inès Boulanger", None, 2),
    ("itinerant", "Révision à domicile", 50, 9, 0, DONE, "Gérard Vanhoutte", None, 52),
    ("itinerant", "Freins à domicile", 25, 14, 0, DONE, ("admin.mel@example.org", "Le cargo"),
     ("Plaquettes avant et arrière changées, purge des freins hydrauliques", "Plaquettes Shimano (x2)", 6200), 40),
    ("velociste", "Diagnostic électrique VAE", 65, 11, 0, DONE, ("admin.mel@example.org", "Mon VAE"),
     ("Mise à jour du contrôleur, batterie contrôlée (82 % de sa capacité)", "", 3500), 20),
    ("velociste", "Révision VAE", 30, 14, 30, DONE, "Sandrine Lemoine", None, 18),
    ("velociste", "Remplacement d'un pneu", 45, 10, 0, EXPIRED, ("sophie.leroy@example.org", "Vélo de ville"),
     None, 24),
    ("velociste", "Réglage freins et vitesses", 9, 15, 0, NO_SHOW, "Kévin Masson", None, 20),
]  # fmt: skip
