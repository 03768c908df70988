"""PDFs made for the tests with reportlab: a two-column paper with a running header and footer, hyphenated line ends,
ligature glyphs and a references section; an image-only page; an encrypted file; a damaged file."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core: has the ﬁ/ﬂ/ﬃ glyphs
WIDTH, HEIGHT = 612, 792
HEADER = "Journal of Synthetic Test Papers, Vol. 3"
TITLE = "Tidal Turbine Arrays for Coastal Energy Forecasting"
ABSTRACT = ("We study arrays of tidal turbines placed along a narrow coastal channel and forecast the energy they deliver "
            "over a full lunar cycle. A hydrodynamic model coupled with a learned correction predicts the output of each "
            "turbine from the tidal phase and the local bathymetry, and the forecasts are checked against two years of "
            "measured output from a demonstration site.")
INTRODUCTION = [
    "Tidal streams are predictable months ahead, which makes them an attractive complement to wind and solar power. "
    "Yet the output of a turbine array depends on wake interactions between neighbouring machines, and these "
    "interactions are poorly captured by the simplified models that operators use for day-ahead scheduling.",
    "This paper proposes a forecasting pipeline that keeps the physical model in the loop while correcting its "
    "systematic errors with a small regression network trained on historical measurements from the site.",
]
METHOD = [
    "The hydrodynamic solver resolves the channel on an unstructured mesh with a characteristic spacing of twenty "
    "metres near the turbines. Each turbine is represented as a momentum sink whose thrust coefficient follows the "
    "manufacturer curve, and the ﬁne mesh around the array captures the wakes that the coarse operational model misses.",
    "The learned correction is an eﬃcient two-layer network that takes the solver prediction, the tidal phase and "
    "the measured upstream velocity, and outputs a multiplicative factor. It is ﬁtted on the ﬁrst year of data and "
    "evaluated on the second year without any retraining of its weights.",
]
FACT = ("The corrected forecasts reached a mean absolute error of 4.2 percent of rated power at the Pentland Firth "
        "demonstration array, against 11.8 percent for the uncorrected solver.")
RESULTS = [
    FACT + " The gain is largest during spring tides, when wake interactions between rows of turbines are strongest and "
    "the uncorrected solver overestimates the output of the downstream rows.",
    "During neap tides both forecasts agree closely, since the turbines then operate below rated speed and the wakes "
    "recover before reaching the next row of machines.",
]
REFERENCES = [
    "[1] A. Author and B. Writer. Wake interactions in tidal stream arrays. Renewable Energy, 2019.",
    "[2] C. Researcher. Forecasting tidal power with neural networks. Ocean Engineering, 2021.",
    "[3] D. Scholar and E. Expert. Unstructured meshes for coastal hydrodynamics. J. Comput. Phys., 2018.",
]


def _font() -> str:
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONT_FILE)))
    return "DejaVu"


def _wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """Lines of at most width points; a long word that does not fit is hyphenated at the end of the line."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if len(word) >= 8 and word.isalpha():
            for cut in range(len(word) - 3, 2, -1):
                head = f"{line} {word[:cut]}-".strip()
                if pdfmetrics.stringWidth(head, font, size) <= width:
                    lines.append(head)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


class _Writer:
    """Writes paragraphs into two columns, page after page, with a running header and footer."""

    def __init__(self, path: Path, encrypt: str | None = None, two_columns: bool = True, footer: bool = True,
                 author_entry: bool = True):
        self.c = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT), encrypt=encrypt)
        self.c.setTitle(TITLE)
        if author_entry:
            self.c.setAuthor("Ada Lovelace; Alan Turing")
        self.font = _font()
        self.page = 1
        self.two_columns = two_columns
        self.footer = footer
        self.column = 0
        self.y = HEIGHT - 110
        self._furniture()

    @property
    def x(self) -> float:
        return 72 if self.column == 0 else 316

    @property
    def width(self) -> float:
        return 224 if self.two_columns else WIDTH - 144

    def _furniture(self) -> None:
        self.c.setFont(self.font, 8)
        self.c.drawString(72, HEIGHT - 40, HEADER)
        if self.footer:
            self.c.drawCentredString(WIDTH / 2, 36, str(self.page))

    def new_page(self) -> None:
        self.c.showPage()
        self.page += 1
        self.column = 0
        self.y = HEIGHT - 80
        self._furniture()

    def _room(self, needed: float) -> None:
        if self.y - needed < 80:
            if self.two_columns and self.column == 0:
                self.column, self.y = 1, self.top
            else:
                self.new_page()
                self.top = self.y

    top = HEIGHT - 80

    def heading(self, text: str) -> None:
        self._room(40)
        self.y -= 8
        self.c.setFont(self.font, 12)
        self.c.drawString(self.x, self.y, text)
        self.y -= 18

    def abstract(self, heading_y: float) -> None:
        """The "Abstract" heading at heading_y and ABSTRACT under it, full width; the body starts below them."""
        self.c.setFont(self.font, 12)
        self.c.drawCentredString(WIDTH / 2, heading_y, "Abstract")
        y = heading_y - 18
        self.c.setFont(self.font, 10)
        for line in _wrap(ABSTRACT, WIDTH - 144, self.font, 10):
            self.c.drawString(72, y, line)
            y -= 12
        self.y = self.top = y - 20

    def paragraph(self, text: str) -> None:
        self.c.setFont(self.font, 10)
        for line in _wrap(text, self.width, self.font, 10):
            self._room(12)
            self.c.setFont(self.font, 10)
            self.c.drawString(self.x, self.y, line)
            self.y -= 12
        self.y -= 10

    def save(self) -> None:
        self.c.showPage()
        self.c.save()


def paper_pdf(path: Path, *, image_page: bool = True, encrypt: str | None = None, author_entry: bool = True) -> Path:
    """The test paper: title, abstract (full width), then two columns over pages; optionally an image-only page 3;
    without author_entry, its authors are only printed under its title (as in most real PDFs)."""
    w = _Writer(path, encrypt=encrypt, author_entry=author_entry)
    c = w.c
    c.setFont(w.font, 18)
    c.drawCentredString(WIDTH / 2, HEIGHT - 90, TITLE)
    c.setFont(w.font, 11)
    c.drawCentredString(WIDTH / 2, HEIGHT - 112, "Ada Lovelace and Alan Turing")
    c.drawCentredString(WIDTH / 2, HEIGHT - 126, "doi:10.5555/tidal.2024.17")
    w.abstract(HEIGHT - 160)
    w.heading("1 Introduction")
    for text in INTRODUCTION * 3:
        w.paragraph(text)
    w.heading("2 Method")
    for text in METHOD:
        w.paragraph(text)
    w.new_page()
    w.top = w.y
    w.heading("3 Results")
    for text in RESULTS:
        w.paragraph(text)
    if image_page:
        w.c.showPage()  # page 3: a drawing and no text (a scanned figure)
        w.c.rect(100, 100, 400, 500, fill=1)
        w.page += 1
        w.new_page()
        w.top = w.y
    else:
        w.new_page()
        w.top = w.y
    w.heading("4 Conclusion")
    w.paragraph("Keeping the physical model in the loop and learning only its correction gives forecasts that operators can trust.")
    w.heading("References")
    for text in REFERENCES:
        w.paragraph(text)
    w.save()
    return path


# The sentence before FACT, on the page before it: it sets the fact up, so a quote of two sentences would take it.
SETUP = ("Both forecasts were then compared with the output measured at the Pentland Firth demonstration array over "
         "the second year.")


def page_opening_pdf(path: Path) -> Path:
    """A one-column paper whose page 2 opens with FACT, right after SETUP closes page 1."""
    w = _Writer(path, two_columns=False)
    c = w.c
    c.setFont(w.font, 18)
    c.drawCentredString(WIDTH / 2, HEIGHT - 90, TITLE)
    w.abstract(HEIGHT - 130)
    w.heading("1 Introduction")
    for text in INTRODUCTION:
        w.paragraph(text)
    w.heading("2 Results")
    w.paragraph(METHOD[0] + " " + SETUP)
    w.new_page()
    w.paragraph(RESULTS[0])
    w.paragraph(RESULTS[1])
    w.save()
    return path


def image_only_pdf(path: Path) -> Path:
    """A PDF of two pages with drawings and no text layer (what a scanner makes)."""
    c = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    for _ in range(2):
        c.rect(100, 100, 300, 300, fill=1)
        c.showPage()
    c.save()
    return path


def damaged_pdf(path: Path) -> Path:
    """A PDF cut off after its first kilobyte."""
    whole = paper_pdf(path, image_page=False).read_bytes()
    path.write_bytes(whole[:1024])
    return path


# A table of numbers in the right column (caption above it, a header row, rows with a name cell) on the baselines of the
# left column's text, and under it a plot with axis ticks and its caption.
TABLE_CAPTION = "Table 2: Skill of each model in the held-out year."
TABLE_HEADER = ["model", "lag", "AUC", "recall", "precision"]
TABLE_ROWS = [["Gradient boosting", "12", "0.913", "0.81", "0.77"],
              ["Random forest", "8", "0.887", "0.78", "0.75"],
              ["Harmonic analysis", "4", "0.802", "0.69", "0.71"],
              ["Kalman filter", "6", "0.871", "0.79", "0.74"],
              ["Persistence", "1", "0.644", "0.52", "0.58"]]
TABLE_COLUMNS = [316, 420, 452, 486, 516]  # each cell's left edge: cells stand further apart than a line's words
FIGURE_TICKS = ["1.0", "0.5", "0.0"]
FIGURE_X_TICKS = ["0", "10", "20", "30"]
FIGURE_CAPTION = "Figure 1: Training loss of the boosting model."
RIGHT_TEXT = [
    "The models differ in how much of the tidal signal they leave to the learned part: the harmonic analysis keeps all "
    "of it in the astronomical constituents, while the boosted trees learn the residual flow from the measured data.",
    "After the held-out year the operators kept the boosted trees for the day-ahead schedule and the harmonic analysis "
    "as a fallback when the upstream gauges fail or report implausible velocities.",
]


def table_pdf(path: Path) -> Path:
    """One page: title, abstract, two columns of text; in the right column a table and a plot with axis ticks."""
    c = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    c.setTitle(TITLE)
    font = _font()
    c.setFont(font, 18)
    c.drawCentredString(WIDTH / 2, HEIGHT - 80, TITLE)
    c.setFont(font, 12)
    c.drawCentredString(WIDTH / 2, HEIGHT - 120, "Abstract")
    c.setFont(font, 10)
    y = HEIGHT - 138
    for line in _wrap(ABSTRACT, WIDTH - 144, font, 10):
        c.drawString(72, y, line)
        y -= 12
    top = y - 24
    c.setFont(font, 12)
    c.drawString(72, top, "1 Introduction")
    c.setFont(font, 10)
    top -= 24
    y = top
    for text in INTRODUCTION + METHOD:
        for line in _wrap(unicodedata.normalize("NFKC", text), 224, font, 10):  # (ligatures are tested elsewhere)
            c.drawString(72, y, line)
            y -= 12
        y -= 12
    y = top
    for line in _wrap(RIGHT_TEXT[0], 224, font, 10):
        c.drawString(316, y, line)
        y -= 12
    y -= 24
    c.setFont(font, 9)
    c.drawString(316, y, TABLE_CAPTION)
    y -= 24  # the rows on the left column's baselines (12 points apart from the same top)
    for cells in [TABLE_HEADER, *TABLE_ROWS]:
        for x, cell in zip(TABLE_COLUMNS, cells):
            c.drawString(x, y, cell)
        y -= 12
    y -= 36
    for tick in FIGURE_TICKS:  # the plot: y-axis ticks, the axes, x-axis ticks and label, then the caption
        c.drawString(330, y, tick)
        y -= 20
    c.line(350, y + 60, 350, y + 10)
    c.line(350, y + 10, 520, y + 10)
    for i, tick in enumerate(FIGURE_X_TICKS):
        c.drawString(355 + 50 * i, y - 2, tick)
    c.drawString(420, y - 16, "Epoch")
    y -= 36
    c.drawString(316, y, FIGURE_CAPTION)
    y -= 24
    c.setFont(font, 10)
    for line in _wrap(RIGHT_TEXT[1], 224, font, 10):
        c.drawString(316, y, line)
        y -= 12
    c.showPage()
    c.save()
    return path



def first_page_pdf(path: Path, rows: list[list[tuple[str, float, float]]], author: str | None = None) -> Path:
    """One page, without an Author entry unless one is given: TITLE, under it rows of runs (text, font size, rise) set
    one after the other (a raised run in a smaller size is an affiliation mark), then the abstract."""
    c = canvas.Canvas(str(path), pagesize=(WIDTH, HEIGHT))
    if author is not None:
        c.setAuthor(author)
    font = _font()
    c.setFont(font, 18)
    c.drawCentredString(WIDTH / 2, HEIGHT - 90, TITLE)
    y = HEIGHT - 116
    for row in rows:
        x = 72.0
        for text, size, rise in row:
            c.setFont(font, size)
            c.drawString(x, y + rise, text)
            x += c.stringWidth(text, font, size)
        y -= 15
    c.setFont(font, 12)
    c.drawCentredString(WIDTH / 2, y - 20, "Abstract")
    c.setFont(font, 10)
    for line in _wrap(ABSTRACT, WIDTH - 144, font, 10):
        y -= 12
        c.drawString(72, y - 30, line)
    c.showPage()
    c.save()
    return path
