"""Every write to contacts and companies."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Upper

from crm.models import Company, Contact
from crm.normalize import normalize_email, normalize_phone

_PROFILE_FIELDS = ("first_name", "last_name", "title", "persona")


def company_for_name(name: str) -> Company | None:
    """The company of that name (any case), created if new; None for a blank name."""
    name = (name or "").strip()
    if not name:
        return None
    existing = Company.objects.annotate(upper=Upper("name")).filter(upper=name.upper()).first()
    return existing or Company.objects.create(name=name)


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
    unique constraints decide, and the loser of a race merges into the winner's contact.
    """
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
    given = {"first_name": first_name, "last_name": last_name, "title": title, "persona": persona}
    given = {name: (value or "").strip() for name, value in given.items()}
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


def create_staff_user(*, username: str, role: str, password: str | None = None, email: str = ""):
    """A user with one of the four roles (role given as its slug: csr, sales, marketing, manager).

    Without a password the account cannot log in until one is set. Managers also get Django
    admin access, where they manage users and roles.
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
    return user
