"""Importing a CSV file, as a kind of background job (jobs.kinds "import").

A chunk is CRM_IMPORT_CHUNK rows of the stored file, read from the byte offset the import run
row holds (a few KB a row in memory while it is written, whatever the file's size). Each chunk
runs in the transaction the job runner opens (jobs.services), which also moves the slice's
cursor: the run row is locked, the chunk's rows are read from its offset, checked, written
(imports/writing.py), and the run's offset, line and counts saved, all in that one
transaction. A worker killed mid-chunk leaves the chunk not done at all, and the next task
reads it again from the same offset: no row is imported twice, none is skipped.

The rejected rows go to a CSV file under CRM_IMPORTS_DIR/rejected as each chunk finds them;
the run row holds how many of its bytes are committed, and each chunk first cuts the file back
to that length, so the rows of a chunk that was rolled back are not in it twice.

All or nothing reads the file twice: a first pass (phase `check`) checks every row and writes
nothing but the rejected rows; with any error the import ends there, refused, having written
nothing. Otherwise the second pass (phase `write`) imports, exactly like "valid rows only".
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from config import bulk
from config.spreadsheet import Line, csv_cell
from crm.suppression import suppressed
from imports import services
from imports.fields import CleanRow, Problem, clean_row
from imports.models import BoughtList, ImportMode, ImportRun, Phase
from imports.reading import records
from imports.writing import write_rows

MAX_ERRORS_SHOWN = 100


class UploadMissing(RuntimeError):
    """The stored file of a running import is gone (deleted by hand?): the job cannot go on."""


@dataclass
class State:
    run_id: int
    path: Path
    book: object
    chunk: int
    header: list
    mapping: list
    encoding: str
    delimiter: str


@dataclass
class Chunk:
    good: list  # CleanRow
    rejected: list  # (line, cells, problems, CleanRow or None)
    end: tuple  # (offset, line) after it
    size: int  # rows read
    at_end: bool  # the file ended


def read_chunk(state: State, offset: int, line: int) -> Chunk:
    """Up to state.chunk rows from `offset`, each checked and normalized (no database)."""
    good, rejected, end = [], [], (offset, line)
    with open(state.path, "rb") as handle:
        rows = records(handle, encoding=state.encoding, delimiter=state.delimiter, offset=offset, line=line)
        for record in rows:
            end = (record.end_offset, record.end_line)
            if record.cells is None:
                rejected.append((record.line, [], [Problem(None, record.error)], None))
            else:
                row, problems = clean_row(record.cells, line=record.line, header=state.header, mapping=state.mapping)
                if problems:
                    rejected.append((record.line, record.cells, problems, row))
                else:
                    good.append(row)
            if len(good) + len(rejected) >= state.chunk:
                return Chunk(good, rejected, end, state.chunk, False)
    return Chunk(good, rejected, end, len(good) + len(rejected), True)


class ImportJob:
    def begin(self, job):
        from scoring.services import published_rule_book

        run = ImportRun.objects.get(pk=job.params["import"])
        path = services.upload_path(run)
        if run.phase != Phase.DONE and (path is None or not path.exists()):
            raise UploadMissing(f"The uploaded file of import #{run.pk} is no longer on disk.")
        return State(
            run.pk,
            path,
            published_rule_book(),
            settings.CRM_IMPORT_CHUNK,
            run.header,
            run.mapping,
            run.encoding,
            run.delimiter,
        )

    def work(self, job, job_slice, state: State):
        # If the server crashes first, the chunk and the cursor it moved are lost together.
        bulk.commit_without_waiting_for_disk()
        run = ImportRun.objects.select_for_update().get(pk=state.run_id)
        if run.phase == Phase.DONE:
            return None
        chunk = read_chunk(state, run.offset, run.line)
        rejected, erased = _without_suppressed(chunk.rejected)
        run.offset, run.line = chunk.end
        if run.phase == Phase.CHECK:
            run.checked += chunk.size
        else:
            _write(run, chunk.good, state)
            run.suppressed += erased
            run.processed += chunk.size
        _reject(run, rejected)
        if chunk.at_end:
            _next_phase(run)
        run.save()
        passes_before = 1 if run.mode == ImportMode.ALL_OR_NOTHING and run.phase != Phase.CHECK else 0
        cursor = max(job_slice.cursor + 1, passes_before * run.size + run.offset)
        return cursor, chunk.size

    def finish(self, job, state: State):
        run = ImportRun.objects.get(pk=state.run_id)
        path = services.rejected_path(run)
        if path is not None and path.stat().st_size > run.rejected_bytes:  # a chunk rolled back after writing
            os.truncate(path, run.rejected_bytes)
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
        job.total = job.done
        job.save(update_fields=["total"])
        services.delete_upload(run)  # every chunk has committed (phase done): it is not read again


def _write(run: ImportRun, good: list[CleanRow], state: State) -> None:
    if run.bought_list_id is None:  # the first chunk that writes: made once, with that chunk
        run.bought_list = BoughtList.objects.create(
            name=run.list_name, vendor=run.vendor, price=run.price, created_by=run.created_by
        )
    if not good:
        return
    tally = write_rows(good, bought_list=run.bought_list, policy=run.duplicates, book=state.book, by=run.created_by)
    run.created += tally["created"]
    run.updated += tally["updated"]
    run.duplicate_rows += tally["duplicates"]
    run.suppressed += tally["suppressed"]


def _without_suppressed(rejected: list) -> tuple[list, int]:
    """A rejected row whose e-mail or phone (when that cell was readable) is on the suppression
    list is skipped as suppressed, not rejected: an erased person's data is never written to
    the rejected-rows file, whatever else is wrong with the row."""
    emails = {row.email for *_, row in rejected if row is not None and row.email}
    phones = {row.phone for *_, row in rejected if row is not None and row.phone}
    if not emails and not phones:
        return rejected, 0
    gone = suppressed(emails=emails, phones=phones)
    kept = [
        entry
        for entry in rejected
        if entry[3] is None or (("email", entry[3].email) not in gone and ("phone", entry[3].phone) not in gone)
    ]
    return kept, len(rejected) - len(kept)


def _next_phase(run: ImportRun) -> None:
    if run.phase == Phase.CHECK and not run.rejected:
        run.phase, run.offset, run.line = Phase.WRITE, run.data_offset, run.header_lines
        return
    run.refused = run.phase == Phase.CHECK
    run.phase = Phase.DONE


def _reject(run: ImportRun, rejected: list) -> None:
    """Count the chunk's rejected rows, keep the first errors on the run, and append the rows
    to the rejected-rows file (cut back first to what earlier chunks committed)."""
    if not rejected:
        return
    run.rejected += len(rejected)
    for line, _cells, problems, _row in rejected:
        for problem in problems:
            if len(run.errors) >= MAX_ERRORS_SHOWN:
                break
            run.errors.append({"line": line, "column": problem.column, "message": problem.message})
    folder = services.rejected_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if not run.rejected_file:
        run.rejected_file = f"import-{run.pk}-{os.urandom(6).hex()}.csv"
        run.rejected_bytes = 0
    path = folder / run.rejected_file
    writer = csv.writer(Line())
    text = []
    if run.rejected_bytes == 0:
        text.append("\ufeff" + writer.writerow(["Line", "Problems", *(csv_cell(name) for name in run.header)]))
    for line, cells, problems, _row in rejected:
        reasons = "; ".join(f"{p.column}: {p.message}" if p.column else p.message for p in problems)
        text.append(writer.writerow([line, csv_cell(reasons), *(csv_cell(cell) for cell in cells)]))
    data = "".join(text).encode("utf-8", "replace")
    with open(path, "r+b" if path.exists() else "wb") as out:
        out.truncate(run.rejected_bytes)
        out.seek(run.rejected_bytes)
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    run.rejected_bytes += len(data)
