"""dbt group: staging, intermediate and marts models; dbt data tests appear as asset checks.

`dbt_models` is built on first use (module `__getattr__`), not at import: it needs the parsed dbt project
(`dbt_runner.manifest_path()`), which costs a parse when the project changed since the last one.
"""

import functools
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from orchestration import dbt_runner
from orchestration.assets.retry import deterministic, require_build
from orchestration.faults import checkpoint
from orchestration.resources import RefreshRun, WarehouseResource
from orchestration.settings import ClinicalSettings
from orchestration.writer import WRITER_POOL

# dbt unit tests pin their own inputs and settings; they run in the test suite through dbt itself, not nightly
EXCLUDE = "test_type:unit"
# dbt's events that finish a node: the ones that become Dagster outputs and check results
_RESULT_EVENTS = frozenset({"LogModelResult", "LogSeedResult", "LogTestResult", "LogSnapshotResult"})


def describe_test(node: Mapping[str, Any]) -> str:
    """A dbt data test's description: its own, else what the generic test checks, with its arguments."""
    if node.get("description"):
        return str(node["description"])
    meta = node.get("test_metadata") or {}
    if not meta:
        return f"Singular data test {node['name']} (dbt_project/tests)."
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"}
    if meta.get("name") == "table_rules":
        return describe_table_rules(kwargs)
    column = kwargs.pop("column_name", None)
    args = ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    subject = f"column {column}" if column else "the model"
    return f"Data test {meta.get('name')} on {subject}" + (f" ({args})." if args else ".")


def describe_table_rules(rules: Mapping[str, Any]) -> str:
    """The rules of one `table_rules` test in words, one line per kind of rule (the Dagster check's
    description)."""

    def bound(value: Any) -> str:
        return "" if value is None else str(value)

    def key(columns: Any) -> str:
        return columns if isinstance(columns, str) else "(" + ", ".join(columns) + ")"

    lines = ["Every rule of this table, checked in one dbt test (dbt_project/tests/generic/table_rules.sql):"]
    if rules.get("not_null"):
        lines.append("- not null: " + ", ".join(rules["not_null"]))
    if rules.get("unique"):
        lines.append("- unique: " + ", ".join(key(k) for k in rules["unique"]))
    if rules.get("ranges"):
        ranges = (f"{c} in [{bound(lo)}, {bound(hi)}]" for c, (lo, hi) in rules["ranges"].items())
        lines.append("- ranges: " + "; ".join(ranges))
    for column, values in (rules.get("accepted_values") or {}).items():
        lines.append(f"- {column} one of: " + ", ".join(str(v) for v in values))
    for rel in rules.get("relationships") or []:
        parent = str(rel["to"]).removeprefix("ref(").removesuffix(")").strip("'\"")
        lines.append(f"- {rel['column']} is a {rel['field']} of {parent}")
    lines += [f"- true on every row: {expression}" for expression in rules.get("expressions") or []]
    return "\n".join(lines)


class RegistryTranslator(DagsterDbtTranslator):
    """Keys as the warehouse names them: sources `raw.<table>`, models and seeds `<schema>.<name>`; one
    group per layer (seeds, staging, intermediate, marts); descriptions from the dbt YAML."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id)
        if node is None:
            return spec
        if node["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey(["raw", node["name"]]))
        schema = node.get("config", {}).get("schema") or node.get("schema") or "main"
        relation = node.get("alias") or node["name"]
        description = node.get("description") or f"{node['resource_type']} {node['name']}"
        if node["resource_type"] == "seed":
            description = f"{description}\n\nSeed: dbt_project/seeds/{node['name']}.csv"
        return spec.replace_attributes(
            key=dg.AssetKey([schema, relation]), group_name=schema, description=description
        )

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if spec is None or node is None:
            return spec
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=describe_test(node),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
        )


def _dbt_build(
    context: dg.AssetExecutionContext, build: Path, settings: ClinicalSettings
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetMaterialization | dg.AssetObservation]:
    """`dbt build` in-process through `dbt_runner` (no subprocess, no parse), its node results turned into
    Dagster events by dagster-dbt's own translation. Raises DbtRunError (failing nodes listed) after the
    events of what did finish."""
    from dagster_dbt.asset_utils import (
        get_manifest_and_translator_from_dbt_assets,
        get_subset_selection_for_context,
    )
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
    from dbt_common.events.functions import msg_to_dict

    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    # the whole project, or the nodes of the assets and checks selected in the Launchpad
    selection, indirect = get_subset_selection_for_context(
        context, manifest, None, EXCLUDE, None, translator, None
    )
    finished: list[dict[str, Any]] = []

    def collect(event: Any) -> None:
        if event.info.name in _RESULT_EVENTS:
            finished.append(msg_to_dict(event))

    target = dbt_runner.DBT_PROJECT_DIR / "target" / f"run-{context.run.run_id}"
    result = dbt_runner.invoke(
        ["build", *selection, *(["--indirect-selection", indirect] if indirect else [])],
        build,
        settings,
        target_path=target,
        # dbt's node-by-node lines go to stdout: `rlt` sends them to its log file, Dagster to the compute log
        quiet=False,
        callbacks=[collect],
        check=False,
    )
    for raw in finished:
        event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        yield from event.to_default_asset_events(
            manifest=manifest, dagster_dbt_translator=translator, context=context, target_path=target
        )
    if not result.success:
        failing = dbt_runner.failures(result)
        detail = "\n  ".join(failing) if failing else repr(result.exception)
        # the target folder (compiled SQL, dbt.log) is kept for diagnosis
        raise dbt_runner.DbtRunError(f"dbt build failed ({target}):\n  {detail}")
    shutil.rmtree(target, ignore_errors=True)


@functools.cache
def _dbt_models() -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_runner.manifest_path(),
        dagster_dbt_translator=RegistryTranslator(),
        exclude=EXCLUDE,
        pool=WRITER_POOL,
    )
    def dbt_models(context: dg.AssetExecutionContext, refresh: RefreshRun, warehouse: WarehouseResource):
        """`dbt build` of every model, seed and test into this run's build database, with the run's
        settings as vars.

        A failing data test fails this step for good (no retry), so nothing downstream (statistics,
        publish) runs and the published warehouse stays as it was.
        """
        checkpoint("dbt")
        build = require_build(warehouse.build(context.run.run_id), "dbt build")
        with deterministic("dbt build", warehouse.published()):
            yield from _dbt_build(context, build, refresh.settings)

    return dbt_models


def __getattr__(name: str) -> Any:
    if name == "dbt_models":
        return _dbt_models()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
