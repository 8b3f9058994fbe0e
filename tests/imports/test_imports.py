"""Importing a bought list, row by row, through the job that runs it: what is created, what is
rejected and why, all or nothing, duplicates, suppression, and chunks that commit once."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count

from crm.models import Company, Contact
from crm.suppression import suppress
from imports import services
from imports.models import BoughtList, ImportRun, Phase
from jobs.models import JobStatus
from leads.models import Lead, StageChange
from scoring.models import ScoreChange
from tests.factories import ContactFactory, make_user
from tests.imports.conftest import HEADER, rows, run_to_end, upload

pytestmark = pytest.mark.django_db


def start(text, *, mode="valid_rows", duplicates="skip", mapping=None, name="list.csv", encoding="utf-8", **extra):
    return services.import_list(
        upload=upload(text, name=name, encoding=encoding),
        list_name=extra.pop("list_name", "Plumbers, Ohio"),
        vendor=extra.pop("vendor", "ListCo"),
        price=extra.pop("price", "1,250.00"),
        mode=mode,
        duplicates=duplicates,
        mapping=mapping,
        **extra,
    )


def imported(text, **options) -> ImportRun:
    return run_to_end(start(text, **options))


def rejected_csv(run) -> list[list[str]]:
    path = services.rejected_path(run)
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


GOOD = rows(
    "Ann,Lee,ann@example.com,(555) 010-0001,Acme Plumbing,Owner",
    "Bob,Ray,BOB@Example.com ,,Acme plumbing,",
    "Cy,Diaz,,+1 555 010 0003,,Clerk",
)


def test_each_name_becomes_a_contact_with_a_lead_at_stage_list_from_the_bought_list():
    run = imported(GOOD)
    assert (run.status, run.created, run.rejected, run.duplicate_rows, run.total) == ("done", 3, 0, 0, 3)
    bought = run.bought_list
    assert (bought.name, bought.vendor, bought.price) == ("Plumbers, Ohio", "ListCo", Decimal("1250.00"))
    leads = Lead.objects.filter(bought_list=bought).select_related("contact__company")
    assert leads.count() == 3
    assert {(lead.stage, lead.source) for lead in leads} == {("list", "list")}
    bob = Contact.objects.get(email="bob@example.com")  # normalized like a capture
    assert Contact.objects.get(first_name="Cy").phone == "+15550100003"
    assert bob.company.name == "Acme Plumbing" and Company.objects.count() == 1  # one company, any case
    lead = leads.get(contact=bob)
    assert lead.rules_version > 0 and lead.score_computed_at is not None  # scored on its profile
    assert ScoreChange.objects.filter(lead__bought_list=bought).count() == 3
    first = StageChange.objects.get(lead=lead)
    assert (first.from_stage, first.to_stage, first.reason) == ("", "list", "Imported from the list “Plumbers, Ohio”")
    assert services.upload_path(run) is None and not list(services.uploads_dir().glob("*"))  # the upload is deleted


def test_valid_rows_only_imports_the_good_rows_and_reports_each_bad_one_with_line_column_and_reason():
    text = rows(
        "Ann,Lee,ann@example.com,,,",
        "Bob,Ray,not-an-email,,,",
        "Cy,Diaz,cy@example.com,12,,",
        "Dee,Fox,,,,",
        "Eve,Orr,eve@example.com,,,=cmd()",
        "Fay,Poe,fay@example.com",
        "Gus,Ng,gus@example.com,,,,extra",
    )
    run = imported(text)
    assert (run.status, run.created, run.rejected, run.processed) == ("done", 1, 6, 7)
    assert Contact.objects.count() == 1
    assert run.errors == [
        {"line": 3, "column": "E-mail", "message": "Enter a valid e-mail address."},
        {"line": 4, "column": "Phone", "message": "Enter a valid phone number."},
        {"line": 5, "column": "E-mail", "message": "Give an e-mail address or a phone number."},
        {"line": 6, "column": "Title", "message": "Starts with “=”, so a spreadsheet would run it as a formula."},
        {"line": 7, "column": None, "message": "Too few cells: 3, where the header has 6."},
        {"line": 8, "column": None, "message": "Too many cells: 7, where the header has 6."},
    ]
    table = rejected_csv(run)
    assert table[0] == ["Line", "Problems", "First name", "Last name", "E-mail", "Phone", "Company", "Title"]
    assert [row[0] for row in table[1:]] == ["3", "4", "5", "6", "7", "8"]
    assert table[4][-1] == "'=cmd()"  # the formula cell cannot run when the file is opened
    assert table[1][1] == "E-mail: Enter a valid e-mail address."


def test_all_or_nothing_with_one_bad_row_writes_nothing_at_all():
    ContactFactory(email="ann@example.com", first_name="", title="")
    text = rows("Ann,Lee,ann@example.com,,,Boss", "Bob,Ray,bob@example.com,,,", "Cy,Diaz,nope,,,")
    run = imported(text, mode="all_or_nothing", duplicates="fill_empty")
    assert (run.status, run.refused, run.created, run.updated, run.rejected, run.total) == ("failed", True, 0, 0, 1, 3)
    assert run.job.status == JobStatus.DONE and run.bought_list is None
    assert Contact.objects.count() == 1 and Contact.objects.get().title == ""  # not even the fill-in
    assert not Lead.objects.exists() and not BoughtList.objects.exists()  # and no list, so no cost
    assert run.errors == [{"line": 4, "column": "E-mail", "message": "Enter a valid e-mail address."}]
    assert [row[0] for row in rejected_csv(run)[1:]] == ["4"]


def test_all_or_nothing_without_errors_imports_everything():
    run = imported(GOOD, mode="all_or_nothing")
    assert (run.status, run.created, run.checked, run.processed) == ("done", 3, 3, 3)
    assert run.job.total == run.job.done == 6  # read twice: checked, then written


def test_duplicates_in_the_file_and_in_the_crm_are_skipped_and_counted():
    ContactFactory(email="ann@example.com", phone="", first_name="Ann", title="")
    ContactFactory(email="", phone="+15550100009")
    text = rows(
        "Ann,Lee,ANN@example.com,,,Owner",
        "Dan,Ko,dan@example.com,,,",
        "Daniel,Ko,dan@example.com,,,",
        "Phil,Ip,phil@example.com,555-010-0009,,",
    )
    run = imported(text)
    assert (run.created, run.duplicate_rows, run.updated) == (1, 3, 0)
    assert Contact.objects.filter(email="dan@example.com").get().first_name == "Dan"  # the first row wins
    assert Contact.objects.get(email="ann@example.com").title == ""  # skip leaves them as they are
    assert not Contact.objects.filter(email="phil@example.com").exists()  # the phone said who it was


def test_fill_empty_fills_only_empty_fields_and_never_consent():
    ann = ContactFactory(email="ann@example.com", phone="", first_name="Annie", title="", consent=False)
    header = "First name,E-mail,Phone,Title,Opt in,DNC,Company\n"
    text = header + "Ann,ann@example.com,555-010-0001,Owner,yes,yes,Acme\nAnn,ann@example.com,,Boss,,,\n"
    run = imported(text, duplicates="fill_empty")
    assert (run.created, run.updated, run.duplicate_rows) == (0, 1, 1)  # the second row had nothing left to fill
    ann.refresh_from_db()
    assert (ann.first_name, ann.title, ann.phone) == ("Annie", "Owner", "+15550100001")
    assert ann.company.name == "Acme" and ann.do_not_contact and not ann.consent
    assert not Lead.objects.exists()  # a known person gets no second, bought, lead


def test_email_wins_when_email_and_phone_point_at_two_people():
    ann = ContactFactory(email="ann@example.com", phone="", title="")
    ContactFactory(email="", phone="+15550100002")
    run = imported(rows("Ann,Lee,ann@example.com,555-010-0002,,Owner"), duplicates="fill_empty")
    ann.refresh_from_db()
    assert run.updated == 1 and ann.title == "Owner" and ann.phone == ""  # the phone is someone else's


def test_suppressed_people_are_skipped_and_counted():
    suppress(email="erased@example.com")
    suppress(phone="+15550100007")
    text = rows("Er,Ased,Erased@Example.com,,,", "Ph,One,,(555) 010-0007,,", "Ok,Fine,ok@example.com,,,")
    run = imported(text)
    assert (run.created, run.suppressed, run.duplicate_rows) == (1, 2, 0)
    assert list(Contact.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_an_erased_persons_row_is_suppressed_even_with_errors_and_never_written_to_the_rejected_file():
    suppress(email="erased@example.com")
    text = rows("Er,Ased,erased@example.com,12,,", "Bad,Row,nope,,,", "Ok,Fine,ok@example.com,,,")
    run = imported(text)
    assert (run.created, run.suppressed, run.rejected) == (1, 1, 1)
    assert "erased@example.com" not in services.rejected_path(run).read_text(encoding="utf-8-sig")
    refused = imported(text, mode="all_or_nothing", list_name="Strict")
    assert (refused.refused, refused.rejected) == (True, 1)  # only the row that is really wrong counts


def test_the_mapping_is_guessed_from_the_headers_and_can_be_given():
    header = "Contact Name;Work Email;Business Phone;Organisation;Zip;State;Employees;SIC\n"
    text = header + "Ann Lee;ann@example.com;555 010 0001;Acme;45402;OH;35;1711\n"
    run = imported(text)
    contact = Contact.objects.select_related("company").get()
    assert (contact.first_name, contact.last_name, contact.phone) == ("Ann", "Lee", "+15550100001")
    company = contact.company
    assert (company.name, company.postal_code, company.region, company.head_count, company.size_band) == (
        "Acme",
        "45402",
        "OH",
        35,
        "10-49",
    )
    assert company.industry_code == "1711" and contact.mailing_address == "OH 45402"
    assert run.mapping[0] == "full_name"

    given = imported(
        "Col A,Col B\nBob,bob@example.com\n", mapping={"Col A": "last_name", "col b": "email"}, list_name="Second"
    )
    assert given.created == 1 and Contact.objects.get(email="bob@example.com").last_name == "Bob"


def test_a_mapping_without_email_or_phone_is_refused_before_anything_is_kept():
    with pytest.raises(ValidationError) as caught:
        start("First name,Last name\nAnn,Lee\n")
    assert "Map a column to E-mail or to Phone" in caught.value.message_dict["mapping"][0]
    with pytest.raises(ValidationError) as caught:
        start(GOOD, mapping={"Nope": "email"})
    assert "no column “Nope”" in caught.value.message_dict["mapping"][0]
    with pytest.raises(ValidationError) as caught:
        start(GOOD, mapping={"E-mail": "email", "Phone": "email"})
    assert "Two columns go to E-mail" in caught.value.message_dict["mapping"][0]
    assert not ImportRun.objects.exists() and not list(services.uploads_dir().glob("*"))


def test_bad_list_fields_are_refused_each_by_name():
    with pytest.raises(ValidationError) as caught:
        start(GOOD, list_name=" ", price="-3", mode="some", duplicates="merge")
    assert set(caught.value.message_dict) == {"list_name", "price", "mode", "duplicates"}
    assert not ImportRun.objects.exists()


def test_a_windows_1252_file_keeps_its_accents():
    text = rows("René,Müller,rene@example.com,,Café Noël,Gérant")
    run = imported(text, encoding="cp1252")
    contact = Contact.objects.select_related("company").get()
    assert run.detected_encoding == "Windows-1252"
    assert (contact.first_name, contact.last_name, contact.title, contact.company.name) == (
        "René",
        "Müller",
        "Gérant",
        "Café Noël",
    )


def test_a_file_mixing_utf8_and_windows_1252_lines_imports_the_utf8_rows_and_rejects_the_others_by_line():
    data = (
        HEADER.encode()
        + "José,Pérez,jose@example.com,,Café Noël,Gérant\n".encode()
        + "René,Müller,rene@example.com,,Crème SA,Chef\n".encode("cp1252")  # pasted from another export
        + b"Ann,Lee,ann@example.com,,,\n"
    )
    for mode in ("all_or_nothing", "valid_rows"):
        run = run_to_end(
            services.import_list(upload=upload(data), list_name=f"Mixed {mode}", mode=mode, duplicates="skip")
        )
        assert (run.encoding, run.unreadable_lines, run.first_unreadable_line) == ("utf-8", 1, 3)
        assert [(e["line"], e["column"]) for e in run.errors] == [(3, None)]
        assert run.errors[0]["message"].startswith("Line 3 is not UTF-8 text")
        assert [row[0] for row in rejected_csv(run)] == ["Line", "3"]
    assert run.refused is False and (run.created, run.rejected) == (2, 1)
    names = list(Contact.objects.order_by("id").values_list("first_name", "last_name", "title", "company__name"))
    assert names == [("José", "Pérez", "Gérant", "Café Noël"), ("Ann", "Lee", "", None)]  # never "JosÃ©"
    assert not Contact.objects.filter(email="rene@example.com").exists()


def test_a_quoted_cell_over_several_lines_is_one_row_and_the_lines_still_count():
    text = 'Name,E-mail,Address\n"Ann Lee",ann@example.com,"1 Main St\nSuite 2"\nBob,bad,x\n'
    run = imported(text)
    assert Contact.objects.get().mailing_address == "1 Main St\nSuite 2"
    assert run.errors == [{"line": 4, "column": "E-mail", "message": "Enter a valid e-mail address."}]


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_a_quoted_cell_too_long_for_the_reader_is_one_rejected_row_and_nothing_of_it_is_imported(settings, chunk):
    """Issue 17: a quoted cell over many long lines was split and its tail imported as `A"`."""
    settings.CRM_IMPORT_CHUNK = chunk
    long = "A" * 100_000
    text = rows(
        "Ann,Lee,ann@example.com,,,",
        f'"{long}\n{long}\n{long}\nA",Tail,tail@example.com,,,',
        "Bob,Ray,bob@example.com,,,",
    )
    for mode in ("all_or_nothing", "valid_rows"):
        run = imported(text, mode=mode, list_name=f"Long {mode}")
        assert (run.rejected, run.errors[0]["line"], run.errors[0]["column"]) == (1, 3, None)
        assert "a cell is longer than 131,072 characters" in run.errors[0]["message"]
        assert [row[0] for row in rejected_csv(run)] == ["Line", "3"]
    assert run.refused is False and (run.created, run.processed) == (2, 3)
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == ["Ann", "Bob"]
    assert not Contact.objects.filter(email="tail@example.com").exists()


def test_dashes_are_empty_and_formula_cells_in_names_are_rejected():
    text = rows("-,Lee,ann@example.com,,--,-", "@SUM(A1),Ray,bob@example.com,,,", "+cmd,Diaz,cy@example.com,,,")
    run = imported(text)
    ann = Contact.objects.get()
    assert (ann.first_name, ann.title, ann.company_id) == ("", "", None)
    assert [(e["line"], e["column"]) for e in run.errors] == [(3, "First name"), (4, "First name")]


def test_small_chunks_give_the_same_result(settings):
    settings.CRM_IMPORT_CHUNK = 2
    text = rows(
        *[f"P{i},L{i},p{i}@example.com,,Co {i % 3},x" for i in range(9)], "Bad,Row,nope,,,", "P1,L1,p1@example.com,,,"
    )
    run = imported(text)
    assert (run.created, run.rejected, run.duplicate_rows, run.processed) == (9, 1, 1, 11)
    assert Company.objects.count() == 3
    assert len(rejected_csv(run)) == 2  # the header and the one row


def test_a_chunk_that_fails_half_way_is_done_again_in_full_and_counted_once(settings, monkeypatch):
    """An error after the chunk wrote its rows and its rejected lines rolls all of it back; the
    retry writes each person once and each rejected row once."""
    from imports import jobs as import_jobs
    from jobs import services as jobs

    settings.CRM_IMPORT_CHUNK = 3
    text = rows(*[f"P{i},L{i},{'bad' if i % 3 == 1 else f'p{i}'}@example.com,,,x" for i in range(9)])
    text = text.replace("bad@example.com", "bad")
    run = start(text)
    real = import_jobs._reject
    calls = {"n": 0}

    def reject_then_die(run_, rejected):
        real(run_, rejected)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker died")

    monkeypatch.setattr(import_jobs, "_reject", reject_then_die)
    with pytest.raises(RuntimeError):
        jobs.run_job(run.job_id)
    half = ImportRun.objects.get(pk=run.pk)
    assert (half.processed, half.created, half.rejected) == (3, 2, 1)  # the first chunk stands, the second is undone
    assert Contact.objects.count() == 2
    run = run_to_end(run)
    assert (run.created, run.rejected, run.processed) == (6, 3, 9)
    assert Contact.objects.values("email").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert [row[0] for row in rejected_csv(run)[1:]] == ["3", "6", "9"]


def test_a_person_created_by_someone_else_meanwhile_is_a_duplicate_not_an_error(monkeypatch):
    """The lookup missed a contact a capture created a moment later: the database refuses the
    second one, and the chunk is matched again."""
    from imports import writing

    ContactFactory(email="ann@example.com", phone="")
    real_init = writing._Chunk.__init__
    calls = {"n": 0}

    def blind_the_first_lookup(self, chunk_rows):
        real_init(self, chunk_rows)
        calls["n"] += 1
        if calls["n"] == 1:
            self.by_email.clear()

    monkeypatch.setattr(writing._Chunk, "__init__", blind_the_first_lookup)
    run = imported(rows("Ann,Lee,ann@example.com,,,", "Bob,Ray,bob@example.com,,,"))
    assert calls["n"] == 2 and (run.created, run.duplicate_rows) == (1, 1)
    assert Contact.objects.count() == 2


def test_the_preview_shows_the_first_rows_as_they_would_be_imported():
    ContactFactory(email="ann@example.com")
    suppress(email="gone@example.com")
    run = services.create_draft(
        upload=upload(
            rows("Ann,Lee,ann@example.com,,,", "Bad,Row,x,,,", "Go,Ne,gone@example.com,,,", "Ok,Fine,ok@x.com,,,")
        ),
        list_name="Preview",
    )
    shown = services.preview(run)
    assert [(item.line, item.status) for item in shown] == [
        (2, "duplicate"),
        (3, "error"),
        (4, "suppressed"),
        (5, "new"),
    ]
    assert shown[3].row.contact == {"first_name": "Ok", "last_name": "Fine", "email": "ok@x.com"}
    assert not Lead.objects.exists() and run.phase == Phase.DRAFT


def test_a_draft_starts_once_and_can_be_read_another_way():
    run = services.create_draft(upload=upload("Name;E-mail\nAnn;ann@example.com\n"), list_name="Semi")
    assert run.delimiter == ";" and run.mapping == ["full_name", "email"]
    run = services.change_reading(run_id=run.pk, encoding="latin-1", delimiter=",")
    assert run.header == ["Name;E-mail"] and run.encoding == "latin-1"
    run = services.change_reading(run_id=run.pk, encoding="utf-8", delimiter=";")
    started = services.start_import(run_id=run.pk, mapping=run.mapping, mode="valid_rows", duplicates="skip")
    from config.errors import Conflict

    with pytest.raises(Conflict):
        services.start_import(run_id=run.pk, mapping=run.mapping, mode="valid_rows", duplicates="skip")
    assert run_to_end(started).created == 1


def test_files_are_kept_only_as_long_as_needed(settings):
    from datetime import timedelta

    from django.utils import timezone

    done = imported(rows("Ann,Lee,ann@example.com,,,", "Bad,Row,x,,,"))
    draft = services.create_draft(upload=upload(GOOD), list_name="Left behind")
    assert services.rejected_path(done) is not None and services.upload_path(draft).exists()
    later = timezone.now() + timedelta(days=settings.CRM_IMPORT_KEEP_DAYS, hours=1)
    assert services.purge_import_files(now=later) == {"uploads": 0, "drafts": 1, "rejected": 1}
    done.refresh_from_db()
    assert services.rejected_path(done) is None and done.rejected_purged_at is not None
    assert not ImportRun.objects.filter(pk=draft.pk).exists() and not list(services.uploads_dir().glob("*"))


def test_an_import_records_who_bought_the_list():
    marketer = make_user("lister", "marketing")
    run = run_to_end(
        services.import_list(upload=upload(GOOD), list_name="Mine", mode="valid_rows", duplicates="skip", by=marketer)
    )
    assert run.bought_list.created_by == marketer and run.bought_list.price is None
    assert StageChange.objects.filter(changed_by=marketer).count() == 3


def test_a_draft_whose_file_is_gone_cannot_start_or_be_read_again():
    run = services.create_draft(upload=upload(GOOD), list_name="Gone")
    services.upload_path(run).unlink()
    with pytest.raises(ValidationError) as caught:
        services.start_import(run_id=run.pk, mapping=run.mapping, mode="valid_rows", duplicates="skip")
    assert "no longer on this server" in caught.value.message_dict["file"][0]
    with pytest.raises(ValidationError):
        services.change_reading(run_id=run.pk, encoding="latin-1", delimiter=";")
    assert services.preview(run) == [] and ImportRun.objects.get(pk=run.pk).job_id is None
