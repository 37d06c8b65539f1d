#!/usr/bin/env python3
"""A reception centre's case system, integrated through a client generated from the OpenAPI document.

What a centre does when a child arrives, is described, photographed and later goes missing:

1. search the registry for the child (a child already known elsewhere must not get a second record),
2. register the child,
3. consult the record,
4. change it with a JSON merge patch based on the version read (`If-Match`),
5. upload a photo, whose answer carries the record's new version,
6. change it again with that version, and see what a stale version gets (412 with the current ETag),
7. report the child missing.

The client is generated with openapi-python-client (docs/integrating.md):

    openapi-python-client generate --path openapi/openapi.json --meta none \
        --config openapi/python-client.yaml --output-path client/uam_registry_client

and this script runs with `client` on PYTHONPATH, against the service at UAM_URL, with a token of a
reception centre's member in UAM_TOKEN (`uam-registry token --sub rita --agency demo-reception
--role reception_staff` on the demo). It prints what each step answered and exits 1 at the first
answer that is not the one expected. The test suite runs it against a live service.
"""

import json
import os
import struct
import sys
import zlib
from http import HTTPStatus

from uam_registry_client import AuthenticatedClient
from uam_registry_client.api.alerts import disappearances_report
from uam_registry_client.api.minors import (
    minors_add_photo,
    minors_get,
    minors_patch,
    minors_register,
    minors_search,
)
from uam_registry_client.models import MinorData, ReportBody, SearchBody
from uam_registry_client.types import File


def expect(step, response, status):
    """The answer of `step` if it has `status`; otherwise the problem it got, and exit 1."""
    if response.status_code != status:
        sys.exit(f"{step}: expected {status.value}, got {response.status_code.value}: "
                 f"{response.content.decode(errors='replace')}")
    print(f"{step}: {status.value} {status.phrase}")
    return response


def photo():
    """A small PNG (a real case system sends the camera's JPEG)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x70\x60" * 64 for _ in range(64))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def main():
    client = AuthenticatedClient(base_url=os.environ["UAM_URL"], token=os.environ["UAM_TOKEN"])
    centre = os.environ.get("UAM_AGENCY", "demo-reception")
    identity = {
        "family_name": "Noori", "given_names": "Zahra",
        "names_original_script": [{"family_name": "نوری", "given_names": "زهرا", "script": "Arab"}],
        "sex": "female", "date_of_birth": "2011-02-01", "date_of_birth_certainty": "estimated",
        "nationalities": ["AF"], "languages": ["fa"],
    }

    # 1. Is she known already? Searched for identification: the centre then sees identities only.
    found = expect("search", minors_search.sync_detailed(
        client=client, x_purpose="identification",
        body=SearchBody.from_dict({"names": ["Zahra Noori"], "sex": "female", "date_of_birth": "2011-02-01"}),
    ), HTTPStatus.OK).parsed
    strong = [hit for hit in found.items if hit.score >= 0.85]
    print(f"  {len(found.items)} candidates, {len(strong)} strong")
    if strong:
        sys.exit("  a strong candidate: the guardianship service decides before a second record is made")

    # 2. Register her, placed with the centre, for her care.
    registered = expect("register", minors_register.sync_detailed(
        client=client, x_purpose="care",
        body=MinorData.from_dict({
            "identity": identity,
            "physical": {"height_cm": 148, "eye_colour": "brown", "hair_colour": "black",
                         "distinguishing_marks": ["small scar on the chin"]},
            "placement": {"current_agency": centre, "since": "2026-12-01"},
            "risk": {"level": "medium", "factors": ["travelled with an unrelated adult"]},
        }),
    ), HTTPStatus.CREATED)
    child = registered.parsed.id
    print(f"  {registered.parsed.registry_number} ({child}), ETag {registered.headers['ETag']}")

    # 3. Read her record; the ETag names the version any change must be based on.
    read = expect("consult", minors_get.sync_detailed(child, client=client, x_purpose="care"), HTTPStatus.OK)
    print(f"  version {read.parsed.version}, withheld {read.parsed.field_meta.withheld}")

    # 4. Change it: a merge patch carries only what changes.
    changed = expect("patch", minors_patch.sync_detailed(
        child, client=client, x_purpose="care", if_match=read.headers["ETag"],
        body=MinorData.from_dict({"health": {"medical_needs": "needs glasses"}}),
    ), HTTPStatus.OK)
    print(f"  version {changed.parsed.version}, ETag {changed.headers['ETag']}")

    # 5. A photo: the record moves to a new version, named in the answer.
    uploaded = expect("photo", minors_add_photo.sync_detailed(
        child, client=client, x_purpose="care",
        body=File(payload=photo(), file_name="zahra.png", mime_type="image/png"),
    ), HTTPStatus.CREATED)
    print(f"  photo {uploaded.parsed.id}, record ETag {uploaded.headers['ETag']}")

    # 6. The next change is based on the photo's version; the version before it is refused.
    stale = expect("patch on a stale version", minors_patch.sync_detailed(
        child, client=client, x_purpose="care", if_match=changed.headers["ETag"],
        body=MinorData.from_dict({"physical": {"height_cm": 149}}),
    ), HTTPStatus.PRECONDITION_FAILED)
    print(f"  current ETag {stale.headers['ETag']}")
    expect("patch on the current version", minors_patch.sync_detailed(
        child, client=client, x_purpose="care", if_match=stale.headers["ETag"],
        body=MinorData.from_dict({"physical": {"height_cm": 149}}),
    ), HTTPStatus.OK)

    # 7. She did not come back: report her missing, for the disappearance.
    alert = expect("report", disappearances_report.sync_detailed(
        child, client=client, x_purpose="disappearance",
        body=ReportBody.from_dict({
            "last_seen_at": "2026-12-06T21:40:00+01:00",
            "last_seen_place": "the centre's entrance",
            "circumstances": "left after dinner with her bag; did not answer her phone",
        }),
    ), HTTPStatus.CREATED).parsed
    print(f"  alert {alert.id}, risk {alert.risk}, notified {', '.join(alert.notified)}")
    json.dump({"child": child, "alert": alert.id, "photo": uploaded.parsed.id}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
