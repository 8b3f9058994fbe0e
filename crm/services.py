"""Every write to contacts and companies."""

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Upper

from config.text import clean_text, one_line_errors
from crm.models import Company, Contact, SizeBand, StaffProfile
from crm.normalize import normalize_email, normalize_phone
from crm.zones import validate_time_zone

_PROFILE_FIELDS = ("first_name", "last_name", "title", "persona")
_ONE_LINE_FIELDS = (*_PROFILE_FIELDS, "company_name")  # config.text: never a line break


def company_for_name(name: str) -> Company | None:
    """The company of that name (any case), created if new; None for a blank name."""
    name = (name or "").strip()
    if not name:
        return None
    existing = Company.objects.annotate(upper=Upper("name")).filter(upper=name.upper()).first()
    return existing or Company.objects.create(name=name)


def normalized_reach(*, email: str = "", phone: str = "") -> tuple[str, str]:
    """(email, phone) as stored: normalized, with every problem refused at once; one is needed."""
    errors = {}
    try:
        email = normalize_email(email)
    except ValidationError as exc:
        errors["email"] = exc.messages
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    if not email and not phone:
        raise ValidationError({"email": ["Give an email address or a phone number."]})
    return email, phone


def known_contact(*, email: str = "", phone: str = "") -> Contact | None:
    """The contact with this e-mail or phone (normalized first), without changing anything."""
    return _matching_contact(*normalized_reach(email=email, phone=phone))


def find_or_create_contact(
    *,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    persona: str = "",
    company_name: str = "",
    consent: bool | None = None,
) -> tuple[Contact, bool]:
    """The one contact with this email or phone, created if neither is known. Returns (contact, created).

    Email wins when email and phone point at two different people. Blank profile fields of an
    existing contact are filled in, never overwritten. Safe under concurrency: the database's
    unique constraints decide, and the loser of a race merges into the winner's contact. Names,
    title, persona and company are one line each: a line break or control character is a field
    error (config.text).
    """
    email, phone, given = _checked_details(
        email=email,
        phone=phone,
        first_name=first_name,
        last_name=last_name,
        title=title,
        persona=persona,
        company_name=company_name,
    )
    for _attempt in range(3):
        contact = _matching_contact(email, phone)
        if contact is not None:
            _fill_in(contact, email=email, phone=phone, consent=consent, company_name=company_name, **given)
            return contact, False
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    email=email,
                    phone=phone,
                    consent=bool(consent),
                    company=company_for_name(company_name),
                    **given,
                )
            return contact, True
        except IntegrityError:
            continue  # someone created the same person a moment ago: merge into theirs
    raise ValidationError({"email": ["This contact is being changed by someone else; try again."]})


def _checked_details(
    *, email="", phone="", first_name="", last_name="", title="", persona="", company_name=""
) -> tuple[str, str, dict]:
    """(email, phone, the profile fields) as a contact keeps them, or ValidationError. Names,
    title, persona and company are one line each."""
    email, phone = normalized_reach(email=email, phone=phone)
    given = {"first_name": first_name, "last_name": last_name, "title": title, "persona": persona}
    given = {name: (value or "").strip() for name, value in given.items()}
    refused = one_line_errors({**given, "company": (company_name or "").strip()})
    if refused:  # a name with a line break would break every e-mail subject it is put in
        raise ValidationError(refused)
    return email, phone, given


def unsaved_contact(*, consent: bool | None = None, **details) -> Contact:
    """The contact find_or_create_contact would create for these details (its arguments, the same
    names), normalized and checked the same way (ValidationError otherwise), neither written nor
    given its company: for a caller that writes a new person itself when no contact has their
    e-mail or phone (leads.intake's `receive_new`, one statement for the whole arrival), and
    calls find_or_create_contact when one does."""
    email, phone, given = _checked_details(**details)
    return Contact(email=email, phone=phone, consent=bool(consent), **given)


def _matching_contact(email: str, phone: str) -> Contact | None:
    query = Q(pk__in=[])
    if email:
        query |= Q(email=email)
    if phone:
        query |= Q(phone=phone)
    matches = list(Contact.objects.filter(query)[:2])
    if len(matches) > 1 and email:
        return next(c for c in matches if c.email == email)
    return matches[0] if matches else None


def _fill_in(contact: Contact, *, email, phone, consent, company_name, **profile) -> None:
    changed = []
    for name, value in profile.items():
        if value and not getattr(contact, name):
            setattr(contact, name, value)
            changed.append(name)
    for name, value in (("email", email), ("phone", phone)):
        if value and not getattr(contact, name) and not Contact.objects.filter(**{name: value}).exists():
            setattr(contact, name, value)
            changed.append(name)
    if consent and not contact.consent:
        contact.consent = True
        changed.append("consent")
    if company_name and contact.company_id is None:
        contact.company = company_for_name(company_name)
        changed.append("company")
    if changed:
        try:
            with transaction.atomic():
                contact.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            pass  # a new email/phone was taken meanwhile; the rest is cosmetic


CONTACT_EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "persona",
    "email",
    "phone",
    "company_name",
    "mailing_address",
    "consent",
    "do_not_contact",
)
_UNIQUE_CLASH = {
    "email": "Another contact already has this e-mail address.",
    "phone": "Another contact already has this phone number.",
}


def update_contact(*, contact_id: int, **fields) -> Contact:
    """Correct a contact by hand (the lead page's edit form): only the fields given change.

    E-mail and phone are normalized as on every arrival, and each still belongs to one contact:
    an address or number another contact has is a field error saying so, never an
    IntegrityError, so two people never quietly become one. The contact keeps a name, an e-mail
    or a phone. Do-not-contact is the flag the letter batches and e-mail sends read, so setting
    it stops them from the next batch on. Names, title, persona and company are one line each
    (config.text); the address keeps its lines. Raises ValidationError with every field's reason
    and then writes nothing.
    """
    unknown = set(fields) - set(CONTACT_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    errors = {}
    for name, normalize in (("email", normalize_email), ("phone", normalize_phone)):
        if name in fields:
            try:
                fields[name] = normalize(fields[name])
            except ValidationError as exc:
                errors[name] = exc.messages
    for name in ("first_name", "last_name", "title", "persona", "mailing_address", "company_name"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "mailing_address" in fields:
        fields["mailing_address"] = clean_text(fields["mailing_address"])
    errors.update(one_line_errors({name: fields[name] for name in _ONE_LINE_FIELDS if name in fields}))
    for name in ("consent", "do_not_contact"):
        if name in fields:
            fields[name] = bool(fields[name])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contact = Contact.objects.select_for_update(of=("self",)).select_related("company").get(pk=contact_id)
        if contact.erased_at is not None:  # they asked to be forgotten: nothing is written back
            raise ValidationError({NON_FIELD_ERRORS: ["This contact's personal data was erased on request."]})
        company_name = fields.pop("company_name", None)
        changed = [name for name, value in fields.items() if getattr(contact, name) != value]
        for name in changed:
            setattr(contact, name, fields[name])
        current_company = contact.company.name if contact.company else ""
        if company_name is not None and company_name.upper() != current_company.upper():
            contact.company = company_for_name(company_name)
            changed.append("company")
        _check_contact(contact, changed)
        if changed:
            try:
                with transaction.atomic():
                    contact.save(update_fields=[*changed, "updated_at"])
            except IntegrityError as exc:  # taken by another contact since the check above
                _check_contact(contact, changed)  # names the field now taken, when it can
                raise ValidationError(
                    {NON_FIELD_ERRORS: ["Another contact took this e-mail or phone a moment ago; try again."]}
                ) from exc
    return contact


def _check_contact(contact: Contact, changed: list[str]) -> None:
    """Refuse an e-mail or phone another contact holds, and a contact left with nothing to
    know them by (the database's contact_has_a_name_or_address)."""
    errors = {}
    for name, clash in _UNIQUE_CLASH.items():
        value = getattr(contact, name)
        if name in changed and value and Contact.objects.filter(**{name: value}).exclude(pk=contact.pk).exists():
            errors[name] = [clash]
    if not any((contact.first_name, contact.last_name, contact.email, contact.phone)):
        errors["last_name"] = ["Keep a name, an e-mail address or a phone number."]
    if errors:
        raise ValidationError(errors)


COMPANY_PROFILE_FIELDS = ("industry_code", "size_band", "head_count", "city", "region", "country", "postal_code")
MAX_HEAD_COUNT = 10_000_000  # more people than any employer has
_INDUSTRY_CODE = re.compile(r"[0-9]{2,10}")
_COUNTRY = re.compile(r"[A-Z]{2}")
# The size band a head count falls in: (smallest head count, band), largest first.
_BANDS = (
    (1000, SizeBand.ENTERPRISE),
    (250, SizeBand.LARGE),
    (50, SizeBand.MEDIUM),
    (10, SizeBand.SMALL),
    (1, SizeBand.MICRO),
)


def size_band_for(head_count: int | None) -> str:
    """The size band of a head count ("" for none)."""
    if not head_count:
        return ""
    return next(band for smallest, band in _BANDS if head_count >= smallest)


def _band_errors(head_count: int, size_band: str) -> dict:
    expected = size_band_for(head_count)
    if size_band == expected:
        return {}
    wrong, right = SizeBand(size_band).label, SizeBand(expected).label
    return {"size_band": [f"{head_count:,} people is not {wrong}: choose {right}."]}


def update_company(*, company_id: int, **fields) -> tuple[Company, list[str]]:
    """Correct a company's ideal-customer-profile facts by hand (the company page): only the
    fields given change. Returns the company and the names of the fields that changed.

    The scoring rules match these facts exactly (an industry code, a size band, a region), so
    they are stored the one way a rule names them: the industry code as its digits (NAICS or
    SIC, spaces dropped), the country as its two-letter code in capitals, every other fact on one
    line. A head count given with no size band fills the band in; a band that disagrees with the
    head count is refused, since profile-fit points read the band. Raises ValidationError with
    every field's reason and then writes nothing. Rescoring the company's leads is the leads
    app's (leads.services.edit_company_profile calls this)."""
    unknown = set(fields) - set(COMPANY_PROFILE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in sorted(unknown)})
    errors = {}
    for name in ("industry_code", "size_band", "city", "region", "country", "postal_code"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    errors.update(one_line_errors({name: fields[name] for name in ("city", "region", "postal_code") if name in fields}))
    if "industry_code" in fields:
        fields["industry_code"] = re.sub(r"[\s.-]", "", fields["industry_code"])
        if fields["industry_code"] and not _INDUSTRY_CODE.fullmatch(fields["industry_code"]):
            errors["industry_code"] = ["Type the NAICS or SIC code as digits, e.g. 238220."]
    if "country" in fields:
        fields["country"] = fields["country"].upper()
        if fields["country"] and not _COUNTRY.fullmatch(fields["country"]):
            errors["country"] = ["Type the country's two-letter code, e.g. US or CA."]
    if fields.get("size_band") and fields["size_band"] not in SizeBand.values:
        errors["size_band"] = ["Choose one of the size bands."]
    if "head_count" in fields and fields["head_count"] is not None:
        count = fields["head_count"]
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_HEAD_COUNT:
            errors["head_count"] = [f"Type the number of people, 1 to {MAX_HEAD_COUNT:,}, or leave it empty."]
    if not errors.keys() & {"head_count", "size_band"} and fields.get("head_count") and fields.get("size_band"):
        errors.update(_band_errors(fields["head_count"], fields["size_band"]))  # told with the rest
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company_id)
        before = {name: getattr(company, name) for name in COMPANY_PROFILE_FIELDS}
        for name, value in fields.items():
            setattr(company, name, value)
        if company.head_count and not company.size_band:
            company.size_band = size_band_for(company.head_count)
        elif company.head_count and _band_errors(company.head_count, company.size_band):
            raise ValidationError(_band_errors(company.head_count, company.size_band))
        changed = [name for name in COMPANY_PROFILE_FIELDS if getattr(company, name) != before[name]]
        if changed:
            company.save(update_fields=changed)
    return company, changed


def create_staff_user(*, username: str, role: str, password: str | None = None, email: str = "", time_zone: str = ""):
    """A user with one of the four roles (role given as its slug: csr, sales, marketing, manager).

    Without a password the account cannot log in until one is set. Managers also get Django
    admin access, where they manage users and roles. A time zone (an IANA name) is the one their
    pages show; blank follows the company's.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from crm.roles import ROLE_BY_SLUG, Role

    username = (username or "").strip()
    role_name = ROLE_BY_SLUG.get((role or "").strip().lower())
    errors = {}
    if not username:
        errors["username"] = ["Give a username."]
    elif get_user_model().objects.filter(username=username).exists():
        errors["username"] = [f"A user named '{username}' already exists."]
    if role_name is None:
        errors["role"] = [f"Unknown role '{role}': use one of {', '.join(ROLE_BY_SLUG)}."]
    time_zone = (time_zone or "").strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=username, email=email, password=password, is_staff=role_name == Role.MANAGER
        )
        user.groups.add(Group.objects.get_or_create(name=role_name)[0])
        if role_name == Role.MANAGER:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        if time_zone:
            StaffProfile.objects.create(user=user, time_zone=time_zone)
    return user


def set_time_zone(*, user_id: int, time_zone: str) -> StaffProfile:
    """The zone a user reads every page in (an IANA name such as America/New_York); blank goes
    back to the company's. An unknown name is refused and changes nothing."""
    time_zone = (time_zone or "").strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from exc
    with transaction.atomic():
        profile, _ = StaffProfile.objects.update_or_create(user_id=user_id, defaults={"time_zone": time_zone})
    return profile
