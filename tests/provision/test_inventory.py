"""The inventory as real spreadsheets export it, and every way it can be wrong."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_provisioning.inventory import LEADER_PIN, TECHNICIAN_PIN, parse_inventory
from kiosk_provisioning.problems import ProvisionError

HEADER = "id,name,district,contact\n"


def problems(data: bytes) -> list[str]:
    with pytest.raises(ProvisionError) as caught:
        parse_inventory(data, "centres.csv")
    return [str(p) for p in caught.value.problems]


def test_bom_crlf_quoted_commas_and_hangul() -> None:
    data = (
        "\ufeffid,이름,읍면동,연락처,음량\r\n"
        'namwon-001,"운봉 신기마을 경로당, 1층",운봉읍,"063-600-1000",100\r\n'
        "namwon-002,향교 상촌마을 경로당,향교동,,\r\n"
        ",,,,\r\n"
    ).encode()
    rows = parse_inventory(data, "centres.csv")
    assert [r.centre_id for r in rows] == ["namwon-001", "namwon-002"]
    assert rows[0].settings["centre.name"] == "운봉 신기마을 경로당, 1층"
    assert rows[0].settings["voice.volume"] == 100
    assert rows[0].district == "운봉읍"
    assert "voice.volume" not in rows[1].settings, "empty cells set nothing"
    assert rows[1].line == 3


def test_plain_utf8_without_bom_and_lf() -> None:
    rows = parse_inventory((HEADER + "c-1,경로당,금동,\n").encode(), "x.csv")
    assert rows[0].settings["centre.district"] == "금동"


def test_duplicate_centres_name_both_lines() -> None:
    found = problems((HEADER + "c-1,가,금동,\nc-2,나,금동,\nc-1,다,금동,\n").encode())
    assert found == ["centres.csv line 4: id: centre 'c-1' is already on line 2"]


def test_unknown_and_duplicate_columns_are_refused() -> None:
    found = problems(b"id,name,district,colour,name\nc-1,a,b,red,a\n")
    assert found[0].startswith("centres.csv line 1: colour: unknown column (known: id, name,")
    assert found[1] == "centres.csv line 1: name: the same column appears twice"


def test_missing_required_column() -> None:
    assert problems(b"id,name\nc-1,a\n") == [
        "centres.csv line 1: required column 'district' is missing"
    ]


def test_bad_values_and_short_rows_name_line_and_column() -> None:
    data = (
        "id,name,district,음량,음성안내\nc-1,,금동,,\nc-2,b,금동,loud,\nc-3,c,금동,5,maybe\nc-4,d\n"
    )
    assert problems(data.encode()) == [
        "centres.csv line 2: name: is empty",
        "centres.csv line 3: volume: 'loud' is not a whole number",
        "centres.csv line 4: voice: 'maybe' is not yes/no (예/아니오)",
        "centres.csv line 5: 2 cells where the header has 5",
    ]


def test_not_utf8_says_how_to_save_it() -> None:
    data = (HEADER + "c-1,경로당,금동,\n").encode("cp949")
    assert problems(data) == ["centres.csv line 2: not UTF-8: save the sheet as 'CSV UTF-8'"]


def test_empty_file_and_header_only() -> None:
    assert problems(b"") == ["centres.csv: the file is empty"]
    assert problems(HEADER.encode()) == ["centres.csv: no centres in the file"]


def test_line_numbers_count_quoted_newlines() -> None:
    data = (HEADER + 'c-1,"two\nlines",금동,\nc-2,b,금동,\nc-2,c,금동,\n').encode()
    assert problems(data) == ["centres.csv line 5: id: centre 'c-2' is already on line 4"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_rows_or_a_provision_error(data: bytes) -> None:
    try:
        parse_inventory(data, "fuzz.csv")
    except ProvisionError as err:
        assert err.problems


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=6
        ),
        max_size=6,
    )
)
def test_any_table_under_a_valid_header_gives_rows_or_a_provision_error(
    cells: list[list[str]],
) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "name", "district", "volume"])
    writer.writerows(cells)
    try:
        rows = parse_inventory(out.getvalue().encode(), "fuzz.csv")
    except ProvisionError as err:
        assert err.problems
    else:
        assert len({r.centre_id for r in rows}) == len(rows)


def test_leader_and_technician_pins_per_centre() -> None:
    data = "id,name,district,리더 PIN,기술자 PIN\nc-1,가,금동,1234,98765\nc-2,나,금동,,\n"
    rows = parse_inventory(data.encode(), "centres.csv")
    assert rows[0].settings[LEADER_PIN] == "1234"
    assert rows[0].settings[TECHNICIAN_PIN] == "98765"
    assert rows[0].columns[TECHNICIAN_PIN] == "technician_pin"
    assert TECHNICIAN_PIN not in rows[1].settings, "no PIN: no diagnostics screen on that box"


def test_bad_technician_pins_name_line_and_column() -> None:
    data = "id,name,district,pin,technician.pin\nc-1,가,금동,1234,12\nc-2,나,금동,5678,5678\n"
    assert problems(data.encode()) == [
        "centres.csv line 2: technician_pin: a PIN is 4 to 8 digits",
        "centres.csv line 3: technician_pin: must differ from the leader's PIN",
    ]
