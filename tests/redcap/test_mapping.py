"""The mapping file format: the built-in mapping, and the documented example of another design
(docs/redcap.md), read from the doc itself and run on a small export of that design."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from orchestration.redcap import MappingError, import_redcap, load_mapping
from orchestration.redcap.mapping import match_vocabulary, parse_mapping, vocabulary
from tests.redcap.handmade import read_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "redcap.md"

DICTIONARY = """Variable / Field Name,Form Name,Field Type,Field Label,"Choices, Calculations, OR Slider Labels",Text Validation Type OR Show Slider Number
study_id,enrolment,text,Study ID,,
full_name,enrolment,text,Name,,
centre,enrolment,dropdown,Centre,"1, Essen | 2, Munich",
dob,enrolment,text,Date of birth,,date_ymd
gender,enrolment,radio,Gender,"m, male | f, female",
consent,enrolment,radio,Consent,"1, Yes | 2, No | 3, Withdrawn",
tx_date,treatment,text,Date,,date_ymd
drug,treatment,radio,Drug,"1, Lu-PSMA-617 | 2, Lu-PSMA-I&T",
dose_gbq,treatment,text,Dose (GBq),,number
lab_date,labs,text,Date,,date_ymd
hb,labs,text,Hb (g/dL),,number
psa,labs,text,PSA (ng/mL),,number
last_seen,followup,text,Last seen,,date_ymd
death,followup,text,Death,,date_ymd
"""  # noqa: E501

RECORDS = """study_id,redcap_repeat_instrument,redcap_repeat_instance,full_name,centre,dob,gender,consent,enrolment_complete,tx_date,drug,dose_gbq,treatment_complete,lab_date,hb,psa,labs_complete,last_seen,death,followup_complete
S-1,,,Max Planted,1,1949-01-02,m,1,2,,,,,,,,,2024-05-01,,2
S-1,treatment,1,,,,,,,2023-01-10,2,7.4,2,,,,,,,
S-1,labs,1,,,,,,,,,,,2023-01-09,12.1,35.5,2,,,
S-1,labs,2,,,,,,,,,,,2023-02-09,,NASK,2,,,
S-2,,,Otto Planted,2,1951-03-04,m,3,2,,,,,,,,,2024-06-01,2024-06-01,2
"""  # noqa: E501


def _doc_mapping() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return next(b for b in blocks if "MY-RLT-REGISTRY" in b)


def test_the_documented_example_mapping_works_on_its_design(tmp_path):
    source = tmp_path / "my-registry"
    source.mkdir()
    (source / "data_dictionary.csv").write_text(DICTIONARY)
    (source / "records.csv").write_text(RECORDS)
    (tmp_path / "mapping.yaml").write_text(_doc_mapping())
    summary = import_redcap(
        source, tmp_path / "out", mapping=tmp_path / "mapping.yaml", exported_at="2024-09-16"
    )
    out = tmp_path / "out"
    patients = [
        (r["patient_id"], r["site_id"], r["sex"], r["consent_data_use"]) for r in read_table(out, "patients")
    ]
    assert patients == [("S-1", "Essen", "M", "yes"), ("S-2", "Munich", "M", "no")]
    cycles = read_table(out, "rlt_cycles")
    assert [(c["radioligand"], c["activity"], c["activity_unit"]) for c in cycles] == [
        ("177Lu-PSMA-I&T", "7.4", "GBq")
    ]
    labs = [(r["sample_date"], r["analyte"], r["value"], r["unit"]) for r in read_table(out, "lab_results")]
    # the second panel measured nothing (Hb empty, PSA not asked): no rows, the code counted
    assert labs == [("2023-01-09", "hemoglobin", "12.1", "g/dL"), ("2023-01-09", "psa", "35.5", "ng/mL")]
    assert {f: dict(c) for f, c in summary.missing.items()} == {"psa": {"NASK": 1}}
    assert [r["death_date"] for r in read_table(out, "vital_status")] == ["", "2024-06-01"]
    assert summary.unmapped() == []
    assert summary.fields_not_written == ["full_name"]
    assert "Planted" not in "".join(p.read_text() for p in out.iterdir())


def test_the_built_in_mapping_maps_every_choice_of_the_reference_dictionary():
    """Every choice of every coded field the reference mapping names reaches a vocabulary value."""
    from orchestration.redcap.mapping import REFERENCE_DIR
    from orchestration.redcap.project import read_dictionary

    fields = read_dictionary(REFERENCE_DIR / "data_dictionary.csv")
    mapping = load_mapping()
    checked = 0
    for source in mapping.sources:
        for spec in source.columns:
            vocab = vocabulary(source.table, spec.column)
            if vocab is None or spec.kind not in ("field", "checked"):
                continue
            for code, label in fields[spec.field].choices:
                value = spec.codes.get(code) or match_vocabulary(label, vocab)
                assert value in vocab, (spec.field, code, label)
                checked += 1
    assert checked == 3 + 2 + 12 + 8 + 3 + 3 + 3 + 10 + 16 + 6  # sex, consent, therapy, site, extent, ...


def test_vocabulary_matching_keeps_units_that_differ_only_in_case_apart():
    units = vocabulary("lab_results", "unit")
    assert (match_vocabulary("G/L", units), match_vocabulary("g/L", units)) == ("G/L", "g/L")
    assert match_vocabulary("Lymph node", vocabulary("metastases", "site")) == "lymph_node"
    assert match_vocabulary("Radium-223", vocabulary("prior_therapies", "therapy")) == "radium223"
    assert match_vocabulary("Liver metastasis", vocabulary("metastases", "site")) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"therapy": {"checked": "a"}, "start_date": {"field": "b", "value": "c"}}, "exactly one of"),
        ({"therapy": "t", "start_date": "pt_{value}_start"}, "`{value}` needs a `checked:` column"),
        ({"therapy": {"checked": "Prior Therapy"}}, "is not a REDCap field name"),
    ],
)
def test_malformed_columns_are_named(change, message):
    raw = yaml.safe_load((Path(load_mapping().origin)).read_text())
    raw["tables"]["prior_therapies"]["columns"] = {"patient_id": "record_id", **change}
    with pytest.raises(MappingError, match=re.escape(message)) as caught:
        parse_mapping(raw, "my.yaml")
    assert str(caught.value).startswith("my.yaml: tables.prior_therapies.columns.")


def test_a_field_of_the_patient_form_names_the_patient_in_every_table(tmp_path):
    """A design whose pseudonym is a field of the enrolment form (the record id is REDCap's counter)."""
    source = tmp_path / "pseudonymised"
    source.mkdir()
    (source / "data_dictionary.csv").write_text(
        DICTIONARY.replace("full_name,", "pseudonym,enrolment,text,Pseudonym,,\nfull_name,", 1)
    )
    lines = RECORDS.splitlines()
    lines[0] = lines[0].replace("full_name", "pseudonym,full_name")
    lines[1:] = [
        line.replace(",Max", ",PS-1,Max").replace(",Otto", ",PS-2,Otto") if ",,," in line[:9] else
        line.replace(",,,,", ",,,,,", 1)
        for line in lines[1:]
    ]  # fmt: skip
    (source / "records.csv").write_text("\n".join(lines) + "\n")
    mapping = _doc_mapping().replace("patient_id: study_id", "patient_id: pseudonym")
    (tmp_path / "mapping.yaml").write_text(mapping)
    summary = import_redcap(
        source, tmp_path / "out", mapping=tmp_path / "mapping.yaml", exported_at="2024-09-16"
    )
    out = tmp_path / "out"
    assert [r["patient_id"] for r in read_table(out, "patients")] == ["PS-1", "PS-2"]
    assert [r["patient_id"] for r in read_table(out, "rlt_cycles")] == ["PS-1"]
    assert [r["patient_id"] for r in read_table(out, "lab_results")] == ["PS-1", "PS-1"]
    assert [r["patient_id"] for r in read_table(out, "vital_status")] == ["PS-1", "PS-2"]
    assert summary.unmapped() == [] and dict(summary.not_started) == {}
