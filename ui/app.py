"""The web UI: chat with the paper collection and get cited answers, or browse the papers.

Run with `streamlit run ui/app.py`. Streamlit puts this folder on sys.path, so `render` is importable.
"""

from __future__ import annotations

import logging
from itertools import chain
from typing import Any, Iterator

import streamlit as st

from assistant import (Answer, AssistantError, Citation, Hit, Paper, PaperRef, Settings, ask_stream, default_assistant,
                       get_settings, index_stats, list_papers, related_papers, retrieve)
from assistant.pages import BODY_NOTE
from library import bibtex_actions, chosen_settings, library_messages, library_panel
from render import (answer_markdown, chat_history, conversation_markdown, defuse_markdown, escape_markdown, excerpt,
                    highlight, is_whole, link_markers, links_markdown, source_anchor, status_line, welcome_examples)

log = logging.getLogger("paper_assistant.ui")

EMPTY_QUESTION = "The question is empty: type a question about the papers."
RELATED_COUNT = 5
CHAT_OPTIONS = ("top_k", "restrict")  # session keys of the chat's sidebar widgets
# A constant, trusted style (never built from data): source-card titles at card size rather than section size,
# and a marker link scrolls its card to just below the page header.
# Inside a card, tighter gaps: a four-paper answer should fit about one screen before any card is opened.
CARD_STYLE = ("<style>h3[id^='source-'] { font-size: 1rem; line-height: 1.35; padding: 0; scroll-margin-top: 6rem; }"
              " [data-testid='stChatMessage'] [data-testid='stVerticalBlock'] { gap: 0.5rem; }"
              # Streamlit pulls a heading's next element up by the padding removed above: undo that pull
              " [data-testid='stChatMessage'] [data-testid='stHeading'] [data-testid='stMarkdownContainer']"
              " { margin-bottom: 0; }"
              " [data-testid='stChatMessage'] [data-testid='stLayoutWrapper'] [data-testid='stVerticalBlock']"
              " { gap: 0.1rem; } [data-testid='stChatMessage'] [data-testid='stLayoutWrapper'] > [data-testid='stVerticalBlock']"
              " { padding: 0.35rem 0.8rem; }"
              # inside a source card, "Whole abstract" is a small unboxed toggle, not a full-width box
              " [data-testid='stChatMessage'] [data-testid='stLayoutWrapper'] [data-testid='stExpander'] details"
              " { border: none; } [data-testid='stChatMessage'] [data-testid='stLayoutWrapper'] [data-testid='stExpander']"
              " summary { padding: 0; height: auto; min-height: 0; font-size: 0.85rem; } [data-testid='stChatMessage'] [data-testid='stExpander'] summary"
              " { padding-top: 0.15rem; padding-bottom: 0.15rem; font-size: 0.85rem; }</style>")
EXCERPT_CONTEXT = 40  # characters of the abstract shown on each side of a quote


# -- errors -------------------------------------------------------------------------------------


def error_message(error: Exception) -> str:
    """What the user is told: our own errors say what to do; anything else gets a short generic line."""
    if isinstance(error, AssistantError):
        return str(error)
    log.error("Unexpected error in the UI", exc_info=error)  # the traceback goes to the server log only
    return f"Something went wrong ({type(error).__name__}). Try again; if it keeps happening, see the server log."


# -- the index ----------------------------------------------------------------------------------


def ensure_index(settings: Settings) -> None:
    """On first run, build the index from the seed papers with a visible progress bar."""
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:  # the build starts (called with 0, 0 before anything is read)
            bar = st.progress(0.0, text="First run: building the index of the papers…")
        else:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=f"First run: embedding chunks {done} / {total}")

    report = default_assistant(settings).ensure_index(progress=progress)
    if report is None:
        return
    if bar is not None:
        bar.empty()
    st.success(f"Built the index: {report.summary()}.")


@st.cache_resource(show_spinner="Loading the search index…")
def warm_up(settings_key: str, _settings: Settings) -> bool:
    """Load the embedder and the index once per process and settings, so the first question is quick."""
    retrieve("warm up", k=1, settings=_settings)
    return True


def settings_key(settings: Settings) -> str:
    """The settings as a cache key (SecretStr dumps the API key masked, so the key itself is never part of it)."""
    return settings.model_dump_json()


# -- sidebar ------------------------------------------------------------------------------------


def sidebar(settings: Settings, papers: list[Paper]) -> tuple[str, int, list[str] | None]:
    """The view picker, the chat's search options (in the Chat view only) and what is indexed; returns (view, k, paper_ids)."""
    # The options live in the session state, set once here: their widgets read them from there and are given no default
    # of their own (a default as well makes Streamlit warn), and re-setting them keeps them while the Papers view hides
    # their widgets (Streamlit drops an unshown widget's state).
    st.session_state.setdefault("top_k", min(settings.top_k, 20))
    st.session_state.setdefault("restrict", [])
    for key in CHAT_OPTIONS:
        st.session_state[key] = st.session_state[key]
    with st.sidebar:
        st.title("Paper Assistant")
        view = st.radio("View", ["Chat", "Papers"], key="view", horizontal=True, label_visibility="collapsed") or "Chat"
        k = st.session_state["top_k"]
        chosen = st.session_state["restrict"]
        if view == "Chat":
            st.subheader("Search")
            k = st.slider("Papers retrieved per question (top-k)", 1, 20, key="top_k",
                          help="A \"which papers ...\" question looks at least twice as far as its list limit "
                               f"({settings.max_list_papers} listed, the rest under \"N more\").")
            titles = {paper.paper_id: paper.title for paper in papers}
            chosen = st.multiselect("Search only these papers", list(titles), format_func=titles.__getitem__,
                                    key="restrict", placeholder="All papers")
        show_index_info(settings)
    return view, k, chosen or None


def show_index_info(settings: Settings) -> None:
    """What is indexed, where, and how answers are written (whether a key is set, never the key)."""
    stats = index_stats(settings)
    st.subheader("Index")
    st.caption(f"{stats.papers} papers · {stats.chunks} chunks · embedder {escape_markdown(stats.embedder)}")
    st.caption(f"Stored at {escape_markdown(stats.location)}")
    st.subheader("Answers")
    if stats.llm_configured:
        key = "configured" if settings.openai_api_key else "not set (OPENAI_BASE_URL only)"
        st.caption(f"LLM: {escape_markdown(stats.llm_model or '')} · API key {key}")
    else:
        st.caption("Offline: extractive answers quoted from the papers. "
                   "Set OPENAI\\_API\\_KEY (or OPENAI\\_BASE\\_URL) for LLM answers.")


def conversation_actions(messages: list[dict[str, Any]]) -> None:
    """New chat and the Markdown download, at the end of the sidebar so the download includes the latest answer."""
    with st.sidebar:
        st.subheader("Conversation")
        left, right = st.columns(2)
        left.button("New chat", icon=":material/add_comment:", on_click=new_chat, disabled=not messages,
                    width="stretch")
        right.download_button("Download", data=conversation_markdown(messages), file_name="paper-assistant-chat.md",
                              mime="text/markdown", icon=":material/download:", on_click="ignore",
                              disabled=not messages, width="stretch",
                              help="The conversation as Markdown, with the references of every answer.")


def new_chat() -> None:
    """Forget the conversation (the search options stay)."""
    st.session_state.messages = []


# -- chat ---------------------------------------------------------------------------------------


def chat_view(settings: Settings, k: int, paper_ids: list[str] | None, papers: list[Paper]) -> None:
    """The conversation so far, then the chat input; a new question is answered below it."""
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    if paper_ids:
        st.info(f"Searching only the {len(paper_ids)} paper(s) chosen in the sidebar.", icon=":material/filter_alt:")
    welcome = st.empty()
    if not messages:
        with welcome.container():
            show_welcome(papers)
    for index, message in enumerate(messages):
        show_message(index, message)
    question = st.chat_input("Ask about the papers…", key="question")
    question = st.session_state.pop("example", None) if question is None else question
    if question is not None:
        welcome.empty()
        answer_question(question, messages, settings, k, paper_ids)


def show_welcome(papers: list[Paper]) -> None:
    st.markdown("Ask a question about the papers. Every claim in the answer cites the paper it comes from, with the exact "
                "sentence (and its page, for a PDF). For example:")
    for example in welcome_examples(papers):
        st.button(example, on_click=choose_example, args=(example,), type="tertiary", icon=":material/chat:")


def choose_example(example: str) -> None:
    st.session_state.example = example


def answer_question(question: str, messages: list[dict[str, Any]], settings: Settings, k: int,
                    paper_ids: list[str] | None) -> None:
    """Ask, stream the answer into the chat, then show it in full with its sources."""
    if not question.strip():
        st.warning(EMPTY_QUESTION, icon=":material/edit:")
        return
    history = chat_history(messages)
    messages.append({"role": "user", "content": question})
    show_message(len(messages) - 1, messages[-1])
    with st.chat_message("assistant"):
        try:
            answer = stream_answer(question, history, settings, k, paper_ids)
        except Exception as error:  # noqa: BLE001 - every failure becomes a message in the chat
            messages.append({"role": "assistant", "error": error_message(error)})
            st.error(defuse_markdown(messages[-1]["error"]))
            return
        messages.append({"role": "assistant", "answer": answer})
        show_answer(len(messages) - 1, answer)


def stream_answer(question: str, history: list[dict[str, str]], settings: Settings, k: int,
                  paper_ids: list[str] | None) -> Answer:
    """Stream the answer's text into a placeholder that is cleared at the end; return the final Answer."""
    final: list[Answer] = []

    def deltas(items: Iterator[str | Answer]) -> Iterator[str]:
        for item in items:
            if isinstance(item, Answer):
                final.append(item)
            elif item:
                yield answer_markdown(item)

    items = ask_stream(question, history=history, k=k, paper_ids=paper_ids, settings=settings)
    with st.spinner("Searching the papers…"):
        first = next(items)
    placeholder = st.empty()
    try:
        with placeholder:
            st.write_stream(deltas(chain([first], items)))
    finally:  # the streamed text is unchecked: only the final Answer, or the error that took its place, stays shown
        placeholder.empty()
    if not final:
        raise RuntimeError("ask_stream ended without an Answer")
    return final[0]


def show_message(index: int, message: dict[str, Any]) -> None:
    """One turn of the conversation: a question, an answer, or the error that took the answer's place."""
    with st.chat_message(message["role"]):
        if message["role"] == "user":
            st.markdown(escape_markdown(message["content"]))
        elif message.get("answer") is not None:
            show_answer(index, message["answer"])
        else:
            st.error(defuse_markdown(message["error"]))


def show_answer(index: int, answer: Answer) -> None:
    """The answer with clickable markers, its notes, a status line, then its source cards."""
    numbers = [citation.number for citation in answer.citations]
    # Titles and quotes come from abstracts: inside the answer they are shown as written, never read as Markdown.
    literals = [text for c in answer.citations for text in (c.title, c.quote)] + [h.title for h in answer.sources]
    st.markdown(link_markers(answer_markdown(answer.text, literals), index, numbers))
    for note in answer.notes:
        if note.startswith(BODY_NOTE):  # each source card says so too: no call for a warning
            st.caption(defuse_markdown(note))
        else:
            st.warning(defuse_markdown(note), icon=":material/info:")
    if answer.standalone_question:
        st.caption(f"Searched: {escape_markdown(answer.standalone_question)}")
    st.caption(escape_markdown(status_line(answer)))
    if answer.abstained:
        show_closest(answer.text, answer.sources)
        return
    sources = {hit.paper_id: hit for hit in answer.sources}
    shown = " ".join(answer.text.split())
    for citation in answer.citations:
        quoted_above = " ".join(citation.quote.split()) in shown
        hit = sources.get(citation.paper_id)
        show_citation(index, citation, hit.abstract if hit else "", quoted_above, hit)
    if answer.more:
        show_more(answer.more)
    bibtex_actions(answer)


def show_more(more: list[PaperRef]) -> None:
    """The papers of a list answer past its limit ("and N more"), folded: title, links and best sentence each."""
    label = "1 more paper that bears on this" if len(more) == 1 else f"{len(more)} more papers that bear on this"
    with st.expander(label, icon=":material/format_list_bulleted:"):
        for paper in more:
            links = f"  \n{links_markdown(paper.urls)}" if paper.urls else ""
            quote = f"  \n{escape_markdown(paper.quote)}" if paper.quote else ""
            st.markdown(f"**{escape_markdown(paper.title)}**{quote}{links}")


def show_citation(index: int, citation: Citation, abstract: str, quoted_above: bool = False, hit: Hit | None = None) -> None:
    """One source card: number and title (the target of the marker link), links, the quote in a little context, and
    the whole abstract (quote highlighted) one click away. A quote the answer already shows word for word is not
    repeated: the card keeps its title, links and the whole abstract with the quote highlighted. A full-text paper's
    card says the page and section, and shows that page as printed, the quote highlighted, one click away."""
    with st.container(border=True):
        st.subheader(f"\\[{citation.number}\\] {escape_markdown(citation.title)}",
                     anchor=source_anchor(index, citation.number))
        links = f"  \n{links_markdown(citation.urls)}" if citation.urls else ""
        if hit is not None and hit.body_start is not None and citation.page is not None:
            show_page(citation, hit)
            if citation.in_body:  # the body is long: the excerpt around the quote, and the page itself
                st.markdown(excerpt(abstract, citation.spans, EXCERPT_CONTEXT) + links)
                return
            abstract = abstract[: hit.body_start].rstrip()  # a quote of the abstract: "Whole abstract" is the abstract
        if not abstract:
            st.markdown(highlight(citation.quote, [(0, len(citation.quote))]) + links)
            return
        if quoted_above:
            if links:
                st.markdown(links.strip())
        else:
            st.markdown(excerpt(abstract, citation.spans, EXCERPT_CONTEXT) + links)
        if quoted_above or not is_whole(abstract, citation.spans, EXCERPT_CONTEXT):
            with st.expander("Whole abstract"):
                st.markdown(highlight(abstract, citation.spans))


def show_page(citation: Citation, hit: Hit) -> None:
    """The page and section of a full-text citation, and the page rendered from its PDF with the quote highlighted."""
    where = f"p. {citation.page}" + (f" · {citation.section}" if citation.section else "")
    st.caption(escape_markdown(where + (" · from the body, not the abstract" if citation.in_body else "")))
    if not hit.pdf:
        return
    with st.expander(f"See page {citation.page}"):
        try:
            st.image(page_png(hit.pdf, citation.page or 1, citation.quote), caption=f"Page {citation.page}, the quote highlighted")
        except AssistantError as error:
            st.info(str(error))


@st.cache_data(max_entries=32, show_spinner=False)
def page_png(pdf: str, page: int, quote: str) -> bytes:
    from assistant.corpus.pdf import page_image

    return page_image(pdf, page, quote)


def show_closest(text: str, hits: list[Hit]) -> None:
    """After an abstention: the closest papers once (the answer's own list, else a short one), their abstracts folded away."""
    if not hits:
        return
    listed = [hit for hit in hits if hit.title in text]
    if not listed:
        listed = hits[:3]
        lines = "\n".join(f"- {escape_markdown(hit.title)}" for hit in listed)
        st.markdown(f"**Closest papers in the collection** (none of them answers the question):\n{lines}")
    with st.expander(f"Abstracts of the closest papers ({len(listed)}); they do not answer the question"):
        for hit in listed:
            st.markdown(f"**{escape_markdown(hit.title)}**" + (f"  \n{links_markdown(hit.urls)}" if hit.urls else ""))
            st.markdown(escape_markdown(hit.abstract if hit.body_start is None else hit.abstract[: hit.body_start].rstrip()))


# -- papers -------------------------------------------------------------------------------------


def papers_view(settings: Settings, papers: list[Paper]) -> None:
    """Browse the collection: filter by title, open one paper, see its nearest neighbours."""
    st.header("Papers")
    query = st.text_input("Search titles", key="paper_search", placeholder="e.g. self-correction")
    matches = [paper for paper in papers if all(word in paper.title.lower() for word in query.lower().split())]
    st.caption(f"{len(matches)} of {len(papers)} papers")
    if not matches:
        st.info("No title contains all of those words.")
        return
    by_id = {paper.paper_id: paper for paper in papers}
    ids = [paper.paper_id for paper in matches]
    if st.session_state.get("paper_choice") not in ids:
        st.session_state.paper_choice = ids[0]
    chosen = st.selectbox("Open a paper", ids, format_func=lambda pid: by_id[pid].title, key="paper_choice")
    if chosen is not None:  # always one of ids: the choice is reset to ids[0] above
        show_paper(by_id[chosen], settings)


def show_paper(paper: Paper, settings: Settings) -> None:
    """One paper: title, links, abstract, and buttons to its nearest neighbours."""
    with st.container(border=True):
        st.markdown(f"#### {escape_markdown(paper.title)}")
        st.caption(escape_markdown(paper.byline()))
        if paper.urls:
            st.markdown(links_markdown(paper.urls))
        st.markdown(escape_markdown(paper.abstract))
        st.button("Ask about this paper", icon=":material/chat:", on_click=ask_about, args=(paper.paper_id,),
                  help="Switch to the chat, searching this paper only.")
    st.markdown("##### Most related papers")
    for related, score in related_papers(paper.paper_id, RELATED_COUNT, settings):
        title, similarity = st.columns([6, 1], vertical_alignment="center")
        title.button(escape_markdown(related.title), key=f"open-{related.paper_id}", type="tertiary", icon=":material/article:",
                     on_click=open_paper, args=(related.paper_id,), help="Open this paper")
        similarity.caption(f"similarity {score:.2f}")


def open_paper(paper_id: str) -> None:
    st.session_state.paper_search = ""
    st.session_state.paper_choice = paper_id


def ask_about(paper_id: str) -> None:
    """A fresh conversation about one paper: the old one's questions must not leak into the new one's."""
    new_chat()
    st.session_state.restrict = [paper_id]
    st.session_state.view = "Chat"


# -- page ---------------------------------------------------------------------------------------


def main() -> None:
    st.set_page_config(page_title="Paper Assistant", page_icon=":material/menu_book:")
    st.html(CARD_STYLE)
    try:
        settings = chosen_settings(get_settings())
        ensure_index(settings)
        warm_up(settings_key(settings), settings)
        papers = list_papers(settings)
        view, k, paper_ids = sidebar(settings, papers)
    except Exception as error:  # noqa: BLE001 - without an index there is nothing else to show
        st.error(defuse_markdown(error_message(error)))
        st.stop()
    library_messages()  # what the last upload did, at the top of the page where the user looks
    try:
        if view == "Papers":
            papers_view(settings, papers)
        else:
            chat_view(settings, k, paper_ids, papers)
    except Exception as error:  # noqa: BLE001
        st.error(defuse_markdown(error_message(error)))
    if view == "Chat":
        conversation_actions(st.session_state.get("messages", []))
    library_panel(settings)


main()
