"""Reference-manager libraries: BibTeX, RIS and CSL-JSON read into papers, uploads, and BibTeX export of answers."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest

from assistant.bibtex_export import answer_bibtex, bibtex_entry, bibtex_key, bibtex_of, latex_escape
from assistant.corpus import read_papers
from assistant.corpus.latex import latex_to_text
from assistant.errors import CorpusError
from assistant.models import Answer, Citation, Hit
from assistant.service import Assistant
from assistant.uploads import Upload, ingest_uploads

DATA = Path(__file__).resolve().parent / "data"
BIB, RIS, CSL = DATA / "library.bib", DATA / "library.ris", DATA / "library.json"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# BibTeX


def test_bibtex_entries_become_papers_with_keys_doi_links_authors_and_readable_latex():
    read = read_papers([BIB])
    papers = {paper.paper_id: paper for paper in read.papers}
    assert list(papers) == ["muller_uber_2021", "chen_tidal_2022", "okafor_acoustic_2023"]
    uber = papers["muller_uber_2021"]
    assert uber.title == "Über-Sampling for Gröbner Basis Learning"
    assert uber.authors == ["Jörg Müller", "María García"]
    assert "policy trained by über-sampling, which draws hard polynomial systems x^2 + y^2 = 1 more often" in uber.abstract
    assert "performs 50% fewer polynomial additions" in uber.abstract
    assert "\\" not in uber.abstract and "{" not in uber.abstract and "$" not in uber.abstract
    assert uber.doi == "10.5555/uber.2021.001" and uber.date == "2021"
    assert uber.urls == ["https://example.org/papers/uber-sampling", "https://doi.org/10.5555/uber.2021.001"]
    assert uber.source == f"{BIB}:4"
    assert uber.bibtex is not None and uber.bibtex.startswith("@article{muller_uber_2021,") and uber.bibtex.endswith("}")
    assert papers["chen_tidal_2022"].authors == ["Wei Chen", "Siobhán O'Neill"]


def test_entries_without_an_abstract_are_skipped_and_listed_the_rest_read():
    read = read_papers([BIB, RIS, CSL])
    assert len(read.papers) == 7
    assert read.skipped == [f"{BIB}: nakamura_notes_2020", f"{RIS}: A Handbook of Coastal Sediments",
                            f"{CSL}: Glaciers: A Short History"]
    assert f"{BIB}: 1 entry without an abstract skipped (nakamura_notes_2020)" in read.notes


def test_a_library_with_no_abstract_at_all_says_so(tmp_path: Path):
    bib = write(tmp_path / "none.bib", "@book{a, title={A}}\n@book{b, title={B}}\n")
    with pytest.raises(CorpusError, match=r"none of its 2 entries has an abstract"):
        read_papers([bib])


def test_a_duplicate_doi_is_refused_with_both_places():
    with pytest.raises(CorpusError, match=r"duplicate_doi.bib:9: duplicate paper: the DOI '10.5555/DUP.2020.1' is also at .*duplicate_doi.bib:1"):
        read_papers([DATA / "duplicate_doi.bib"])


@pytest.mark.parametrize(("text", "message"), [
    ("@article{a, title={A}, abstract={x}}\n@article{a, title={B}, abstract={y}}\n", r":2: duplicate paper: the citation key 'a' is also at .*:1"),
    ("@article{a, title={A}, abstract={x}}\n\n@article{b,\n  title = {unclosed\n", r":3: not valid BibTeX"),
    ("@article{a, abstract={An abstract.}}\n", r":1: no 'title'"),
    ("@article{a, title={T}, abstract={see \\href}}\n", r":1: the abstract cannot be read as LaTeX"),
])
def test_malformed_bibtex_names_the_file_and_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(CorpusError, match=message):
        read_papers([write(tmp_path / "bad.bib", text)])


def test_latex_markup_becomes_text():
    assert latex_to_text(r"{\"O}l {\'e}t\'e \emph{big} $\alpha$-test 5% \& \url{https://a.org/x_y} \href{https://b.org}{here}", "title", "x") == \
        "Öl été big α-test 5% & https://a.org/x_y here (https://b.org)"


# RIS and CSL-JSON


def test_ris_entries_get_doi_ids_or_derived_ones():
    papers = read_papers([RIS]).papers
    soil, ferry = papers
    assert soil.paper_id == "10.5555/soil.2022.5" and soil.doi == "10.5555/soil.2022.5"
    assert soil.authors == ["Layla Haddad", "Mikkel Søndergaard"] and soil.date == "2022-05-14"
    assert soil.urls == ["https://example.org/papers/soil-photos", "https://doi.org/10.5555/soil.2022.5"]
    assert soil.source == f"{RIS}:1" and ferry.source == f"{RIS}:13"
    assert ferry.paper_id.startswith("predicting-ferry-delays-from-weather-reports-") and ferry.doi is None


def test_a_ris_entry_without_its_end_is_refused_with_its_line(tmp_path: Path):
    ris = write(tmp_path / "cut.ris", RIS.read_text(encoding="utf-8").split("ER  - \n\nTY  - CONF")[0])
    with pytest.raises(CorpusError, match=r"cut.ris:1: the entry has no end"):
        read_papers([ris])


def test_csl_json_items_are_read_and_plain_json_still_works(tmp_path: Path):
    penguins, ploughs = read_papers([CSL]).papers
    assert penguins.paper_id == "10.5555/penguins.2020.3" and penguins.date == "2020-07-02"
    assert penguins.authors == ["Ewa Kowalski", "Minh Nguyen"] and penguins.source == f"{CSL}:2"
    assert ploughs.authors == ["Émile Lefèvre"] and ploughs.date == "2019"
    plain = write(tmp_path / "plain.json", json.dumps([{"id": "p1", "title": "T", "abstract": "A.", "authors": "X Y"}]))
    assert [(p.paper_id, p.authors) for p in read_papers([plain]).papers] == [("p1", ["X Y"])]
    no_abstract = write(tmp_path / "plain2.json", json.dumps([{"title": "T"}]))
    with pytest.raises(CorpusError, match="no 'abstract'"):  # the plain format keeps its rule
        read_papers([no_abstract])


# BibTeX out


def test_a_generated_entry_escapes_latex_and_reads_back_the_same():
    hit = Hit(paper_id="odd", title="50% of {braces} & $money$ #1 a_b ~ \\path", score=1.0, authors=["Ann Lee", "Bob and Co"],
              date="2021-03-04", doi="10.1/x{y}", urls=["https://doi.org/10.1/x", "https://example.org/a%20b"])
    entry = bibtex_entry(hit)
    library = bibtexparser.parse_string(entry)
    assert not library.failed_blocks
    (parsed,) = library.entries
    assert parsed.key == bibtex_key(hit) == bibtex_key(hit.model_copy())  # stable
    assert latex_to_text(parsed.fields_dict["title"].value, "title", "x") == hit.title
    assert parsed.fields_dict["author"].value == "Ann Lee and {Bob and Co}"
    assert parsed.fields_dict["year"].value == "2021"
    assert parsed.fields_dict["url"].value == "https://example.org/a%20b"
    assert latex_escape("a_b ^") == r"a\_b \textasciicircum{}"


def test_keys_differ_for_different_papers_even_when_names_agree():
    one = Hit(paper_id="a", title="Deep Nets", score=1, authors=["Jo Kim"], date="2020")
    two = Hit(paper_id="b", title="Deep Nets", score=1, authors=["Jo Kim"], date="2020")
    assert bibtex_key(one).startswith("kim2020deep-") and bibtex_key(one) != bibtex_key(two)
    assert bibtexparser.parse_string(bibtex_of([one, two, one])).entries[1].key == bibtex_key(two)


def test_an_answer_exports_its_cited_papers_in_marker_order():
    original = "@article{k1,\n  title = {One}\n}"
    sources = [Hit(paper_id="k1", title="One", score=1, bibtex=original), Hit(paper_id="g", title="Two", score=1)]
    answer = Answer(question="q", text="a [1] b [2]", sources=sources, citations=[
        Citation(number=1, paper_id="g", title="Two", quote="x"), Citation(number=2, paper_id="k1", title="One", quote="y")])
    exported = answer_bibtex(answer)
    assert exported.endswith(original + "\n")
    assert [e.key for e in bibtexparser.parse_string(exported).entries] == [bibtex_key(sources[1]), "k1"]
    assert answer_bibtex(Answer(question="q", text="none", abstained=True, sources=sources)) == ""
    assert answer.bibtex() == exported  # the documented method (README) gives the same
    missing = Answer(question="q", text="a [1]", citations=[Citation(number=1, paper_id="gone", title="Gone Paper", quote="x")])
    assert bibtexparser.parse_string(missing.bibtex()).entries[0].fields_dict["title"].value == "Gone Paper"


def test_round_trip_ingest_bib_ask_export_reads_back_the_same_keys(tmp_path: Path):
    from assistant.config import Settings

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection="thesis", seed_when_empty=False)
    assistant = Assistant(settings, offline=True)
    assistant.ingest([BIB])
    answer = assistant.ask("How is the forecast error of a tidal array's power output lowered?")
    cited = [c.paper_id for c in answer.citations]
    assert "chen_tidal_2022" in cited
    library = bibtexparser.parse_string(answer_bibtex(answer))
    assert not library.failed_blocks
    assert [entry.key for entry in library.entries] == list(dict.fromkeys(cited))
    assert library.entries[0].raw.strip() in BIB.read_text(encoding="utf-8")  # the entry as the .bib had it


def test_exported_entries_bring_the_string_macros_they_use(tmp_path: Path):
    bib = write(tmp_path / "macros.bib", """@string{jnl = "Journal of Tests"}
@STRING{series = jnl # " (Series B)"}
@string{unused = {Never Used}}

@article{one2024, title = {One}, journal = jnl, month = jan, abstract = {Widgets plan.}}
@article{two2024, title = {Two}, journal = series, abstract = {Gadgets search.}}
@article{three2024, title = {Three}, journal = {Plain}, abstract = {Nothing to expand.}}
""")
    papers = {paper.paper_id: paper for paper in read_papers([bib]).papers}
    hits = [Hit(paper_id=pid, title=p.title, score=1, bibtex=p.bibtex) for pid, p in papers.items()]

    exported = bibtex_of(hits)
    library = bibtexparser.parse_string(exported)
    assert not library.failed_blocks, exported
    journals = {entry.key: entry.fields_dict["journal"].value for entry in library.entries}
    assert journals["one2024"] == "Journal of Tests" and journals["three2024"] == "Plain"
    assert sorted(block.key.lower() for block in library.strings) == ["jnl", "series"]  # each once, unused left out
    assert bibtex_of(hits[2:]) == papers["three2024"].bibtex.strip() + "\n"
    alone = bibtexparser.parse_string(bibtex_entry(hits[0]))  # one paper on its own is complete too
    assert not library.failed_blocks and alone.entries[0].fields_dict["journal"].value == "Journal of Tests"


# Uploads


def test_uploads_are_read_checked_and_ingested_with_their_own_names(tmp_path: Path):
    from assistant.config import Settings
    from assistant.store import PaperStore

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", collection="uploaded", seed_when_empty=False)
    bad = Upload("../../etc/evil.bib", b"@article{x, title={T}, abstract={A.}}\n@article{x, title={U}, abstract={B.}}\n")
    with pytest.raises(CorpusError) as error:
        ingest_uploads([Upload("library.ris", RIS.read_bytes()), bad], settings)
    assert str(error.value).startswith("evil.bib:2: duplicate paper") and "paper-uploads" not in str(error.value)
    assert PaperStore(settings).version() is None  # nothing written
    with pytest.raises(CorpusError, match="unknown file type '.exe'"):
        ingest_uploads([Upload("run.exe", b"MZ")], settings)

    seen: list[tuple[int, int]] = []
    report = ingest_uploads([Upload("library.ris", RIS.read_bytes())], settings, progress=lambda d, t: seen.append((d, t)))
    assert len(report.added) == 2 and seen[-1][0] == seen[-1][1] > 0
    assert "library.ris: 1 entry without an abstract skipped (A Handbook of Coastal Sediments)" in report.summary()
    sources = {p.source for p in Assistant(settings, offline=True).papers()}
    assert sources == {"library.ris:1", "library.ris:13"}


def test_a_broken_bib_is_one_message_with_the_entrys_line_and_the_parsers_reason(tmp_path: Path):
    """The parser's own log line (lines counted from 0, printed before ours) is not shown: one error, the right line."""
    import io
    import logging

    from click.testing import CliRunner

    from assistant.cli import main

    bib = write(tmp_path / "broken.bib", "@article{ok,\n  title = {Fine},\n  abstract = {Fine.}\n}\n\n@article{bad,\n  title = {Broken\n")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)  # whatever reaches the root logger would reach a terminal
    try:
        result = CliRunner().invoke(main, ["ingest", str(bib), "--collection", "broken"])
    finally:
        logging.getLogger().removeHandler(handler)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {bib}:6: not valid BibTeX (unexpectedly reached end of file); check the braces and commas of the entry "
        f"that starts on line 6."]
    assert stream.getvalue() == ""
