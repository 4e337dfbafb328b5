"""What the member's pages read about exchanges: the pending ones to answer or sent, one exchange, and the people and
categories a new exchange may have. The rules and the changes of status are in ``exchanges.py``."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from platformcoop.extensions import db
from platformcoop.tenancy import scoped_select
from plugins.timebank.exchanges import PROVIDER, RECEIVER, with_people
from plugins.timebank.models import CHILDCARE, Account, Category, Exchange

# -- pending exchanges -----------------------------------------------------------------------------------------------


def waiting_for(territory, account: Account) -> list[Exchange]:
    """Pending exchanges ``account`` has to answer: records to confirm, payment requests to accept."""
    return _pending(territory, account, answering=True)


def sent_by(territory, account: Account) -> list[Exchange]:
    """Pending exchanges ``account`` started and the other side has not answered yet."""
    return _pending(territory, account, answering=False)


def _pending(territory, account: Account, *, answering: bool) -> list[Exchange]:
    """The side that answers a record is its provider, the side that answers a payment request its receiver."""
    on_record, on_request = Exchange.provider_account_id, Exchange.receiver_account_id
    if not answering:
        on_record, on_request = on_request, on_record
    return list(
        db.session.scalars(
            with_people(scoped_select(Exchange, territory))
            .where(
                Exchange.status == Exchange.PENDING,
                or_(
                    (Exchange.initiated_by == RECEIVER) & (on_record == account.id),
                    (Exchange.initiated_by == PROVIDER) & (on_request == account.id),
                ),
            )
            .order_by(Exchange.created_at, Exchange.id)
        )
    )


def load_exchange(territory, exchange_id: int) -> Exchange | None:
    return db.session.scalar(with_people(scoped_select(Exchange, territory)).where(Exchange.id == exchange_id))


# -- the people one can exchange with ----------------------------------------------------------------------------------


def _partners(territory, me: Account):
    """Open member accounts of active members of ``territory``, other than ``me``, with their person."""
    from platformcoop.accounts.models import User
    from platformcoop.tenancy.models import MEMBERSHIP_ACTIVE, Membership

    return (
        select(Account, User.display_name)
        .join(User, User.id == Account.user_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.territory_id == territory.id))
        .where(
            Account.territory_id == territory.id,
            Account.id != me.id,
            Account.closed_at.is_(None),
            User.erased_at.is_(None),
            User.disabled.is_(False),
            Membership.status == MEMBERSHIP_ACTIVE,
        )
    )


def partner_choices(territory, me: Account) -> list[tuple[int, str]]:
    """``(user id, name)`` of the people ``me`` can exchange with, sorted by name."""
    from platformcoop.accounts.models import User

    rows = db.session.execute(_partners(territory, me).order_by(func.lower(User.display_name), User.id))
    return [(account.user_id, name) for account, name in rows]


def partner_account(territory, me: Account, user_id: int) -> Account | None:
    """The account of the person ``user_id`` if ``me`` can exchange with them in ``territory``, else None."""
    row = db.session.execute(_partners(territory, me).where(Account.user_id == user_id)).first()
    return row[0] if row else None


def exchange_categories(territory) -> list[Category]:
    """The active categories an exchange may have: every one but childcare, which goes through sessions."""
    return list(
        db.session.scalars(
            scoped_select(Category, territory)
            .where(Category.active.is_(True), Category.key != CHILDCARE)
            .order_by(Category.position, Category.label)
        )
    )
