"""The Dagster check description of a `table_rules` dbt test: its rules in words (a pure function)."""

from orchestration.assets.transform import describe_test


def test_table_rules_described_one_line_per_rule():
    node = {
        "name": "table_rules_fct_x",
        "description": "",
        "test_metadata": {
            "name": "table_rules",
            "kwargs": {
                "model": "{{ get_where_subquery(ref('fct_x')) }}",
                "not_null": ["patient_id", "time_days"],
                "unique": ["lab_result_id", ["patient_id", "endpoint"]],
                "ranges": {"time_days": [0, None], "grade": [0, 5]},
                "accepted_values": {"endpoint": ["pfs", "os"]},
                "relationships": [
                    {"column": "patient_id", "to": "ref('dim_patient')", "field": "patient_id"}
                ],
                "expressions": ["event = (event_type <> 'censored')"],
            },
        },
    }
    assert describe_test(node).splitlines() == [
        "Every rule of this table, checked in one dbt test (dbt_project/tests/generic/table_rules.sql):",
        "- not null: patient_id, time_days",
        "- unique: lab_result_id, (patient_id, endpoint)",
        "- ranges: time_days in [0, ]; grade in [0, 5]",
        "- endpoint one of: pfs, os",
        "- patient_id is a patient_id of dim_patient",
        "- true on every row: event = (event_type <> 'censored')",
    ]


def test_other_tests_keep_their_own_description():
    assert describe_test({"name": "t", "description": "Own words."}) == "Own words."
    assert describe_test({"name": "selected_definitions_exist", "description": ""}).startswith("Singular")
