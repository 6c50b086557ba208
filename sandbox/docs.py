"""Offline API docs: Swagger UI from the swagger-ui-bundle package, the spec with Digest and fidelity;
and `/`, the landing that points at them."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from sandbox.auth.tenancy import TENANT_ID
from sandbox.partner.deps import API_VERSIONS
from sandbox.responses import ok

STATIC_PREFIX = "/_sandbox/static/swagger"
DASHBOARD = "/_sandbox/ui"
TAGS = [
    {"name": "Orders", "description": "Get Order, Get Order (Alternative), Get Orders, statuses."},
    {"name": "Prices", "description": "Product prices, price fixes and the price calculator."},
    {"name": "Trading", "description": "Buy and sell, B2B and B2B2C, one order per item."},
    {"name": "Customers", "description": "Customers (person and business) and their KYC."},
    {"name": "Balances", "description": "Wallet balances read from the ledger, cash top-ups, stats."},
    {
        "name": "Card payments",
        "description": "Payment types, BIN query; card buys answer through 3-D Secure.",
    },
    {"name": "Card storage", "description": "A customer's saved cards (masked; never the number or CVV)."},
    {"name": "Delivery", "description": "Physical delivery of GAU, GAG and GPT: wallets, fees, orders."},
    {"name": "Legal", "description": "The partner's legal texts in Turkish and English."},
    {"name": "Sandbox control", "description": "The sandbox's own API (never under /partner): no Digest."},
]


def install(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    @app.get("/_sandbox", include_in_schema=False)
    @app.get("/_sandbox/", include_in_schema=False)
    def landing(request: Request) -> Response:
        # The partner has no `/`: a browser opening the address the start-up log prints (or the control
        # API's root) lands on the dashboard; a script (curl, an HTTP client) gets the map of the
        # sandbox's own pages.
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(DASHBOARD, status_code=307)
        return ok(
            {
                "name": "minted-sandbox",
                "version": app.version,
                "dashboard": DASHBOARD,
                "docs": "/docs",
                "openapi": "/openapi.json",
                "health": "/_sandbox/health",
                "partner_api": "/partner/... (HTTP Digest, x-client-id header)",
            }
        )

    app.mount(STATIC_PREFIX, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} — docs",
            swagger_js_url=f"{STATIC_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PREFIX}/favicon-32x32.png",
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _control_spec(
                _partner_spec(
                    get_openapi(
                        title=app.title,
                        version=app.version,
                        description=app.description,
                        routes=app.routes,
                        tags=TAGS,
                    )
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


def _partner_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Digest security on every partner route, and `x-client-id` marked required as documented."""
    spec.setdefault("components", {})["securitySchemes"] = {
        "digest": {
            "type": "http",
            "scheme": "digest",
            "description": "RFC 7616 Digest (MD5, qop=auth); each username is one partner.",
        }
    }
    for path, operations in spec["paths"].items():
        if not path.startswith("/partner/"):
            continue
        for operation in operations.values():
            operation["security"] = [{"digest": []}]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"] == "x-client-id":
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "default": "web"}
                elif parameter["in"] == "header" and parameter["name"] == "api-version":
                    # The documented values; a strict partner's other values are 422 invalid_header, a
                    # lenient one's any version number goes through (profile rule `api_version`).
                    parameter["schema"] = {"type": "string", "enum": list(API_VERSIONS), "default": "3"}
    return spec


# Read by the tenant router (sandbox/auth/tenancy.py) before any route, so no route declares it.
TENANT_PARAMETER = {
    "name": "X-Sandbox-Tenant",
    "in": "header",
    "required": False,
    "description": "The tenant whose world this call acts on (docs/manual/tenants.md); without it, the "
    "server's own world. An unknown tenant is 404 `tenant_not_found`.",
    "schema": {"type": "string", "pattern": TENANT_ID},
}


def _control_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """`X-Sandbox-Tenant` on every control operation but those of the tenants themselves, with the 404 an
    unknown tenant gets."""
    not_found = {
        "description": "Not Found (`tenant_not_found` among others)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
    }
    for path, operations in spec["paths"].items():
        if not path.startswith("/_sandbox/") or path.startswith("/_sandbox/tenants"):
            continue
        for operation in operations.values():
            operation.setdefault("parameters", []).append(TENANT_PARAMETER)
            operation["responses"].setdefault("404", not_found)
    return spec
