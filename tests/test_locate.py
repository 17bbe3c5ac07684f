"""Finding a .docx letter's values on its converted PDF (pipeline.web.locate), on made-up pages."""

from __future__ import annotations

from pipeline.web.locate import PageText, locate


def page(*lines: tuple[float, str]) -> PageText:
    """Lines of text at the given tops, 10 pt characters from the left margin (whitespace dropped)."""
    text, rects = "", []
    for top, line in lines:
        x = 50.0
        for ch in line:
            if ch == " ":
                x += 10
                continue
            text += ch
            rects.append((x, top, x + 10, top + 12))
            x += 10
    return PageText(595, 842, text, rects)


def src(text: str, paragraph: int | None = None) -> dict:
    loc = {"paragraph": paragraph} if paragraph is not None else {"table": 0}
    return {"location": loc, "text": text}


A, B = "610102199001011234", "610102198502024321"


def test_a_name_is_found_on_its_own_id_line_and_fields_in_paragraph_order() -> None:
    pages = [
        page(
            (100, "关于张三等同志信用查询的函"),  # a name in the title, before the roster
            (130, "省信用办："),
            (300, "1 张三 " + A),
            (320, "2 张三 " + B),
            (700, "2026年6月4日"),
        )
    ]
    letter = {
        "sources": {"addressee": src("省信用办：", 1), "date": src("2026年6月4日", 9)},
        "people": [
            {"sources": {"name": src("张三"), "id_number": src(A)}},
            {"sources": {"name": src("张三"), "id_number": src(B)}},
        ],
    }
    spots = {s.key: s for s in locate(pages, letter)}
    assert spots["1.id_number"].rect[1] == 300 and spots["2.id_number"].rect[1] == 320
    assert spots["1.name"].rect[1] == 300 and spots["2.name"].rect[1] == 320  # not the title's 张三
    assert spots["addressee"].rect[1] == 130 and spots["date"].rect[1] == 700


def test_the_same_id_twice_takes_each_occurrence_once_and_a_wrapped_value_gives_one_box_per_line() -> None:
    unit = "陕西省人力资源和社会保障厅"
    pages = [page((100, unit[:8]), (114, unit[8:]), (300, "1 李四 " + A), (320, "2 李四 " + A))]
    letter = {
        "sources": {"unit": src(unit, 0)},
        "people": [{"sources": {"name": src("李四"), "id_number": src(A)}}] * 2,
    }
    spots = locate(pages, letter)
    ids = [s.rect[1] for s in spots if s.key.endswith("id_number")]
    assert sorted(ids) == [300, 320]
    assert [s.rect[1] for s in spots if s.key == "unit"] == [100, 114]


def test_a_value_not_on_the_pages_has_no_box() -> None:
    assert locate([page((100, "别的内容"))], {"people": [{"sources": {"id_number": src(A)}}]}) == []
