"""The opening-hours component: weekly ranges, closures, holidays and ``open_intervals`` (DST included).

Europe/Paris changes time on Sunday 29 March 2026 (02:00 → 03:00) and Sunday 25 October 2026 (03:00 → 02:00).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from platformcoop.extensions import db
from platformcoop.hours import open_intervals
from platformcoop.hours import services as hours
from platformcoop.hours.formatting import weekly_lines
from platformcoop.hours.models import Schedule, WeeklyRange
from platformcoop.tenancy.models import Territory

PARIS = ZoneInfo("Europe/Paris")
MONDAY, SATURDAY, SUNDAY = 0, 5, 6


def h(hours_: int, minutes: int = 0) -> int:
    return hours_ * 60 + minutes


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def local_day(day: date) -> tuple[datetime, datetime]:
    """The whole local day, as two aware instants."""
    return paris(day.year, day.month, day.day), paris(day.year, day.month, day.day) + timedelta(days=1)


def open_time(schedule, day: date) -> timedelta:
    start, _ = local_day(day)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=PARIS)
    return sum((b - a for a, b in open_intervals(schedule, start, end)), timedelta())


@pytest.fixture
def territory(ctx, libercourt) -> Territory:
    return db.session.get(Territory, libercourt)


@pytest.fixture
def schedule(territory) -> Schedule:
    schedule = hours.schedule_for(territory, "test", 1)
    db.session.commit()
    return schedule


def every_day(schedule, *ranges) -> None:
    for weekday in range(7):
        hours.set_day_ranges(schedule, weekday, list(ranges))
    db.session.commit()


# -- DST --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)], ids=["spring-forward", "fall-back"])
def test_a_shop_open_9_to_18_is_open_9_hours_of_wall_clock_on_changeover_days(schedule, day):
    every_day(schedule, (h(9), h(18)))

    (interval,) = open_intervals(schedule, *local_day(day))

    assert interval[1] - interval[0] == timedelta(hours=9)
    assert interval[0].astimezone(PARIS).hour == 9
    assert interval[1].astimezone(PARIS).hour == 18


def test_a_range_from_1_to_4_lasts_2_hours_on_29_march_and_4_hours_on_25_october(schedule):
    hours.set_day_ranges(schedule, SUNDAY, [(h(1), h(4))])
    db.session.commit()

    assert open_time(schedule, date(2026, 3, 29)) == timedelta(hours=2)
    assert open_time(schedule, date(2026, 10, 25)) == timedelta(hours=4)
    assert open_time(schedule, date(2026, 4, 5)) == timedelta(hours=3)  # an ordinary Sunday


def test_open_intervals_are_utc_instants_of_the_local_wall_clock(schedule):
    every_day(schedule, (h(9), h(18)))

    winter = open_intervals(schedule, *local_day(date(2026, 3, 27)))
    summer = open_intervals(schedule, *local_day(date(2026, 3, 30)))

    assert winter == [(datetime(2026, 3, 27, 8, tzinfo=UTC), datetime(2026, 3, 27, 17, tzinfo=UTC))]
    assert summer == [(datetime(2026, 3, 30, 7, tzinfo=UTC), datetime(2026, 3, 30, 16, tzinfo=UTC))]
    assert all(a.tzinfo == UTC and b.tzinfo == UTC for a, b in winter + summer)


def test_a_time_the_clock_skips_stands_for_the_instant_of_the_jump(schedule):
    hours.set_day_ranges(schedule, SUNDAY, [(h(2, 30), h(5))])
    db.session.commit()

    (interval,) = open_intervals(schedule, *local_day(date(2026, 3, 29)))

    assert interval == (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 3, 29, 3, tzinfo=UTC))


def test_a_range_inside_the_skipped_hour_does_not_exist_that_day(schedule):
    hours.set_day_ranges(schedule, SUNDAY, [(h(2, 15), h(2, 45))])
    db.session.commit()

    assert open_intervals(schedule, *local_day(date(2026, 3, 29))) == []
    assert open_time(schedule, date(2026, 10, 25)) == timedelta(minutes=90)  # the repeated hour: shown twice


# -- ranges -----------------------------------------------------------------------------------------------------------


def test_several_ranges_a_day_and_closing_at_midnight(schedule):
    hours.set_day_ranges(schedule, MONDAY, [(h(14), h(18)), (h(9), h(12)), (h(20), h(24))])
    db.session.commit()

    intervals = open_intervals(schedule, *local_day(date(2026, 6, 1)))

    assert [(a.astimezone(PARIS).hour, b.astimezone(PARIS).hour) for a, b in intervals] == [(9, 12), (14, 18), (20, 0)]


def test_overlapping_ranges_are_refused_in_french_and_nothing_changes(schedule):
    hours.set_day_ranges(schedule, MONDAY, [(h(9), h(12))])
    db.session.commit()

    with pytest.raises(hours.ScheduleError) as refused:
        hours.set_day_ranges(schedule, MONDAY, [(h(9), h(12)), (h(11), h(14))])
    db.session.rollback()

    assert refused.value.errors == {1: ["Cette plage chevauche celle de 9 h à 12 h."]}
    assert hours.weekly_ranges(schedule) == {MONDAY: [(h(9), h(12))]}


def test_a_range_that_ends_before_it_starts_is_refused(schedule):
    with pytest.raises(hours.ScheduleError) as refused:
        hours.set_day_ranges(schedule, MONDAY, [(h(18), h(9))])

    assert refused.value.errors == {0: ["L'heure de fin doit être après l'heure de début."]}


def test_ranges_that_touch_do_not_overlap(schedule):
    hours.set_day_ranges(schedule, MONDAY, [(h(9), h(12)), (h(12), h(14))])
    db.session.commit()

    assert open_intervals(schedule, *local_day(date(2026, 6, 1))) == [
        (datetime(2026, 6, 1, 7, tzinfo=UTC), datetime(2026, 6, 1, 12, tzinfo=UTC))
    ]


def test_replacing_one_day_keeps_the_others(schedule):
    every_day(schedule, (h(9), h(18)))

    hours.set_day_ranges(schedule, MONDAY, [])
    db.session.commit()

    assert MONDAY not in hours.weekly_ranges(schedule)
    assert len(hours.weekly_ranges(schedule)) == 6


def test_the_week_in_french_words(schedule):
    hours.set_day_ranges(schedule, MONDAY, [(h(9), h(12)), (h(14), h(18))])
    hours.set_day_ranges(schedule, SATURDAY, [(h(9, 30), h(12, 45))])
    db.session.commit()

    lines = weekly_lines(hours.weekly_ranges(schedule))

    assert lines[0] == "Lundi : 9 h – 12 h, 14 h – 18 h"
    assert lines[1] == "Mardi : Fermé"
    assert lines[5] == "Samedi : 9 h 30 – 12 h 45"


# -- closures and holidays --------------------------------------------------------------------------------------------


def test_a_closure_over_an_afternoon_removes_only_that_afternoon(schedule):
    hours.set_day_ranges(schedule, SATURDAY, [(h(9), h(12)), (h(14), h(18))])
    hours.add_closure(schedule, paris(2026, 6, 13, 14), paris(2026, 6, 13, 18), "Inventaire")
    db.session.commit()

    closed_saturday = open_intervals(schedule, *local_day(date(2026, 6, 13)))
    next_saturday = open_intervals(schedule, *local_day(date(2026, 6, 20)))

    assert closed_saturday == [(datetime(2026, 6, 13, 7, tzinfo=UTC), datetime(2026, 6, 13, 10, tzinfo=UTC))]
    assert len(next_saturday) == 2


def test_a_closure_must_end_after_it_starts(schedule):
    with pytest.raises(hours.ScheduleError, match="La fin de la fermeture doit être après son début"):
        hours.add_closure(schedule, paris(2026, 6, 13, 18), paris(2026, 6, 13, 14))


@pytest.mark.parametrize("holiday", [date(2026, 5, 1), date(2026, 4, 6)], ids=["1 May", "Easter Monday"])
def test_closed_on_public_holidays_by_default(schedule, holiday):
    every_day(schedule, (h(9), h(18)))

    assert open_intervals(schedule, *local_day(holiday)) == []
    assert open_time(schedule, holiday + timedelta(days=14)) == timedelta(hours=9)


def test_a_schedule_may_stay_open_on_public_holidays(schedule):
    every_day(schedule, (h(9), h(18)))
    hours.update_schedule_settings(schedule, closed_on_public_holidays=False, closed_on_territory_holidays=True)
    db.session.commit()

    assert open_time(schedule, date(2026, 5, 1)) == timedelta(hours=9)


def test_the_territory_s_own_day_off_closes_the_schedules_that_observe_it(territory, schedule):
    every_day(schedule, (h(9), h(18)))
    other = hours.schedule_for(territory, "test", 2)
    hours.update_schedule_settings(other, closed_on_public_holidays=True, closed_on_territory_holidays=False)
    for weekday in range(7):
        hours.set_day_ranges(other, weekday, [(h(9), h(18))])
    hours.add_territory_holiday(territory, date(2026, 9, 14), "Fête communale")
    db.session.commit()

    assert open_intervals(schedule, *local_day(date(2026, 9, 14))) == []
    assert open_time(other, date(2026, 9, 14)) == timedelta(hours=9)


def test_a_territory_day_off_is_recorded_once(territory):
    hours.add_territory_holiday(territory, date(2026, 9, 14), "Fête communale")
    db.session.commit()

    with pytest.raises(hours.ScheduleError, match="déjà un jour de fermeture"):
        hours.add_territory_holiday(territory, date(2026, 9, 14), "Braderie")


def test_french_public_holidays_are_computed_for_any_year():
    days = hours.public_holidays(2026)

    assert days[date(2026, 4, 6)] == "Lundi de Pâques"
    assert date(2026, 5, 14) in days  # Ascension
    assert date(2026, 5, 25) in days  # Pentecost Monday
    assert date(2026, 4, 3) not in days  # Good Friday: Alsace-Moselle only
    assert date(2031, 4, 14) in hours.public_holidays(2031)  # Easter Monday 2031


def test_alsace_moselle_close_on_good_friday_and_st_stephen_s_day(schedule):
    every_day(schedule, (h(9), h(18)))
    assert open_time(schedule, date(2026, 4, 3)) == timedelta(hours=9)

    hours.update_schedule_settings(
        schedule, closed_on_public_holidays=True, closed_on_territory_holidays=True, holiday_region="57"
    )
    db.session.commit()

    assert open_intervals(schedule, *local_day(date(2026, 4, 3))) == []
    assert open_intervals(schedule, *local_day(date(2026, 12, 26))) == []


def test_upcoming_closures_list_closures_and_the_holidays_of_open_days(schedule):
    hours.set_day_ranges(schedule, 4, [(h(9), h(18))])  # Fridays only
    hours.add_closure(schedule, paris(2026, 5, 8, 14), paris(2026, 5, 8, 18), "Formation")
    db.session.commit()

    periods = hours.upcoming_closures(schedule, paris(2026, 4, 27), days=30)

    # 1 May (a Friday) is listed, 8 May too (a Friday), Ascension Thursday 14 May is not (closed anyway)
    assert [(p.starts_at.astimezone(PARIS).date(), p.label) for p in periods] == [
        (date(2026, 5, 1), "Fête du Travail"),
        (date(2026, 5, 8), "Fête de la Victoire"),
        (date(2026, 5, 8), "Formation"),
    ]


def test_is_open(schedule):
    every_day(schedule, (h(9), h(18)))

    assert hours.is_open(schedule, paris(2026, 6, 2, 9))
    assert not hours.is_open(schedule, paris(2026, 6, 2, 18))
    assert not hours.is_open(schedule, paris(2026, 5, 1, 10))


def test_open_intervals_need_aware_instants(schedule):
    with pytest.raises(ValueError):
        open_intervals(schedule, datetime(2026, 6, 1), datetime(2026, 6, 2))


def test_the_schedule_follows_the_territory_s_timezone(app, ctx):
    from tests.conftest import create_territory

    territory = db.session.get(Territory, create_territory(app, "cayenne", "Cayenne", timezone="America/Cayenne"))
    schedule = hours.schedule_for(territory, "test", 1)
    hours.set_day_ranges(schedule, MONDAY, [(h(9), h(18))])
    db.session.commit()
    start = datetime(2026, 6, 1, tzinfo=ZoneInfo("America/Cayenne"))

    assert open_intervals(schedule, start, start + timedelta(days=1)) == [
        (datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 21, tzinfo=UTC))
    ]


# -- concurrency ------------------------------------------------------------------------------------------------------


def test_two_editors_saving_the_same_day_at_once_never_leave_overlapping_ranges(app, schedule):
    schedule_id = schedule.id
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(ranges):
        try:
            with app.app_context():
                own = db.session.get(Schedule, schedule_id)
                barrier.wait()
                hours.set_day_ranges(own, MONDAY, ranges)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [
        threading.Thread(target=save, args=([(h(9), h(12)), (h(14), h(18))],)),
        threading.Thread(target=save, args=([(h(10), h(16))],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    db.session.expire_all()
    rows = db.session.execute(
        select(WeeklyRange.start_minute, WeeklyRange.end_minute).where(WeeklyRange.schedule_id == schedule_id)
    ).all()
    assert sorted(rows) in ([(h(9), h(12)), (h(14), h(18))], [(h(10), h(16))])
