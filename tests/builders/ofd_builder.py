"""OFD letters made in code: any LetterSpec laid out as a text PDF, then rewritten as OFD (GB/T 33190).

The PDF's glyphs (with their baselines and sizes) and its rules become OFD
TextObjects and PathObjects in millimetres, so every variation the PDF builder
knows exists as OFD too. Producer quirks are options:

    build_ofd(spec, tmp_path / "a.ofd")                     # like OFD R&W / Suwell
    build_ofd(spec, path, entry=False, prefix="", upper_dirs=True, ctm=True)
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable
from pathlib import Path

from tests.builders.pdf_builder import build_pdf
from tests.builders.spec import LetterSpec

NS = "http://www.ofdspec.org/2016"
PT = 25.4 / 72  # points -> mm


def _f(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Ids:
    def __init__(self) -> None:
        self.n = 100

    def __call__(self) -> int:
        self.n += 1
        return self.n


def _runs(chars: list[dict]) -> Iterable[list[dict]]:
    """Glyphs on one baseline, same font and size, in x order: one TextObject each."""
    chars = sorted(chars, key=lambda c: (round(c["matrix"][5], 1), c["x0"]))
    run: list[dict] = []
    for ch in chars:
        if ch["text"].isspace():
            continue
        if run and (
            round(ch["matrix"][5], 1) != round(run[-1]["matrix"][5], 1)
            or ch["fontname"] != run[-1]["fontname"]
            or abs(ch["size"] - run[-1]["size"]) > 0.01
            or ch["x0"] - run[-1]["x1"] > ch["size"] * 1.5
        ):
            yield run
            run = []
        run.append(ch)
    if run:
        yield run


def page_xml(
    page, ids: _Ids, *, prefix: str = "ofd:", ctm: bool = False, image: str | None = None
) -> str:  # page: pdfplumber Page
    p = prefix
    height = float(page.height)
    parts: list[str] = []
    if image is not None:
        parts.append(
            f'<{p}ImageObject ID="{ids()}" ResourceID="{image}" Boundary="0 0 {_f(page.width * PT)} '
            f'{_f(height * PT)}" CTM="{_f(page.width * PT)} 0 0 {_f(height * PT)} 0 0"/>'
        )
    else:
        for run in _runs(page.chars):
            size = run[0]["size"] * PT
            x0 = run[0]["x0"] * PT
            baseline = (height - run[0]["matrix"][5]) * PT
            top = baseline - size * 0.9
            width = (run[-1]["x1"] - run[0]["x0"]) * PT
            deltas = " ".join(_f((b["x0"] - a["x0"]) * PT) for a, b in itertools.pairwise(run))
            text = _esc("".join(c["text"] for c in run))
            bold = ' Weight="700"' if "Bold" in run[0]["fontname"] else ""
            if ctm:  # Suwell-style: the object drawn at half size and scaled up by its CTM
                parts.append(
                    f'<{p}TextObject ID="{ids()}" Boundary="{_f(x0)} {_f(top)} {_f(width + size)} {_f(size * 1.2)}"'
                    f' Font="1" Size="{_f(size / 2)}" CTM="2 0 0 2 0 0"{bold}><{p}TextCode X="0" '
                    f'Y="{_f(size * 0.45)}" DeltaX="{_half(deltas)}">{text}</{p}TextCode></{p}TextObject>'
                )
            else:
                parts.append(
                    f'<{p}TextObject ID="{ids()}" Boundary="{_f(x0)} {_f(top)} {_f(width + size)} {_f(size * 1.2)}"'
                    f' Font="1" Size="{_f(size)}"{bold}><{p}TextCode X="0" Y="{_f(size * 0.9)}"'
                    f' DeltaX="{_compress(deltas)}">{text}</{p}TextCode></{p}TextObject>'
                )
        for e in page.edges:
            x0, x1, top, bottom = e["x0"] * PT, e["x1"] * PT, e["top"] * PT, e["bottom"] * PT
            parts.append(
                f'<{p}PathObject ID="{ids()}" Boundary="{_f(x0)} {_f(top)} {_f(max(x1 - x0, 0.1))} '
                f'{_f(max(bottom - top, 0.1))}" LineWidth="0.25"><{p}AbbreviatedData>M 0 0 L {_f(x1 - x0)} '
                f"{_f(bottom - top)}</{p}AbbreviatedData></{p}PathObject>"
            )
    ns = f' xmlns:{p[:-1]}="{NS}"' if p else f' xmlns="{NS}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}Page{ns}><{p}Content><{p}Layer ID="{ids()}">'
        + "".join(parts)
        + f"</{p}Layer></{p}Content></{p}Page>"
    )


def _compress(deltas: str) -> str:
    """Runs of equal advances as "g N v", as most producers write them."""
    vals = deltas.split()
    out: list[str] = []
    i = 0
    while i < len(vals):
        j = i
        while j < len(vals) and vals[j] == vals[i]:
            j += 1
        out.extend(["g", str(j - i), vals[i]] if j - i > 2 else vals[i:j])
        i = j
    return " ".join(out)


def _half(deltas: str) -> str:
    return " ".join(_f(float(v) / 2) for v in deltas.split())


def build_ofd(
    spec: LetterSpec,
    path: Path,
    *,
    entry: bool = True,
    prefix: str = "ofd:",
    upper_dirs: bool = False,
    ctm: bool = False,
    image_only: bool = False,
    pdf_options: dict | None = None,
) -> Path:
    """Write `spec` as an OFD letter at `path`.

    `entry=False` leaves out OFD.xml (some producers do); `prefix=""` writes a
    default namespace; `upper_dirs` names the resource folder DOC_0 while the
    document says Doc_0; `ctm` scales text through CTMs; `image_only` puts each
    page in as a picture (a scanned OFD, for OCR).
    """
    import pdfplumber

    path = Path(path)
    pdf_path = path.with_suffix(".src.pdf")
    build_pdf(spec, pdf_path, **(pdf_options or {}))
    ids = _Ids()
    p = prefix
    ns = f' xmlns:{p[:-1]}="{NS}"' if p else f' xmlns="{NS}"'
    files: dict[str, bytes] = {}
    media: list[str] = []
    with pdfplumber.open(pdf_path) as pdf:
        first = pdf.pages[0]
        for n, page in enumerate(pdf.pages):
            image = None
            if image_only:
                png = page.to_image(resolution=200).original.convert("L")
                name = f"page_{n}.png"
                import io

                buf = io.BytesIO()
                png.save(buf, "PNG")
                res_dir = "DOC_0/Res" if upper_dirs else "Doc_0/Res"
                files[f"{res_dir}/{name}"] = buf.getvalue()
                image = str(900 + n)
                media.append(
                    f'<{p}MultiMedia ID="{image}" Type="Image"><{p}MediaFile>{name}</{p}MediaFile></{p}MultiMedia>'
                )
            files[f"Doc_0/Pages/Page_{n}/Content.xml"] = page_xml(
                page, ids, prefix=p, ctm=ctm, image=image
            ).encode()
        width, height = float(first.width) * PT, float(first.height) * PT
        count = len(pdf.pages)
    pdf_path.unlink()
    pages = "".join(f'<{p}Page ID="{ids()}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(count))
    files["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}Res{ns} BaseLoc="Res"><{p}Fonts>'
        f'<{p}Font ID="1" FontName="宋体" FamilyName="宋体"/></{p}Fonts>'
        + (f"<{p}MultiMedias>{''.join(media)}</{p}MultiMedias>" if media else "")
        + f"</{p}Res>"
    ).encode()
    files["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}Document{ns}><{p}CommonData><{p}MaxUnitID>{ids.n}'
        f"</{p}MaxUnitID><{p}PageArea><{p}PhysicalBox>0 0 {_f(width)} {_f(height)}</{p}PhysicalBox>"
        f"</{p}PageArea><{p}PublicRes>PublicRes.xml</{p}PublicRes></{p}CommonData><{p}Pages>{pages}"
        f"</{p}Pages></{p}Document>"
    ).encode()
    if entry:
        files["OFD.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><{p}OFD{ns} Version="1.0" DocType="OFD"><{p}DocBody>'
            f"<{p}DocInfo><{p}DocID>0</{p}DocID><{p}Creator>tests</{p}Creator></{p}DocInfo>"
            f"<{p}DocRoot>Doc_0/Document.xml</{p}DocRoot></{p}DocBody></{p}OFD>"
        ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def write_ofd_parts(path: Path, parts: dict[str, str | bytes]) -> Path:
    """An OFD package from raw parts (for damaged and unusual files)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path
