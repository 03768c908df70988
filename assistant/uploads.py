"""Paper files uploaded through the browser: size-checked, read as data by the same readers as files on disk, ingested."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import CorpusError
from assistant.store import IngestReport

MAX_UPLOAD_MB = Settings.model_fields["max_file_mb"].default  # the default of ASSISTANT_MAX_FILE_MB, as for `assistant ingest`


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the browser gave and its bytes."""

    name: str
    data: bytes


def upload_types() -> list[str]:
    """The file name endings the uploader accepts (every format the readers know)."""
    from assistant.corpus.formats import FORMATS

    return sorted(suffix.lstrip(".") for suffix in FORMATS)


def ingest_uploads(uploads: list[Upload], settings: Settings, *, progress=None) -> IngestReport:
    """Read the uploads (all checked first: a bad file is a CorpusError and nothing is written), then ingest them into
    the settings' collection; progress(done, total) is called as chunks are embedded. Sources read 'name:line'."""
    from assistant.corpus import read_papers
    from assistant.indexing import ingest_read  # the write path
    from assistant.service import default_assistant, progress_callbacks

    if not uploads:
        raise CorpusError("No file chosen; choose one or more paper files to add.")
    with tempfile.TemporaryDirectory(prefix="paper-uploads-") as folder:
        where = re.compile(re.escape(folder) + r"/\d+/")  # file paths in messages and sources read as the uploaded names
        paths = [_write(upload, Path(folder), position, settings.max_file_mb) for position, upload in enumerate(uploads)]
        try:
            read = read_papers(paths, follow_links=False)  # an upload's `file` fields name no file of ours
        except CorpusError as error:
            raise CorpusError(where.sub("", str(error))) from None
        for paper in read.papers:
            if paper.pdf:  # the temporary folder goes: an uploaded PDF is kept in the data folder, for its pages
                paper.pdf = _keep_pdf(Path(paper.pdf), settings)
    for paper in read.papers:
        paper.source = where.sub("", paper.source)
    read.notes = [where.sub("", note) for note in read.notes]
    read.skipped = [where.sub("", key) for key in read.skipped]
    assistant = default_assistant(settings)
    return ingest_read(read, settings, store=assistant.store, **progress_callbacks(progress))


def _keep_pdf(pdf: Path, settings: Settings) -> str:
    """A copy of an uploaded PDF under data_dir/pdfs/, named by its content (the same upload twice is one file)."""
    import hashlib
    import shutil

    data = pdf.read_bytes()
    kept = Path(settings.data_dir) / "pdfs" / f"{hashlib.sha256(data).hexdigest()[:24]}.pdf"
    if not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, kept)
    return str(kept.resolve())


def _write(upload: Upload, folder: Path, position: int, max_mb: int = MAX_UPLOAD_MB) -> Path:
    """The upload saved under a plain file name of its own (no path from the browser is ever used as one)."""
    from assistant.corpus.formats import FORMATS

    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.name.replace("\\", "/")).name).lstrip(".") or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise CorpusError(f"{upload.name}: unknown file type {suffix or '(none)'!r}; accepted: {', '.join(FORMATS)}.")
    if len(upload.data) > max_mb * 1024 * 1024:
        raise CorpusError(f"{upload.name}: {len(upload.data) / 1024 / 1024:.1f} MB is more than the {max_mb} MB a paper "
                          f"file may have; split the library, or raise ASSISTANT_MAX_FILE_MB.")
    folder = folder / str(position)  # two uploads of the same name stay two files
    folder.mkdir()
    path = folder / name
    path.write_bytes(upload.data)
    return path
