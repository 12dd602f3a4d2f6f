"""dbt group: staging, intermediate and marts models; dbt data tests appear as asset checks."""

import json
import shutil
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.dbt_project import dbt_database, ensure_manifest, rlt_dbt_project
from orchestration.faults import checkpoint
from orchestration.resources import RefreshConfig, WarehouseResource
from orchestration.writer import WRITER_POOL


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
    config: RefreshConfig,
    warehouse: WarehouseResource,
):
    """`dbt build` of every model, seed and test into this run's build database.

    A failing data test fails this step, so nothing downstream (statistics, publish) runs and the
    published warehouse stays as it was.
    """
    checkpoint("dbt")
    build = warehouse.build(context.run.run_id)
    dbt_vars = json.dumps(config.clinical_settings().as_dbt_vars())
    with dbt_database(build):
        invocation = dbt.cli(["build", "--vars", dbt_vars], context=context)
        yield from invocation.stream()
    # a failed run's target folder (compiled SQL, dbt.log) is kept for diagnosis; a good one is not needed
    shutil.rmtree(invocation.target_path, ignore_errors=True)
