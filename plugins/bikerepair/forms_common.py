"""What the resident's and the staff's forms share: select choices, and prices typed in euros (a comma or a point),
read as integer cents."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

MAX_PRICE_EUROS = 10000


def choices(pairs) -> list:
    """(value, label) pairs for a select, radio or checkbox list; as ``SelectChoice`` where WTForms has it (3.3+
    warns about tuples)."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


class EurosField(StringField):
    """A price in euros ("12,50", "12.5", "12 €"), read as integer cents in ``cents``; empty: None."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)
        self.cents = None

    def pre_validate(self, form):
        self.cents = None
        text = (self.data or "").replace("€", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if not text:
            return
        try:
            euros = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_l("Indiquez un montant en euros, par exemple 12,50.")) from None
        if not euros.is_finite() or euros < 0 or euros > MAX_PRICE_EUROS:
            raise ValidationError(_l("Un montant entre 0 et %(max)d euros.", max=MAX_PRICE_EUROS))
        if euros != euros.quantize(Decimal("0.01")):
            raise ValidationError(_l("Au plus deux chiffres après la virgule."))
        self.cents = int(euros * 100)
