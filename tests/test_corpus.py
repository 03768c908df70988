"""Reading paper files: the seed page, the other formats, bad input, slugs, and arbitrary text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.corpus import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS, derived_id, load_papers, read_papers, slugify
from assistant.errors import CorpusError

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_ca6dbe6c8f647e61.txt"
DAFORMER = "DAFormer: Improving Network Architectures and Training Strategies for Domain-Adaptive Semantic Segmentation"
SEED_LINKS = {
    "https://github.com/Alibaba-NLP/OmniSearch",
    "https://github.com/lhoyer/DAFormer",
    "https://github.com/SICC-Group/GMAH",
    "https://pku-proagent.github.io",
    "https://ltlhuuu.github.io/PSEC/",
    "https://sites.google.com/view/iclr2024-vida/home",
    "https://github.com/minghchen/automanual",
    "https://github.com/WooooDyy/AgentGym",
    "https://x-plug.github.io/MobileAgent",
    "https://robofume.github.io",
}
HEADER = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nbyAK and the research community\n\nMar 11\n\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def by_title(papers):
    return {paper.title: paper for paper in papers}


# The seed page


def test_seed_page_gives_72_papers_with_verbatim_titles():
    papers = load_papers([SEED])
    assert len(papers) == 72
    titles = [paper.title for paper in papers]
    assert titles[0] == "Fully Test-Time Adaptation for Monocular 3D Object Detection"
    assert titles[1] == "SMART: Self-learning Meta-strategy Agent for Reasoning Tasks"
    assert titles[6] == DAFORMER
    assert titles[19] == "Long Term Memory: The Foundation of AI Self-Evolution"
    assert titles[-1] == "Robot Fine-Tuning Made Easy: Pre-Training Rewards and Policies for Autonomous Real-World Reinforcement Learning"
    assert papers[0].source == f"{SEED}:11"
    assert papers[0].abstract.startswith("Monocular 3D object detection (Mono 3Det) aims")
    assert all(paper.title.strip() == paper.title and paper.abstract for paper in papers)


def test_seed_ids_are_unique_readable_and_stable():
    first, second = load_papers([SEED]), load_papers(str(SEED))  # a lone path works too
    ids = [paper.paper_id for paper in first]
    assert len(set(ids)) == 72
    assert [paper.model_dump() for paper in first] == [paper.model_dump() for paper in second]
    assert ids[0] == "fully-test-time-adaptation-for-monocular-3d-object-detection-86f377"
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{6}", i) and len(i) <= 67 for i in ids)


def test_seed_links_come_out_clean():
    papers = load_papers([SEED])
    assert by_title(papers)[DAFORMER].urls == ["https://github.com/lhoyer/DAFormer"]
    urls = [url for paper in papers for url in paper.urls]
    assert set(urls) == SEED_LINKS and len(urls) == len(SEED_LINKS)
    for url in urls:
        assert not url.endswith((".", ",", ";", ":", "'", '"'))
        assert url.count("(") >= url.count(")") and url.count("[") >= url.count("]")


def test_plain_text_pairs_without_header_and_crlf_bom(tmp_path):
    plain = write(tmp_path / "plain.txt", "Paper One\nAbstract one.\n\n\nPaper Two\nAbstract two.")
    windows = write(tmp_path / "page.txt", ("\ufeff" + HEADER + "Paper Three\n\nAbstract three.\n").replace("\n", "\r\n"))
    papers = load_papers([plain, windows])
    assert [(p.title, p.abstract, p.source) for p in papers] == [
        ("Paper One", "Abstract one.", f"{plain}:1"),
        ("Paper Two", "Abstract two.", f"{plain}:5"),
        ("Paper Three", "Abstract three.", f"{windows}:11"),
    ]


def test_a_template_s_placeholder_link_is_no_link_and_a_code_link_keeps_its_trailing_slash_off():
    from assistant.corpus.formats import code_links, links

    # A PDF's "Code: https://github.com/AUTHOR_NAME/REPOSITORY_NAME" was shown on its source card as the paper's link.
    text = ("Code: https://github.com/AUTHOR_NAME/REPOSITORY_NAME, github.com/YOUR_USERNAME/tool and "
            "https://github.com/GraphBLAS/LAGraph/ (data: https://example.org/DATA_SET.csv). See github.com/.")
    assert links(text) == ["https://github.com/GraphBLAS/LAGraph/", "https://example.org/DATA_SET.csv"]
    assert code_links(text) == ["https://github.com/GraphBLAS/LAGraph"]  # a repository named with a slash after it was left out


def test_a_link_the_text_cuts_with_a_space_is_no_link():
    from assistant.corpus.formats import code_links, links

    # The PDF draws the underscore of "branch_tags" as a rule: "https://github.com/ESCOMP/CTSM/tree/branch" was shown.
    text = ("The code is at https://github.com/ESCOMP/CTSM (https://github.com/ESCOMP/CTSM/tree/branch tags/PPE.n11 "
            "ctsm5.1.dev030); see https://example.org/a and/or the notes.")
    assert code_links(text) == ["https://github.com/ESCOMP/CTSM"]
    assert links(text) == ["https://github.com/ESCOMP/CTSM", "https://example.org/a"]


# The other formats


def test_jsonl_with_id_url_and_authors(tmp_path):
    sparse = {
        "id": "2401.01234", "title": " Sparse Experts ", "abstract": "Code: https://github.com/x/smoe.",
        "url": "https://example.org/a; https://example.org/b", "authors": ["Ada Lovelace", "Alan Turing"], "date": "2024-01-03",
    }
    dense = {
        "title": "Dense Retrieval", "abstract": "See https://en.wikipedia.org/wiki/Foo_(bar)).",
        "authors": "Grace Hopper, Edsger Dijkstra and Barbara Liskov",
    }
    path = write(tmp_path / "papers.jsonl", jsonl(sparse, dense) + "\n")
    first, second = load_papers([path])
    assert (first.paper_id, first.title, first.source) == ("2401.01234", "Sparse Experts", f"{path}:1")
    assert first.date == "2024-01-03"
    assert first.urls == ["https://github.com/x/smoe", "https://example.org/a", "https://example.org/b"]
    assert first.authors == ["Ada Lovelace", "Alan Turing"]
    assert second.urls == ["https://en.wikipedia.org/wiki/Foo_(bar)"]
    assert second.authors == ["Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"]
    assert (second.paper_id, second.source, second.date) == (derived_id("Dense Retrieval"), f"{path}:2", None)
    assert second.paper_id.startswith("dense-retrieval-")


def test_csv_with_crlf_quotes_and_multiline_cells(tmp_path):
    path = write(tmp_path / "papers.csv", (
        '\ufeffTitle,Abstract,URL,Authors,Date\r\n'
        '"Graph Networks, Explained","Message passing.\r\nOn two lines.",https://a.example/x,'
        'Claude Shannon; Norbert Wiener,2023-05-01\r\n'
        '\r\n'
        'Tokenizers Matter,"BPE wins, see https://github.com/x/bpe,",,"[""Ken Thompson"", ""Dennis Ritchie""]",\r\n'
    ))
    graphs, tokenizers = load_papers([path])
    assert (graphs.title, graphs.abstract, graphs.source) == ("Graph Networks, Explained", "Message passing.\nOn two lines.", f"{path}:2")
    assert (graphs.urls, graphs.date) == (["https://a.example/x"], "2023-05-01")
    assert graphs.authors == ["Claude Shannon", "Norbert Wiener"]
    assert (tokenizers.source, tokenizers.urls, tokenizers.date) == (f"{path}:5", ["https://github.com/x/bpe"], None)
    assert tokenizers.authors == ["Ken Thompson", "Dennis Ritchie"]


def test_tsv(tmp_path):
    path = write(tmp_path / "papers.tsv", "title\tabstract\tid\nSpeech, at Scale\tBig speech models.\tspeech-1\nVision Again\tPatches.\t\n")
    papers = load_papers([path])
    assert [(p.paper_id, p.title, p.abstract, p.source) for p in papers] == [
        ("speech-1", "Speech, at Scale", "Big speech models.", f"{path}:2"),
        (derived_id("Vision Again"), "Vision Again", "Patches.", f"{path}:3"),
    ]


def test_arxiv_snapshot_whitespace_urls_and_date(tmp_path):
    record = {
        "id": "0704.0001", "submitter": "P. N.", "authors": "C. Bal\\'azs, E. L. Berger and\n  C.-P. Yuan",
        "title": "Calculation of prompt diphoton production  cross sections at Tevatron and\n  LHC energies",
        "comments": "37 pages", "journal-ref": None, "doi": None, "categories": "hep-ph", "license": None,
        "abstract": "  A fully differential calculation is\npresented.  Tables at\nhttp://www.example.org/diphoton.\n",
        "versions": [{"version": "v1"}], "update_date": "2008-11-13", "authors_parsed": [["Balázs", "C.", ""]],
    }
    path = write(tmp_path / "arxiv-metadata-oai-snapshot.json", jsonl(record))
    (paper,) = load_papers([path])
    assert paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert paper.abstract == "A fully differential calculation is presented. Tables at http://www.example.org/diphoton."
    assert paper.urls == ["http://www.example.org/diphoton", "https://arxiv.org/abs/0704.0001"]
    assert (paper.paper_id, paper.date, paper.source) == ("0704.0001", "2008-11-13", f"{path}:1")
    assert paper.authors == ["C. Bal\\'azs", "E. L. Berger", "C.-P. Yuan"]


def test_json_list_knows_each_items_line(tmp_path):
    text = '[\n  {\n    "title": "Tiny Laws",\n    "abstract": "Small."\n  },\n\n  {"title": "Prompts", "abstract": "Programs.", "date": 2022}\n]\n'
    path = write(tmp_path / "papers.json", text)
    papers = load_papers([path])
    assert [(p.title, p.source, p.date) for p in papers] == [("Tiny Laws", f"{path}:2", None), ("Prompts", f"{path}:7", "2022")]


def test_json_single_object_and_json_lines_named_json(tmp_path):
    one = write(tmp_path / "one.json", '\n{\n  "title": "One",\n  "abstract": "Only one."\n}\n')
    lines = write(tmp_path / "lines.json", jsonl({"title": "A1", "abstract": "x"}, {"title": "A2", "abstract": "y"}))
    papers = load_papers([one, lines])
    assert [(p.title, p.source) for p in papers] == [("One", f"{one}:2"), ("A1", f"{lines}:1"), ("A2", f"{lines}:2")]


def test_directory_is_read_sorted_recursively_skipping_hidden_files(tmp_path):
    write(tmp_path / "b.ndjson", jsonl({"title": "Bee", "abstract": "Buzz."}))
    write(tmp_path / "a.csv", "title,abstract\nAy,First.\n")
    write(tmp_path / "sub" / "c.txt", "Sea\nWaves.\n")
    write(tmp_path / ".DS_Store", b"\x00\x01binary")
    write(tmp_path / ".git" / "config.cfg", "[core]\n")
    papers = load_papers([tmp_path, tmp_path / "a.csv"])  # a file named twice is read once
    assert [(p.title, Path(p.source).name) for p in papers] == [("Ay", "a.csv:2"), ("Bee", "b.ndjson:1"), ("Sea", "c.txt:1")]


# Ids


def test_slugify():
    assert slugify("Über Café: naïve Straße!") == "uber-cafe-naive-strasse"
    assert slugify("🚀🔥") == "paper"
    assert slugify("   ") == "paper"
    assert slugify("2401.01234v2", dots=True) == "2401.01234v2"
    assert slugify("hep-th/9901001", dots=True) == "hep-th-9901001"
    assert slugify("2401.01234") == "2401-01234"
    long_title = " ".join(["Transformers"] * 12)
    slug = slugify(long_title)
    assert len(slug) <= 60 and slug.endswith("transformers") and (slugify(long_title + " x") == slug)
    assert slugify("a" * 100) == "a" * 60


def test_ids_are_stable_and_never_shared_by_different_papers(tmp_path):
    papers = [
        {"title": "Foo?", "abstract": "One."},
        {"title": "Foo!", "abstract": "Two."},
        {"title": "Foo 2", "abstract": "Three."},
        {"id": "x1", "title": "Erratum", "abstract": "Five."},
        {"id": "x2", "title": "Erratum", "abstract": "Six."},
        {"id": "DUP-1", "title": "Upper", "abstract": "Seven."},
        {"id": "dup-1", "title": "Lower", "abstract": "Eight."},
        {"title": "A very long title that shares its first sixty characters with another one: Part One", "abstract": "A."},
        {"title": "A very long title that shares its first sixty characters with another one: Part Two", "abstract": "B."},
    ]
    ids = [p.paper_id for p in load_papers([write(tmp_path / "p.jsonl", jsonl(*papers))])]
    assert len(set(ids)) == len(ids)
    assert ids[3:7] == ["x1", "x2", "DUP-1", "dup-1"]  # given ids are kept as given, case and all
    assert ids[0] == derived_id("Foo?") and ids[0].startswith("foo-")
    # A paper's id depends on nothing but itself: not on the other files of the command, nor on their order.
    alone = load_papers([write(tmp_path / "b.jsonl", jsonl(papers[1], papers[0]))])
    assert [p.paper_id for p in alone] == [ids[1], ids[0]]


def test_over_long_titles_and_abstracts_are_cut_with_a_note_and_control_codes_removed(tmp_path):
    paper = {"title": "Huge " * 400 + "\x1b[31mred\x1b[0m", "abstract": "Word. " * 1_000_000}
    read = read_papers([write(tmp_path / "p.jsonl", jsonl(paper))])
    (only,) = read.papers
    assert len(only.title) <= MAX_TITLE_CHARS and len(only.abstract) <= MAX_ABSTRACT_CHARS
    assert "\x1b" not in only.title
    assert any("title was" in note and "cut" in note for note in read.notes)
    assert any("abstract was 5,999,999 characters long and was cut to 20,000" in note for note in read.notes)


# Bad input: every message names the file (and line) and says what to do


LONG = " ".join(["word"] * 50)
GOOD = jsonl({"id": "a1", "title": "Good Paper", "abstract": "Fine."})
# case: (file contents by name, what to load, where the message must point, words it must contain)
BAD_INPUT = {
    "missing path": ({}, ["missing.txt"], "missing.txt", "no such file"),
    "empty file": ({"empty.txt": ""}, ["empty.txt"], "empty.txt", "empty"),
    "blank file with BOM": ({"blank.jsonl": "\ufeff \r\n\n"}, ["blank.jsonl"], "blank.jsonl", "empty"),
    "header only": ({"header.txt": HEADER}, ["header.txt"], "header.txt", "no papers"),
    "last title alone": ({"odd.txt": "T1\nA1.\n\nT2\n"}, ["odd.txt"], "odd.txt:4", "'T2' has no abstract"),
    "title alone mid-file": ({"mid.txt": f"T1\n{LONG}\nT2\nT3\n{LONG}\n"}, ["mid.txt"], "mid.txt:3", "'T2' has no abstract"),
    "abstract alone": ({"lone.txt": f"T1\n{LONG}\n{LONG}\nT3\n"}, ["lone.txt"], "lone.txt:3", "no title"),
    "NUL byte": ({"nul.txt": b"T1\nA\x001\n"}, ["nul.txt"], "nul.txt:2", "binary"),
    "not UTF-8": ({"latin1.csv": "title,abstract\nCaf\xe9,x\n".encode("latin-1")}, ["latin1.csv"], "latin1.csv:2", "UTF-8"),
    "invalid JSON line": ({"broken.jsonl": GOOD + '{"title": "T2",\n'}, ["broken.jsonl"], "broken.jsonl:2", "invalid JSON"),
    "JSON line not an object": ({"list.jsonl": "[1, 2]\n"}, ["list.jsonl"], "list.jsonl:1", "expected a JSON object"),
    "JSON without abstract": ({"noabs.jsonl": jsonl({"title": "T", "summary": "S"})}, ["noabs.jsonl"], "noabs.jsonl:1", "'title', 'summary'"),
    "JSON list broken": ({"broken.json": "[\n1,"}, ["broken.json"], "broken.json:2", "invalid JSON"),
    "CSV with no rows": ({"quotes.csv": '""\n,\n'}, ["quotes.csv"], "quotes.csv", "no rows"),
    "CSV columns": ({"cols.csv": "name,summary\nT,A\n"}, ["cols.csv"], "cols.csv:1", "columns found: 'name', 'summary'"),
    "CSV extra field": ({"wide.csv": "title,abstract\nT,A,extra\n"}, ["wide.csv"], "wide.csv:2", "quote fields"),
    "empty title": ({"notitle.csv": "title,abstract\n  ,An abstract.\n"}, ["notitle.csv"], "notitle.csv:2", "empty title"),
    "empty abstract": ({"noabs.tsv": "title\tabstract\nA title\t\n"}, ["noabs.tsv"], "noabs.tsv:2", "empty abstract"),
    "title not text": ({"number.jsonl": jsonl({"title": 5, "abstract": "A"})}, ["number.jsonl"], "number.jsonl:1", "title must be text"),
    "url not http": ({"url.jsonl": jsonl({"title": "T", "abstract": "A", "url": "ftp://x"})}, ["url.jsonl"], "url.jsonl:1", "http(s)"),
    "lone surrogate": ({"sur.jsonl": '{"title": "T\\ud800", "abstract": "A"}\n'}, ["sur.jsonl"], "sur.jsonl:1", "invalid \\u escape"),
    "duplicate title": (
        {"good.jsonl": GOOD, "dup.txt": "\n good paper \nAgain.\n"}, ["good.jsonl", "dup.txt"], "dup.txt:2", "also at {tmp}/good.jsonl:1"
    ),
    "duplicate id": (
        {"good.jsonl": GOOD, "dup.csv": "id,title,abstract\na1,Other,Text.\n"}, ["good.jsonl", "dup.csv"], "dup.csv:2",
        "id 'a1' is also at {tmp}/good.jsonl:1",
    ),
    # Named explicitly (a folder's other files are skipped instead: tests/test_pdf.py).
    "unknown extension": ({"dir/ok.txt": "T\nA\n", "dir/notes.md": "# notes"}, ["dir/notes.md"], "dir/notes.md", "accepted formats: .txt"),
    "directory of hidden files": ({"hidden/.keep": ""}, ["hidden"], "hidden", "no paper files"),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_raises_corpus_error_naming_file_line_and_problem(tmp_path, case):
    files, load, location, words = BAD_INPUT[case]
    for name, content in files.items():
        write(tmp_path / name, content)
    with pytest.raises(CorpusError) as raised:
        load_papers([tmp_path / name for name in load])
    message = str(raised.value)
    assert message.startswith(f"{tmp_path / location}:"), message
    assert words.format(tmp=tmp_path) in message, message


def test_no_paths_is_an_error():
    with pytest.raises(CorpusError, match="No paper files given"):
        load_papers([])


# Arbitrary text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300) | st.lists(
    st.sampled_from(["", "\n", "\r\n", "{", "}", '"title"', '"abstract"', ":", ",", '"x"', "https://a.b/(c).", "[", "]", "\\u0000", "\ufeff", "1"]),
    max_size=40).map("".join))
def test_arbitrary_text_loads_or_raises_corpus_error(tmp_path, text):
    for name in ("any.txt", "any.jsonl", "any.csv", "any.json"):
        path = write(tmp_path / name, text)
        try:
            papers = load_papers([path])
        except CorpusError as e:
            assert str(path) in str(e)
            continue
        assert papers and all(paper.title.strip() and paper.abstract.strip() for paper in papers)
        assert len({paper.paper_id for paper in papers}) == len(papers)
        assert all(paper.source.startswith(f"{path}:") for paper in papers)


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_never_reach_the_store(tmp_path):
    from assistant.collection import list_papers
    from assistant.config import Settings
    from assistant.indexing import ingest_paths

    jsonl = write(tmp_path / "papers.jsonl", json.dumps({
        "title": "Widget \u202egnp.exe\u202c planning", "authors": ["Ada \u2067Lovelace\u2069", "\u200f"],
        "abstract": f"Widgets{BIDI} plan with trees. They are robust."}) + "\n")
    bib = write(tmp_path / "refs.bib", "@article{rtl2024,\n  title = {Gadget \u202egnp.exe\u202c search},\n"
                                        "  author = {Grace \u202eHopper},\n  abstract = {Gadgets search\u200e graphs.},\n}\n")
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", seed_when_empty=False)
    ingest_paths([jsonl, bib], settings)

    stored = {paper.title: paper for paper in list_papers(settings)}
    assert set(stored) == {"Widget gnp.exe planning", "Gadget gnp.exe search"}
    assert stored["Widget gnp.exe planning"].authors == ["Ada Lovelace"]
    assert stored["Gadget gnp.exe search"].authors == ["Grace Hopper"]
    for paper in stored.values():
        text = paper.model_dump_json() + (paper.bibtex or "")
        assert not any(ch in text for ch in BIDI) and "\\u202" not in text, repr(text)
    assert "Gadget gnp.exe search" in (stored["Gadget gnp.exe search"].bibtex or "")


def test_a_full_texts_links_to_its_code_are_the_papers_links_and_a_code_question_gives_them(tmp_path):
    from assistant import ask
    from assistant.config import Settings
    from assistant.indexing import ingest_paths

    record = {"title": "Gender Pricing in Hair Salons", "abstract": "We study posted haircut prices across ten countries.",
              "body": ("Listings come from public pages; population data from https://www.cdc.gov/nchs/nhanes. "
                       "The scraping and analysis code is publicly available at github.com/RichSchulz/gender-pricing, "
                       "and the data at https://zenodo.org/records/123.")}
    path = write(tmp_path / "papers.jsonl", jsonl(record) + "\n")
    (paper,) = load_papers([path])
    assert paper.urls == ["https://github.com/RichSchulz/gender-pricing", "https://zenodo.org/records/123"]  # not the CDC's
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    ingest_paths([path], settings)
    answer = ask("Where is the code for the gender pricing paper?", settings=settings, llm=None)
    assert "https://github.com/RichSchulz/gender-pricing" in answer.text
    assert "github.com/RichSchulz/gender-pricing" in answer.citations[0].quote
