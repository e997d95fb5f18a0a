"""Drives a TAXII 2.1 server with OASIS's client, taxii2-client, and prints
what it saw as JSON, so that the Rust test can check vigilo's answers and
compare them with medallion's (OASIS's reference server) fed the same bundle.

Usage: taxii_client.py DISCOVERY_URL AUTH COLLECTION_ID BUNDLE.json
  AUTH: `token:SECRET` (Authorization: Token SECRET) or `basic:USER:PASSWORD`.
Exit 3 when taxii2-client is not installed.
"""

import json
import sys

try:
    import requests
    from taxii2client.v21 import Server, as_pages
except ImportError as e:  # pragma: no cover - reported to the Rust test
    print(f"taxii2-client is not installed: {e}", file=sys.stderr)
    sys.exit(3)


class TokenAuth(requests.auth.AuthBase):
    def __init__(self, secret):
        self.secret = secret

    def __call__(self, r):
        r.headers["Authorization"] = f"Token {self.secret}"
        return r


def main():
    url, auth_arg, collection_id, bundle_path = sys.argv[1:5]
    kind, _, rest = auth_arg.partition(":")
    if kind == "token":
        kwargs = {"auth": TokenAuth(rest)}
    else:
        user, _, password = rest.partition(":")
        kwargs = {"user": user, "password": password}
    with open(bundle_path, encoding="utf-8") as f:
        bundle = json.load(f)

    out = {}
    server = Server(url, **kwargs)
    out["discovery"] = {"title": server.title, "api_roots": len(server.api_roots)}
    root = server.default or server.api_roots[0]
    out["api_root_versions"] = root.versions
    out["collections"] = sorted(c.id for c in root.collections)
    collection = next(c for c in root.collections if c.id == collection_id)
    out["can_read"] = collection.can_read
    out["can_write"] = collection.can_write

    status = collection.add_objects(bundle)
    out["status"] = {
        "status": status.status,
        "total_count": status.total_count,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
    }
    again = root.get_status(status.id) if hasattr(root, "get_status") else None
    out["status_again"] = again is not None

    seen = []
    pages = 0
    for envelope in as_pages(collection.get_objects, per_request=2):
        pages += 1
        seen.extend(o["id"] for o in envelope.get("objects", []))
    out["objects"] = sorted(seen)
    out["pages"] = pages

    manifest = collection.get_manifest()
    out["manifest"] = sorted(
        (m["id"], m["version"], m["media_type"]) for m in manifest.get("objects", [])
    )
    indicators = collection.get_objects(type="indicator")
    out["indicators"] = sorted(o["id"] for o in indicators.get("objects", []))
    first = bundle["objects"][0]
    one = collection.get_object(first["id"])
    out["object"] = [o["id"] for o in one.get("objects", [])]
    versions = collection.object_versions(first["id"])
    out["versions"] = versions.get("versions", [])
    everything = collection.get_objects(version="all")
    out["all_versions"] = len(everything.get("objects", []))
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
