"""dbt group: staging, intermediate and marts models; dbt data tests appear as asset checks."""

import json
import shutil
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.assets.failures import final, require_build
from orchestration.dbt_project import dbt_database, ensure_manifest, rlt_dbt_project
from orchestration.faults import checkpoint
from orchestration.resources import RefreshRun, WarehouseResource
from orchestration.writer import WRITER_POOL


def _node(manifest: Mapping[str, Any], unique_id: str) -> Mapping[str, Any] | None:
    return manifest["sources"].get(unique_id) or manifest["nodes"].get(unique_id)


def describe_test(node: Mapping[str, Any]) -> str:
    """A dbt data test's description: its own, else what the generic test checks, with its arguments."""
    if node.get("description"):
        return str(node["description"])
    meta = node.get("test_metadata") or {}
    if not meta:
        return f"Singular data test {node['name']} (dbt_project/tests)."
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"}
    column = kwargs.pop("column_name", None)
    args = ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
    subject = f"column {column}" if column else "the model"
    return f"Data test {meta.get('name')} on {subject}" + (f" ({args})." if args else ".")


class RegistryTranslator(DagsterDbtTranslator):
    """Keys as the warehouse names them: sources `raw.<table>`, models and seeds `<schema>.<name>`; one
    group per layer (staging, intermediate, marts, seeds); descriptions from the dbt YAML."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = _node(manifest, unique_id)
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


@dbt_assets(
    manifest=ensure_manifest(),
    project=rlt_dbt_project,
    dagster_dbt_translator=RegistryTranslator(),
    # dbt unit tests pin their own inputs and settings; they run in CI through dbt itself, not nightly
    exclude="test_type:unit",
    pool=WRITER_POOL,
)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    refresh: RefreshRun,
    warehouse: WarehouseResource,
):
    """`dbt build` of every model, seed and test into this run's build database, with the run's settings
    as vars.

    A failing data test fails this step for good (no retry), so nothing downstream (statistics,
    publish) runs and the published warehouse stays as it was.
    """
    checkpoint("dbt")
    build = require_build(warehouse.build(context.run.run_id), "dbt build")
    dbt_vars = json.dumps(refresh.settings.as_dbt_vars())
    with dbt_database(build):
        invocation = dbt.cli(["build", "--vars", dbt_vars], context=context, raise_on_error=False)
        yield from invocation.stream()
    if not invocation.is_successful():
        raise final(f"dbt build failed: {dbt_failures(invocation)}")
    # a failed run's target folder (compiled SQL, dbt.log) is kept for diagnosis; a good one is not needed
    shutil.rmtree(invocation.target_path, ignore_errors=True)


def dbt_failures(invocation: Any) -> str:
    """The failing nodes of a dbt invocation, each with its message (run_results.json)."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (OSError, KeyError, ValueError):
        return "see the dbt log"
    failing = [
        f"{r['unique_id'].split('.', 2)[-1]} ({r['status']}: {(r.get('message') or '').strip()[:200]})"
        for r in results
        if r.get("status") in ("error", "fail")
    ]
    return "; ".join(failing) or "see the dbt log"
