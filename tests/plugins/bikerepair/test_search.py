"""Finding a repairer: the filters (commune, itinerant repairers included; bike type; service words; distance and an
itinerant repairer's radius), the first available slot (the booking's own), a query count that does not grow with the
number of repairers, and who is listed at all (scenario 8: a disabled repairer is neither listed nor shown).

The clock stands on Monday 1 June 2026, 08:10 in Paris. Setup and checks open the app context; requests do not.
"""

from __future__ import annotations

from datetime import date

import pytest

from platformcoop import clock
from platformcoop.extensions import db
from platformcoop.hours import services as hours
from platformcoop.organisations.models import SUSPENDED
from platformcoop.plugins.manager import get_registry
from platformcoop.tenancy.services import enable_module
from plugins.bikerepair import search
from plugins.bikerepair.booking import book_appointment, repairer_slots
from plugins.bikerepair.models import Repairer
from tests.conftest import login
from tests.plugins.bikerepair.conftest import MONDAY_0810
from tests.plugins.bikerepair.support import add_service, make_repairer, paris, territory, user
from tests.plugins.timebank.support import count_queries

BASE = "/libercourt/reparation-velo"


def repairer_named(name, *, city="", lat=None, lon=None, kind="atelier_associatif", bike_types=(), **rules):
    t = territory()
    repairer = make_repairer(t, name, kind=kind, bike_types=list(bike_types), **rules)
    organisation = repairer.organisation
    organisation.city, organisation.latitude, organisation.longitude = city, lat, lon
    db.session.flush()
    return repairer


@pytest.fixture
def area(app, people):
    """Three repairers around Libercourt: a workshop in Libercourt, a cargo-bike shop in Carvin, an itinerant one
    based in Oignies that serves Courrières and goes 5 km around."""
    with app.app_context():
        libercourt = repairer_named(
            "Atelier de Libercourt", city="Libercourt", lat=50.4833, lon=3.0167, bike_types=("classique", "vae")
        )
        add_service(libercourt, "Réparation de crevaison", 30, 1000)
        add_service(libercourt, "Révision complète", 60, 4500)
        carvin = repairer_named(
            "Cargo Carvin", city="Carvin", lat=50.4930, lon=2.9580, kind="velociste", bike_types=("cargo",)
        )
        add_service(carvin, "Réglage des freins", 30, None)
        mobile = repairer_named(
            "Vélo Mobile", city="Oignies", lat=50.4640, lon=2.9930, kind="itinerant", bike_types=("classique",)
        )
        mobile.served_communes, mobile.radius_km = "Courrières\nDourges", 5
        add_service(mobile, "Crevaison à domicile", 45, 2000)
        db.session.commit()
        return {"libercourt": libercourt.id, "carvin": carvin.id, "mobile": mobile.id}


@pytest.fixture
def anne(client, people):
    assert login(client, "anne@example.org").status_code == 302
    return client


def names(cards) -> list[str]:
    return [card.organisation.name for card in cards]


def found(**filters) -> list[str]:
    t = territory()
    return names(search.search_repairers(t, search.listed_repairers(t), **filters))


# -- filters ---------------------------------------------------------------------------------------------------------


def test_the_commune_filter_finds_the_repairers_there_and_the_itinerant_ones_serving_it(app, area, monday_morning):
    with app.app_context():
        assert found(commune="Libercourt", sort="nom") == ["Atelier de Libercourt"]
        assert found(commune="courrieres") == ["Vélo Mobile"]  # served, accents and case ignored
        assert found(commune="Oignies") == ["Vélo Mobile"]  # its own base
        assert search.communes(search.listed_repairers(territory())) == [
            "Carvin",
            "Courrières",
            "Dourges",
            "Libercourt",
            "Oignies",
        ]


def test_the_bike_type_and_service_words_filters(app, area, monday_morning):
    with app.app_context():
        assert found(bike_type="cargo") == ["Cargo Carvin"]
        assert found(bike_type="classique", sort="nom") == ["Atelier de Libercourt", "Vélo Mobile"]
        assert found(words="CREVAISON", sort="nom") == ["Atelier de Libercourt", "Vélo Mobile"]
        assert found(words="crevaison domicile") == ["Vélo Mobile"]
        assert found(words="freins") == ["Cargo Carvin"]
        assert found(words="guidon") == []


def test_a_position_sorts_by_distance_and_keeps_itinerant_repairers_whose_radius_covers_it(app, area, monday_morning):
    with app.app_context():
        near_carvin = (50.49, 2.97)
        # ~1 km from the Carvin shop, ~3.4 km from Oignies: the mobile repairer comes to you, so it comes first
        assert found(position=near_carvin) == ["Vélo Mobile", "Cargo Carvin", "Atelier de Libercourt"]
        far_west = (50.50, 2.85)  # ~10 km from Oignies: beyond the mobile repairer's 5 km
        assert found(position=far_west) == ["Cargo Carvin", "Atelier de Libercourt"]


def test_the_search_page_shows_the_cards_with_the_first_slot_and_the_price(anne, area, monday_morning):
    page = anne.get(f"{BASE}/?commune=Libercourt").get_data(as_text=True)
    assert "Atelier de Libercourt" in page and "Cargo Carvin" not in page
    assert "1 réparateur trouvé" in page
    assert "à partir de 10,00" in page
    assert "lundi 1 juin 2026, 9 h" in page  # the first slot of the 30-minute service, local time
    by_distance = anne.get(f"{BASE}/?lat=50.49&lon=2.97&tri=distance").get_data(as_text=True)
    assert (
        by_distance.index("Vélo Mobile")
        < by_distance.index("Cargo Carvin")
        < by_distance.index("Atelier de Libercourt</a>")
    )
    assert "se déplace jusqu'à vous" in by_distance


def test_a_free_service_says_free_not_from_zero_euros(app, anne, area, monday_morning):
    with app.app_context():
        add_service(db.session.get(Repairer, area["libercourt"]), "Poste d'autoréparation", 60, 0)
        db.session.commit()
    card = anne.get(f"{BASE}/?commune=Libercourt").get_data(as_text=True)
    assert "certaines gratuites" in card and "de 0,00" not in card
    page = anne.get(f"{BASE}/reparateurs/{area['libercourt']}").get_data(as_text=True)
    assert "gratuit" in page and "à partir de 10,00" in page and "de 0,00" not in page


# -- the first available slot ----------------------------------------------------------------------------------------


def test_the_first_slot_is_the_bookings_first_slot_despite_closures_holidays_and_appointments(app, people):
    with clock.frozen(MONDAY_0810), app.app_context():
        t = territory()
        repairer = repairer_named("Atelier", city="Libercourt", grid_minutes=30, buffer_minutes=15, notice_minutes=60)
        service = add_service(repairer, "Crevaison", 30)
        add_service(repairer, "Révision", 90)
        schedule = hours.find_schedule(t, "organisation", repairer.organisation_id)
        hours.add_closure(schedule, paris(2026, 6, 1, 0), paris(2026, 6, 2, 10))  # closed until Tuesday 10:00
        hours.add_territory_holiday(t, date(2026, 6, 3), "Fête")
        book_appointment(
            t, repairer, service, paris(2026, 6, 2, 10), resident=user(people["anne"]), actor=user(people["anne"])
        )
        db.session.commit()

        expected = repairer_slots(t, repairer, service)
        cards = search.search_repairers(t, search.listed_repairers(t))
        assert cards[0].first_slot == expected[0] == paris(2026, 6, 2, 11)  # 10:00 taken, 10:30 inside its buffer
        assert paris(2026, 6, 3, 9) not in expected  # the territory's day off


def test_a_repairer_without_hours_or_services_has_no_first_slot(app, people, monday_morning):
    with app.app_context():
        repairer_named("Sans horaires", city="Libercourt", opening={})
        add_service(repairer_named("Avec horaires", city="Libercourt"), "Révision", 60)
        repairer_named("Sans prestation", city="Libercourt")
        db.session.commit()
        t = territory()
        slots = {
            card.organisation.name: card.first_slot for card in search.search_repairers(t, search.listed_repairers(t))
        }
        assert slots == {"Avec horaires": paris(2026, 6, 1, 9), "Sans horaires": None, "Sans prestation": None}


def test_the_search_runs_the_same_number_of_queries_for_2_and_for_12_repairers(app, anne, people, monday_morning):
    def add_repairers(count: int, start: int):
        with app.app_context():
            for number in range(start, start + count):
                repairer = repairer_named(f"Atelier {number:02d}", city=f"Commune {number % 3}", bike_types=["vae"])
                service = add_service(repairer, "Crevaison", 30)
                add_service(repairer, "Révision", 60)
                bruno = user(people["bruno"])
                book_appointment(territory(), repairer, service, paris(2026, 6, 1, 9), resident=bruno, actor=bruno)
            db.session.commit()

    def queries() -> int:
        with count_queries(app) as statements:
            response = anne.get(f"{BASE}/?type=vae&prestation=crevaison")
        assert response.status_code == 200
        return len(statements)

    add_repairers(2, 0)
    with_two = queries()
    add_repairers(10, 2)
    with_twelve = queries()
    assert with_twelve == with_two
    page = anne.get(f"{BASE}/").get_data(as_text=True)
    assert "12 réparateurs trouvés" in page


# -- who is listed (scenario 8) --------------------------------------------------------------------------------------


def test_a_disabled_repairer_or_a_suspended_organisation_is_not_listed_nor_shown(app, anne, area, monday_morning):
    with app.app_context():
        db.session.get(Repairer, area["carvin"]).enabled = False
        db.session.get(Repairer, area["mobile"]).organisation.status = SUSPENDED
        db.session.commit()
    page = anne.get(f"{BASE}/").get_data(as_text=True)
    assert "Atelier de Libercourt" in page
    assert "Cargo Carvin" not in page and "Vélo Mobile" not in page and "Oignies" not in page
    assert anne.get(f"{BASE}/reparateurs/{area['carvin']}").status_code == 404
    assert anne.get(f"{BASE}/reparateurs/{area['mobile']}").status_code == 404
    assert anne.get(f"{BASE}/reparateurs/{area['libercourt']}").status_code == 200


def test_another_territorys_repairer_is_not_found(app, anne, people, lomme, monday_morning):
    with app.app_context():
        lomme_repairer = make_repairer(territory("lomme"), "Atelier de Lomme")
        add_service(lomme_repairer, "Révision", 60)
        enable_module(get_registry(), territory("lomme"), "bikerepair")
        db.session.commit()
        repairer_id = lomme_repairer.id
    assert anne.get(f"{BASE}/reparateurs/{repairer_id}").status_code == 404
    assert "Atelier de Lomme" not in anne.get(f"{BASE}/").get_data(as_text=True)


# -- the repairer's page ---------------------------------------------------------------------------------------------


def test_the_repairers_page_shows_the_slots_of_a_service_by_day_and_week(app, anne, area, monday_morning):
    with app.app_context():
        service_id = db.session.get(Repairer, area["libercourt"]).services[1].id  # the 60-minute "Révision"
    page = anne.get(f"{BASE}/reparateurs/{area['libercourt']}").get_data(as_text=True)
    assert "Révision complète" in page and "à partir de 45,00" in page and "Lundi : 9 h – 12 h" in page
    week = anne.get(f"{BASE}/reparateurs/{area['libercourt']}?prestation={service_id}").get_data(as_text=True)
    assert "lundi 1 juin 2026" in week and "samedi 6 juin 2026" in week and "dimanche 7 juin" not in week
    assert "start=2026-06-01T07:00Z" in week  # 9 h in Paris
    assert "Semaine suivante" in week and "Semaine précédente" not in week
    next_week = anne.get(f"{BASE}/reparateurs/{area['libercourt']}?prestation={service_id}&semaine=1")
    assert "lundi 8 juin 2026" in next_week.get_data(as_text=True)
    assert "Semaine précédente" in next_week.get_data(as_text=True)


def test_the_home_page_greets_and_lists_my_next_appointments(app, anne, area, people, monday_morning):
    assert "Comment ça marche" in anne.get(f"{BASE}/").get_data(as_text=True)
    with app.app_context():
        repairer = db.session.get(Repairer, area["libercourt"])
        me = user(people["anne"])
        for day in range(2, 7):
            start = paris(2026, 6, day, 9)
            book_appointment(territory(), repairer, repairer.services[0], start, resident=me, actor=me)
        db.session.commit()
    page = anne.get(f"{BASE}/").get_data(as_text=True)
    assert "Vos prochains rendez-vous" in page and "Comment ça marche" not in page
    assert "mardi 2 juin 2026" in page and "jeudi 4 juin 2026" in page and "vendredi 5 juin 2026" not in page


def test_the_around_me_script_is_served_from_the_site(anne, libercourt_bikes):
    response = anne.get(f"{BASE}/autour-de-moi.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "navigator.geolocation" in response.get_data(as_text=True)
