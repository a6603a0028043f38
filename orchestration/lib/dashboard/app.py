"""The marketers' dashboard: a small server-rendered Starlette app on the serving copy.

``python -m orchestration.lib.dashboard`` (what ``make dashboard`` runs) serves it on
``LAKEHOUSE_DASHBOARD_HOST``:``LAKEHOUSE_DASHBOARD_PORT`` (default 127.0.0.1:8050). Pages:
``/`` (every panel), ``/panel/<key>`` (one panel), ``/healthz`` (JSON: which publish is shown).
No JavaScript, no CDN: tables with HTML bars, rendered by Jinja2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from orchestration.lib.dashboard import formatting
from orchestration.lib.dashboard.panels import PANELS, PANELS_BY_KEY
from orchestration.lib.dashboard.reader import (
    DashboardSnapshot,
    default_serving_path,
    read_dashboard,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class DashboardSettings:
    host: str
    port: int
    serving_path: Path


def dashboard_settings() -> DashboardSettings:
    """Read at call time (tests override with monkeypatch.setenv)."""
    return DashboardSettings(
        host=os.environ.get("LAKEHOUSE_DASHBOARD_HOST", "127.0.0.1"),
        port=int(os.environ.get("LAKEHOUSE_DASHBOARD_PORT", "8050")),
        serving_path=default_serving_path(),
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["display"] = formatting.display
    env.filters["raw"] = formatting.raw
    env.globals["bar_width"] = formatting.bar_width
    env.globals["largest"] = _largest
    return env


def _largest(rows: list[dict], column: str) -> float:
    values = [float(r[column]) for r in rows if r.get(column) is not None]
    return max(values, default=0.0)


_ENV = _environment()


def render_page(snapshot: DashboardSnapshot, title: str) -> str:
    """The HTML of one page (every panel of ``snapshot``)."""
    return _ENV.get_template("index.html").render(snapshot=snapshot, all_panels=PANELS, title=title)


def create_app(serving_path: Path | str | None = None) -> Starlette:
    """The app; ``serving_path`` defaults to the settings' ``serving/marts.duckdb``."""
    path = Path(serving_path) if serving_path else default_serving_path()

    def render(panel_keys: list[str], title: str) -> Response:
        snapshot = read_dashboard(path, [PANELS_BY_KEY[k] for k in panel_keys])
        return HTMLResponse(
            render_page(snapshot, title),
            status_code=200 if snapshot.published else 503,
            headers={"Cache-Control": "no-store"},
        )

    def index(request: Request) -> Response:
        return render([p.key for p in PANELS], "Marketing dashboard 营销看板")

    def panel(request: Request) -> Response:
        key = request.path_params["key"]
        if key not in PANELS_BY_KEY:
            raise HTTPException(404, f"no panel {key!r}")
        p = PANELS_BY_KEY[key]
        return render([key], f"{p.title_en} {p.title_zh}")

    def healthz(request: Request) -> Response:
        snapshot = read_dashboard(path, ())
        return JSONResponse(
            {
                "serving_path": str(snapshot.serving_path),
                "published": snapshot.published,
                "publish_id": snapshot.publish_id,
                "published_at": snapshot.published_at,
            },
            status_code=200 if snapshot.published else 503,
        )

    return Starlette(
        routes=[
            Route("/", index),
            Route("/panel/{key}", panel),
            Route("/healthz", healthz),
        ]
    )


def main() -> None:
    import uvicorn

    settings = dashboard_settings()
    url = f"http://{settings.host}:{settings.port}/"
    print(f"dashboard on {url}  (serving copy {settings.serving_path})", flush=True)
    app = create_app(settings.serving_path)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
