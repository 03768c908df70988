"""The library in the web UI: the collection picker, "Add papers" (upload, embed, report), and an answer's BibTeX."""

from __future__ import annotations

import streamlit as st

from assistant import Answer, AssistantError, Settings, list_collections, list_papers
from assistant.bibtex_export import answer_bibtex
from assistant.markdown import inert_markdown as escape_markdown
from assistant.named_collections import check_name, with_collection
from assistant.uploads import Upload, ingest_uploads, upload_types

PICKED = "collection"  # the picker's session key
_SWITCH = "collection_switch"  # a collection to pick at the start of the next run (after papers were added to it)
_UPLOAD_ROUND = "upload_round"  # how many uploads were added: the uploader's key (see add_papers)
NAMED_TITLES = 5  # an upload's report names this many of its new and updated papers
_REPORT = "library_report"  # the last upload's report or error, shown once after the rerun


def chosen_settings(settings: Settings) -> Settings:
    """The settings of the collection picked in the sidebar (the default one until another is picked)."""
    if _SWITCH in st.session_state:  # set before the picker and the chat are drawn in this run, as Streamlit requires
        switch = st.session_state.pop(_SWITCH)
        if switch != st.session_state.get(PICKED, settings.collection):
            _forget_conversation()
        st.session_state[PICKED] = switch
    picked = st.session_state.get(PICKED) or settings.collection
    if picked != settings.collection and picked not in {info.name for info in list_collections(settings)}:
        st.warning(f"The collection {escape_markdown(picked)} no longer exists (deleted elsewhere); back to "
                   f"{escape_markdown(settings.collection)}.", icon=":material/info:")
        _forget_conversation()
        st.session_state[PICKED] = picked = settings.collection
    return with_collection(settings, picked)


def library_panel(settings: Settings) -> None:
    """In the sidebar: which collection to ask, and adding paper files to it (or to a new one)."""
    with st.sidebar:
        st.subheader("Library")
        try:
            collections = list_collections(settings)
        except AssistantError as error:  # the index cannot be read: said where the rest of the page says it too
            st.error(escape_markdown(str(error)))
            return
        names = [info.name for info in collections]
        if st.session_state.get(PICKED) not in names:
            st.session_state[PICKED] = settings.collection if settings.collection in names else names[0]
        counts = {info.name: info.papers for info in collections}
        st.selectbox("Collection", names, key=PICKED, on_change=_forget_conversation,
                     format_func=lambda name: f"{name} ({counts[name]} papers)",
                     help="Each collection is searched on its own. Add papers to make a new one.")
        with st.expander("Add papers", icon=":material/upload_file:", expanded=False):
            _add_papers(settings)


def _add_papers(settings: Settings) -> None:
    # A new key after each upload that was added: the uploader empties, and the same files are not added again.
    files = st.file_uploader("Paper files", type=upload_types(), accept_multiple_files=True,
                             key=f"uploads-{st.session_state.get(_UPLOAD_ROUND, 0)}",
                             max_upload_size=settings.max_file_mb,
                             help="BibTeX, RIS or CSL-JSON from Zotero, Mendeley, EndNote or JabRef; JSON Lines, "
                                  "CSV/TSV, or text. Entries without an abstract are skipped.")
    target = st.text_input("Into the collection", value=settings.collection, key="upload_target",
                           help="A new name makes a new collection.")
    if not st.button("Add these papers", icon=":material/library_add:", disabled=not files, key="add_papers"):
        return
    bar = st.progress(0.0, text="Reading the files…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"Embedding chunks {done} / {total}")

    try:
        name = check_name(target.strip())
        uploads = [Upload(file.name, file.getvalue()) for file in files or []]
        report = ingest_uploads(uploads, with_collection(settings, name), progress=progress)
    except AssistantError as error:  # a bad file, a bad name: said as it is, with nothing written
        bar.empty()
        st.session_state[_REPORT] = {"error": str(error)}
        st.rerun()
    bar.empty()
    titles = {paper.paper_id: paper.title for paper in list_papers(with_collection(settings, name))}
    st.session_state[_REPORT] = {"collection": name, "summary": report.summary(), "added": len(report.added),
                                 "updated": len(report.updated), "unchanged": len(report.unchanged), "notes": report.notes,
                                 "titles": [titles[pid] for pid in report.added + report.updated if pid in titles]}
    st.session_state[_UPLOAD_ROUND] = st.session_state.get(_UPLOAD_ROUND, 0) + 1
    st.session_state[_SWITCH] = name
    st.rerun()


def library_messages() -> None:
    """What the last upload did (added, updated, unchanged, what was skipped and why) or why nothing was written: at the
    top of the main area and as a toast, where the user is looking, not low in the sidebar where the button was."""
    report = st.session_state.pop(_REPORT, None)
    if report is None:
        return
    if "error" in report:
        st.toast("The papers were not added: see the message at the top.", icon=":material/error:")
        st.error(f"**The papers were not added** (nothing was written): {escape_markdown(report['error'])}",
                 icon=":material/error:")
        return
    added = (f"Added to **{escape_markdown(report['collection'])}**: {report['added']} new, {report['updated']} updated, "
             f"{report['unchanged']} unchanged.")
    st.toast(added, icon=":material/check_circle:")
    titles = report.get("titles", [])
    named = "".join(f"  \n· {escape_markdown(title)}" for title in titles[:NAMED_TITLES])
    named += f"  \n· and {len(titles) - NAMED_TITLES} more" if len(titles) > NAMED_TITLES else ""
    notes = "".join(f"  \n{escape_markdown(note)}" for note in report["notes"])
    st.success(added + named + notes, icon=":material/check_circle:")


def _forget_conversation() -> None:
    """Another collection: the conversation and the chosen papers were about the old one."""
    st.session_state.messages = []
    st.session_state.restrict = []


def bibtex_actions(answer: Answer) -> None:
    """Under an answer: its cited papers as BibTeX, in a code block with a copy button ("Copy BibTeX")."""
    entries = answer_bibtex(answer)
    if entries:
        with st.expander("Copy BibTeX of the cited papers", icon=":material/format_quote:"):
            st.code(entries, language="latex")
