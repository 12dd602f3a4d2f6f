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
from orchestration.faults import checkpoint
from orchestration.resources import RefreshConfig, WarehouseResource
from orchestration.settings import ClinicalSettings
from orchestration.writer import WRITER_POOL

# dbt unit tests pin their own inputs and settings; they run in the test suite through dbt itself, not nightly
EXCLUDE = "test_type:unit"
# dbt's events that finish a node: the ones that become Dagster outputs and check results
_RESULT_EVENTS = frozenset({"LogModelResult", "LogSeedResult", "LogTestResult", "LogSnapshotResult"})


class RegistryTranslator(DagsterDbtTranslator):
    """Keys as the warehouse names them: sources `raw.<table>`, models and seeds `<schema>.<name>`."""

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
        return spec.replace_attributes(key=dg.AssetKey([schema, relation]), group_name="dbt")


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
        quiet=True,
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
    def dbt_models(context: dg.AssetExecutionContext, config: RefreshConfig, warehouse: WarehouseResource):
        """`dbt build` of every model, seed and test into this run's build database.

        A failing data test fails this step, so nothing downstream (statistics, publish) runs and the
        published warehouse stays as it was.
        """
        checkpoint("dbt")
        build = warehouse.build(context.run.run_id)
        yield from _dbt_build(context, build, config.clinical_settings())

    return dbt_models


def __getattr__(name: str) -> Any:
    if name == "dbt_models":
        return _dbt_models()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
