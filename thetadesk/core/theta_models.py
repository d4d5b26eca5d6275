"""RICOH THETA model names and the image360 API's `camera_model` codes."""

from __future__ import annotations

# Only these models have an API code; the original THETA, m15, SC and A1 are sent empty.
_CAMERA_CODES = {
    "RICOH THETA S": "S",
    "RICOH THETA SC2": "SC2",
    "RICOH THETA V": "V",
    "RICOH THETA Z1": "Z1",
    "RICOH THETA X": "X",
}


def clean_model(raw: str) -> str:
    """Model as written, minus the NUL/space padding THETA firmware adds (to 16 or 63 chars)."""
    if not raw.isprintable():
        raw = "".join(char if char.isprintable() else " " for char in raw)
    return " ".join(raw.split())


def is_theta_model(model: str) -> bool:
    upper = clean_model(model).upper()
    return upper.startswith(("RICOH THETA", "RICOH360 THETA"))


def camera_code(model: str, serial: str | None) -> str:
    code = _CAMERA_CODES.get(clean_model(model).upper(), "")
    if code == "SC2" and serial is not None and _printed_serial(serial).startswith("4"):
        return "SC2B"  # the SC2 for business differs only by its serial number
    return code


def _printed_serial(serial: str) -> str:
    # The MakerNote holds 16 zero-padded digits; the serial on the camera ends with the last 8.
    return serial[-8:] if len(serial) > 8 else serial
