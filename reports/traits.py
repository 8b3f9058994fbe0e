"""What a lead is like: the traits the ideal customer profile compares (industry code, size band,
title, persona, region, postal area, source, products bought), each one SQL expression over a lead.

One definition for the two places that count them: the ICP counts them over the best customers'
won sales (reports.analysis.icp), and the cohort rollups count them over each day's leads
(reports.rollups, CohortTrait), which is where the ICP's share among leads comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, Lower, Substr, Trim, Upper

NO_OFFER = "no offer"


def _text(expression) -> Coalesce:
    """A trait's value in SQL, with no value (no company, an empty field) as ""."""
    return Coalesce(expression, Value(""), output_field=CharField())


@dataclass(frozen=True)
class Trait:
    field: str
    label: str
    expression: object  # an expression over a lead, built by _text
    profile_field: str | None = None  # its name in scoring.definition.PROFILE_FIELDS, when it is one
    segment_key: str | None = None  # its filter in a campaign's segment (campaigns.selectors.SEGMENT_LOOKUPS)
    blank: str | None = None  # what an empty value is called; None: null in the answer ("not recorded")


TRAITS = (
    Trait("industry_code", "Industry", _text(F("contact__company__industry_code")), "industry_code", "industry_codes"),
    Trait("size_band", "Company size", _text(F("contact__company__size_band")), "size_band", "size_bands"),
    # Titles are typed freely: "Owner" and " owner" are one title (a profile rule matches either case).
    Trait("title", "Title", _text(Lower(Trim("contact__title"))), "title"),
    Trait("persona", "Persona", _text(F("contact__persona")), "persona", "personas"),
    Trait("region", "Region", _text(F("contact__company__region")), "region", "regions"),
    Trait("postal_area", "Postal area", _text(Upper(Substr("contact__company__postal_code", 1, 3)))),
    Trait("source", "Source", _text(F("source"))),
    Trait("product", "Products bought", _text(F("offer__code")), blank=NO_OFFER),
)
UPSELL = Trait("upsell_accepted", "Upsell accepted", Value(""))
