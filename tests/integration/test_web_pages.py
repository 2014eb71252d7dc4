"""The browser clients are served by the app itself: every file, strict headers, no CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dispatchd.api.routes.web import WEB_ROOT, content_security_policy

PAGES = ["/app/", "/console/"]
IMPORT = re.compile(r"""(?:import|from)\s*(?:[\w{}\s,*]*\s*from\s*)?["']([^"']+)["']""")
ASSET = re.compile(r"""(?:src|href)="(/[^"#]+)\"""")


def _references(client: TestClient, path: str, seen: set[str]) -> None:
    if path in seen:
        return
    seen.add(path)
    response = client.get(path)
    assert response.status_code == 200, path
    if path.endswith((".js", "/")) or path.endswith(".html"):
        text = response.text
        found = ASSET.findall(text) if "html" in response.headers["content-type"] else []
        found += [p for p in IMPORT.findall(text) if p.startswith("/") or p.startswith(".")]
        for ref in found:
            absolute = ref if ref.startswith("/") else path.rsplit("/", 1)[0] + "/" + ref[2:]
            _references(client, absolute, seen)


@pytest.mark.parametrize("page", PAGES)
def test_every_file_a_page_references_is_served(client: TestClient, page: str) -> None:
    seen: set[str] = set()
    _references(client, page, seen)
    assert len(seen) > 8


@pytest.mark.parametrize("page", PAGES)
def test_pages_go_out_with_a_strict_content_security_policy(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_no_file_of_the_clients_reaches_for_the_internet() -> None:
    for path in WEB_ROOT.rglob("*"):
        if path.suffix in (".js", ".html", ".css", ".webmanifest"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"""(?:src|href|import[^;]*from)\s*=?\s*["']https?://""", text), (
                path
            )
            assert "cdn" not in text.lower(), path


def test_the_installer_app_is_installable(client: TestClient) -> None:
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/app/"
    assert body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/app/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "showNotification" in worker.text


def test_bare_paths_lead_to_the_clients(client: TestClient) -> None:
    for path, target in (("/", "/console/"), ("/app", "/app/"), ("/console", "/console/")):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == target


def test_a_missing_file_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/app/no-such-file.js")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_client_config_names_no_tile_server_unless_one_is_set(client: TestClient) -> None:
    config = client.get("/web/config.json").json()
    assert config["map_tile_url"] is None
    assert config["currency"] == "CNY"


def test_the_web_files_are_package_data() -> None:
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"web/**/*"' in pyproject
    assert (WEB_ROOT / "installer" / "index.html").is_file()


def test_a_configured_tile_server_is_the_only_other_origin_the_pages_may_load_images_from() -> None:
    csp = content_security_policy("https://tiles.example.cn/{z}/{x}/{y}.png")
    images = next(part for part in csp.split("; ") if part.startswith("img-src"))
    assert images == "img-src 'self' data: blob: https://tiles.example.cn"
    assert "tiles.example.cn" not in csp.replace(images, "")
    assert "https:" not in content_security_policy(None)


def test_the_installer_apps_offline_shell_holds_every_module_the_app_imports(
    client: TestClient,
) -> None:
    folders = {
        "/app/": (WEB_ROOT / "installer").resolve(),
        "/web/": (WEB_ROOT / "shared").resolve(),
    }

    def file_of(url: str) -> Path:
        prefix = next(p for p in folders if url.startswith(p))
        return folders[prefix] / url.removeprefix(prefix)

    def url_of(path: Path) -> str:
        resolved = path.resolve()
        prefix = next(p for p, folder in folders.items() if resolved.parent == folder)
        return prefix + resolved.name

    wanted: set[str] = set()
    pending = ["/app/main.js"]
    while pending:
        url = pending.pop()
        if url in wanted:
            continue
        wanted.add(url)
        for target in IMPORT.findall(file_of(url).read_text()):
            if target.endswith(".js"):
                is_absolute = target.startswith("/")
                pending.append(target if is_absolute else url_of(file_of(url).parent / target))
    shell = set(re.findall(r'"(/(?:app|web)/[^"]*\.js)"', client.get("/app/sw.js").text))
    assert len(wanted) > 10
    assert wanted - shell == set()
