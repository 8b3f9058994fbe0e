"""List import figures for `make bench`, through a real Celery worker.

Run as `python -m bench.imports` in the bench's environment (bench/__main__.py does, after the
follow-ups and before bench/reports.py reshapes the book), once bench/scoring.py has generated
its million contacts. It prints one JSON line (the last line of its output):

- `import_1m`: a CSV of BENCH_IMPORT_ROWS rows (1,000,000) written to a temporary file, shaped
  like a bought list (name, e-mail, phone, company, title, street, city, state, zip, employees):
  BENCH_IMPORT_KNOWN of them (10%) people the book already holds (e-mails of the generated
  contacts, in upper case, so they match only once normalized), 1% a person repeated later in the
  file and 0.5% with an e-mail that is not one. The clock runs from `imports.services.import_list`
  (what POST /api/v1/imports/ calls: the copy of the file, its encoding and delimiter, the
  guessed mapping, the job) until the worker (queues realtime and bulk, 2 processes, as
  `make run`) has marked the job done, mode "valid rows only", duplicates skipped: rows a second
  end to end. Also the worker processes' peak memory (VmHWM), and the checks that no row was
  imported twice (each e-mail of the file one contact, the list's leads as many as it created,
  the counts adding up to the file). Then what it imported is deleted again (BENCH_IMPORT_KEEP=1
  keeps it), so the figures after it are over the book bench/scoring.py made.
"""

import json
import os
import tempfile
import time
from pathlib import Path

from bench.load import with_load

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
KNOWN_SHARE = float(os.environ.get("BENCH_IMPORT_KNOWN", "0.10"))
MODE = os.environ.get("BENCH_IMPORT_MODE", "valid_rows")
KEEP = os.environ.get("BENCH_IMPORT_KEEP") == "1"  # leave the imported rows in the book
HEADER = "First Name,Last Name,Email,Phone,Company,Title,Address,City,State,Zip,Employees\n"
CITIES = [("Dayton", "OH", "45402"), ("Akron", "OH", "44308"), ("Erie", "PA", "16501"), ("Gary", "IN", "46402")]


def free_area_code(cursor) -> int:
    """An area code no contact's phone uses yet, so the list's new people are new by phone too."""
    cursor.execute("SELECT DISTINCT substr(phone, 3, 3) FROM crm_contact WHERE phone LIKE '+1%%'")
    used = {code for (code,) in cursor.fetchall()}
    return next(code for code in range(300, 1000) if str(code) not in used)


def write_list(path: Path, rows: int, known: list[str], tag: str, area: int = 300) -> dict:
    """The bought list as a CSV file; returns what it holds."""
    shape = {"rows": rows, "known": 0, "repeated": 0, "bad": 0}
    every_known = max(int(1 / KNOWN_SHARE), 1) if known else 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        lines = []
        for i in range(rows):
            if every_known and i % every_known == 3 and shape["known"] < len(known):
                email = known[shape["known"]].upper()
                shape["known"] += 1
            elif i % 100 == 51:
                email = f"Imp{i - 50}.{tag}@bench.example"  # someone already in the file (an ordinary row)
                shape["repeated"] += 1
            elif i % 200 == 17:
                email = f"imp{i}.{tag}-at-bench.example"
                shape["bad"] += 1
            else:
                email = f"Imp{i}.{tag}@bench.example"
            city, state, postal = CITIES[i % 4]
            lines.append(
                f"First{i},Last{i},{email},({area}) {i // 10_000 % 1000:03d}-{i % 10_000:04d},"
                f"Company {i % 20_000},{'Owner' if i % 3 == 0 else 'Office manager'},{i % 9000 + 1} Main St,"
                f"{city},{state},{postal},{(i % 400) + 1}\n"
            )
            if len(lines) >= 10_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    shape["mb"] = round(path.stat().st_size / 1e6, 1)
    return shape


def remove_import(run) -> None:
    """Take out what the import wrote (its leads with their history, their contacts, the
    companies it made, the list), so the figures measured after this one (the queue, the
    reports) are over the book bench/scoring.py made, as their targets say."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        try:  # a superuser skips the foreign-key checks of rows nothing refers to: minutes saved
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except Exception:  # not a superuser: the checks run, slower
            pass
        cursor.execute(
            "CREATE TEMP TABLE bench_imported ON COMMIT DROP AS "
            "SELECT id, contact_id FROM leads_lead WHERE bought_list_id = %s",
            [run.bought_list_id],
        )
        cursor.execute("DELETE FROM scoring_scorechange WHERE lead_id IN (SELECT id FROM bench_imported)")
        cursor.execute("DELETE FROM leads_stagechange WHERE lead_id IN (SELECT id FROM bench_imported)")
        cursor.execute("DELETE FROM leads_lead WHERE bought_list_id = %s", [run.bought_list_id])
        cursor.execute("DELETE FROM crm_contact WHERE id IN (SELECT contact_id FROM bench_imported)")
        cursor.execute(
            "DELETE FROM crm_company c WHERE c.created_at >= %s "
            "AND NOT EXISTS (SELECT 1 FROM crm_contact WHERE company_id = c.id)",
            [run.started_at],
        )
        bought_list = run.bought_list
        run.delete()
        bought_list.delete()


def import_rate(rows: int) -> dict:
    from django.core.files import File
    from django.db import connection
    from django.db.models import Count

    from bench.followups import _peak_memory_mb, _stop
    from bench.scoring import worker_process
    from crm.models import Contact
    from imports import services
    from imports.models import ImportRun
    from jobs.models import Job
    from leads.models import Lead

    tag = os.urandom(4).hex()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT email FROM crm_contact WHERE email LIKE 'rescore%%' ORDER BY id LIMIT %s", [int(rows * KNOWN_SHARE)]
        )
        known = [email for (email,) in cursor.fetchall()]
        area = free_area_code(cursor)
    existing = Contact.objects.count()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        path = Path(folder) / "bought-list.csv"
        started = time.perf_counter()
        shape = write_list(path, rows, known, tag, area)
        shape["write_seconds"] = round(time.perf_counter() - started, 1)
        worker = worker_process()
        try:
            time.sleep(4)  # the worker is up before the clock starts
            started = time.perf_counter()
            with open(path, "rb") as handle:
                run = services.import_list(
                    upload=File(handle, name=path.name),
                    list_name=f"Bench list {tag}",
                    vendor="Bench brokers",
                    price="25000",
                    mode=MODE,
                    duplicates="skip",
                )
            uploaded = time.perf_counter() - started
            while Job.objects.get(pk=run.job_id).status not in ("done", "failed"):
                if time.perf_counter() - started > 1800:
                    raise TimeoutError("the import did not finish within 30 minutes")
                time.sleep(0.2)
            seconds = time.perf_counter() - started
            peak = _peak_memory_mb(worker)
        finally:
            _stop(worker)
    run = ImportRun.objects.select_related("job").get(pk=run.pk)
    mine = Contact.objects.filter(email__endswith=f".{tag}@bench.example")
    twice = mine.values("email").annotate(n=Count("id")).filter(n__gt=1).count()
    leads = Lead.objects.filter(bought_list=run.bought_list).count()
    expected_new = rows - shape["known"] - shape["repeated"] - shape["bad"]
    adds_up = run.created + run.duplicate_rows + run.rejected + run.suppressed + run.updated == rows
    rejected = services.rejected_path(run)
    if rejected is not None:
        rejected.unlink()  # personal data, in a real import kept CRM_IMPORT_KEEP_DAYS
    figures = {
        "rows": rows,
        "existing_contacts": existing,
        "file": shape,
        "seconds": round(seconds, 1),
        "upload_seconds": round(uploaded, 1),
        "rows_per_s": round(rows / seconds, 1),
        "status": run.status,
        "created": run.created,
        "duplicates": run.duplicate_rows,
        "rejected": run.rejected,
        "rows_imported_twice": twice + abs(mine.count() - run.created) + abs(leads - run.created),
        "counts_add_up": adds_up
        and run.created == expected_new
        and run.duplicate_rows == shape["known"] + shape["repeated"],
        "worker_peak_mb": peak,
        "chunk": int(os.environ.get("CRM_IMPORT_CHUNK", "2000")),
        "mode": MODE,
        "removed_after": not KEEP,
    }
    cleanup = time.perf_counter()
    if not KEEP:
        remove_import(run)
    figures["cleanup_seconds"] = round(time.perf_counter() - cleanup, 1)
    return figures


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    result = {}
    if ROWS:
        result["import_1m"] = with_load(import_rate, ROWS)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
