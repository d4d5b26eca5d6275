"""Synthetic THETA-like JPEGs for tests, benchmarks and GUI/e2e runs (a few KB each, fast).

`make_theta_jpeg` writes a Pillow-encoded JPEG and inserts hand-built metadata the way a THETA
does: APP1 Exif (big-endian TIFF: IFD0 Make/Model/Software/Orientation, Exif IFD with
DateTimeOriginal, PixelX/YDimension and a Ricoh MakerNote whose tag 0x4001 points, from the
TIFF start, at the THETA sub-IFD; a GPS IFD; IFD1 with an embedded JPEG thumbnail), then APP1
XMP with GPano. Deterministic: the same arguments give the same bytes; `seed` varies pixels.

The EXIF is built here independently of thetadesk's reader, so tests do not grade the reader
with its own code.
"""

from __future__ import annotations

import io
import random
import struct
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw

GPANO_NS = "http://ns.google.com/photos/1.0/panorama/"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
EXTENDED_GUID = "0123456789ABCDEF0123456789ABCDEF"

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7

GPanoForm = Literal["elements", "attributes", "split"] | bool

_Value = bytes | Callable[[int], bytes]  # a callable gets its own absolute offset
_EntryT = tuple[int, int, int, _Value]


# -- pixels -------------------------------------------------------------------------------


def _pixels(width: int, height: int, seed: int) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(256), 90, 160))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(1, width + 1), y0 + rng.randrange(1, height + 1)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x0, y0, x1, y1), fill=colour)
    return image


def _encode(image: Image.Image, *, progressive: bool = False, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, progressive=progressive)
    return out.getvalue()


def pixels_jpeg(width: int = 64, height: int = 32, seed: int = 0) -> bytes:
    """Pillow-encoded pixels only, no metadata segments added."""
    return _encode(_pixels(width, height, seed))


def thumbnail_bytes(width: int = 32, height: int = 16, seed: int = 0) -> bytes:
    return _encode(_pixels(width, height, seed + 1000), quality=70)


# -- TIFF/EXIF, big-endian -------------------------------------------------------------------


def _ascii(text: str) -> tuple[int, int, bytes]:
    raw = text.encode("latin-1") + b"\x00"
    return ASCII, len(raw), raw


def _short(value: int) -> tuple[int, int, bytes]:
    return SHORT, 1, struct.pack(">H", value)


def _long(value: int) -> tuple[int, int, bytes]:
    return LONG, 1, struct.pack(">I", value)


def _rationals(*pairs: tuple[int, int]) -> tuple[int, int, bytes]:
    return RATIONAL, len(pairs), b"".join(struct.pack(">II", n, d) for n, d in pairs)


def _entry(tag: int, typed: tuple[int, int, bytes]) -> _EntryT:
    return (tag, *typed)


def _ifd(entries: list[_EntryT], at: int, next_ifd: int = 0) -> bytes:
    """Serialise one IFD placed at absolute offset `at`, its long values right after it."""
    entries = sorted(entries, key=lambda e: e[0])
    data_at = at + 2 + 12 * len(entries) + 4
    table, tail = bytearray(struct.pack(">H", len(entries))), bytearray()
    for tag, typ, count, value in entries:
        payload = value(data_at + len(tail)) if callable(value) else value
        if len(payload) <= 4:
            table += struct.pack(">HHI", tag, typ, count) + payload.ljust(4, b"\x00")
        else:
            table += struct.pack(">HHII", tag, typ, count, data_at + len(tail))
            tail += payload + (b"\x00" if len(payload) % 2 else b"")
    table += struct.pack(">I", next_ifd)
    return bytes(table + tail)


def _size(entries: list[_EntryT]) -> int:
    return len(_ifd(entries, 0))


def _ricoh_maker_note(
    image_type: int | None, serial: str, theta_offset: int | None
) -> Callable[[int], bytes]:
    """The Ricoh MakerNote: header, main IFD, THETA sub-IFD (offsets from the TIFF start)."""

    def build(at: int) -> bytes:
        ifd_at = at + 8
        theta_entries = [] if image_type is None else [_entry(0x0001, _short(image_type))]
        theta_entries.append(_entry(0x0007, _short(1)))  # zenith correction applied

        def main_entries(theta_at: int) -> list[_EntryT]:
            raw_serial = serial.encode("ascii").rjust(16, b"0")[:16]
            return [
                _entry(0x0001, (ASCII, 4, b"Rdc\x00")),
                _entry(0x0005, (UNDEFINED, 16, raw_serial)),
                _entry(0x4001, _long(theta_at if theta_offset is None else theta_offset)),
            ]

        theta_at = ifd_at + _size(main_entries(0))
        return (
            b"Ricoh\x00\x00\x00"
            + _ifd(main_entries(theta_at), ifd_at)
            + _ifd(theta_entries, theta_at)
        )

    return build


def build_exif(
    *,
    make: str = "RICOH",
    model: str = "RICOH THETA V",
    software: str = "RICOH THETA V Ver 3.30.1",
    orientation: int | None = 1,
    datetime: str | None = "2024:05:06 07:08:09",
    pixel_size: tuple[int, int] | None = (64, 32),
    maker_note: bool = True,
    image_type: int | None = 1,
    serial: str = "00101234",
    theta_offset: int | None = None,
    gps: bool = True,
    thumbnail: bytes | None = None,
) -> bytes:
    """A complete APP1 Exif payload ("Exif\\0\\0" + big-endian TIFF)."""
    ifd0: list[_EntryT] = []
    if make:
        ifd0.append(_entry(0x010F, _ascii(make)))
    if model:
        ifd0.append(_entry(0x0110, _ascii(model)))
    if software:
        ifd0.append(_entry(0x0131, _ascii(software)))
    if orientation is not None:
        ifd0.append(_entry(0x0112, _short(orientation)))

    exif: list[_EntryT] = [_entry(0x9000, (UNDEFINED, 4, b"0230"))]
    if datetime is not None:
        exif.append(_entry(0x9003, _ascii(datetime)))
    if pixel_size is not None:
        exif.append(_entry(0xA002, _long(pixel_size[0])))
        exif.append(_entry(0xA003, _long(pixel_size[1])))
    if maker_note:
        note = _ricoh_maker_note(image_type, serial, theta_offset)
        exif.append((0x927C, UNDEFINED, len(note(0)), note))

    gps_entries: list[_EntryT] = []
    if gps:
        gps_entries = [
            _entry(0x0000, (BYTE, 4, bytes([2, 3, 0, 0]))),
            _entry(0x0001, (ASCII, 2, b"N\x00")),
            _entry(0x0002, _rationals((35, 1), (39, 1), (3100, 100))),
            _entry(0x0003, (ASCII, 2, b"E\x00")),
            _entry(0x0004, _rationals((139, 1), (44, 1), (2800, 100))),
        ]

    def ifd1(thumb_at: int) -> list[_EntryT]:
        assert thumbnail is not None
        return [
            _entry(0x0103, _short(6)),
            _entry(0x0201, _long(thumb_at)),
            _entry(0x0202, _long(len(thumbnail))),
        ]

    # Lay out: header | IFD0 | Exif IFD | GPS IFD | IFD1 | thumbnail. Sizes do not depend on
    # pointer values, so place with dummies first, then build with the real offsets.
    pointers = [_entry(0x8769, _long(0))] + ([_entry(0x8825, _long(0))] if gps else [])
    ifd0_at = 8
    exif_at = ifd0_at + _size(ifd0 + pointers)
    gps_at = exif_at + _size(exif)
    ifd1_at = gps_at + (_size(gps_entries) if gps else 0)
    thumb_at = ifd1_at + (_size(ifd1(0)) if thumbnail is not None else 0)
    pointers = [_entry(0x8769, _long(exif_at))] + ([_entry(0x8825, _long(gps_at))] if gps else [])
    tiff = b"MM\x00*" + struct.pack(">I", ifd0_at)
    tiff += _ifd(ifd0 + pointers, ifd0_at, next_ifd=ifd1_at if thumbnail is not None else 0)
    tiff += _ifd(exif, exif_at)
    if gps:
        tiff += _ifd(gps_entries, gps_at)
    if thumbnail is not None:
        tiff += _ifd(ifd1(thumb_at), ifd1_at) + thumbnail
    return b"Exif\x00\x00" + tiff


# -- XMP ----------------------------------------------------------------------------------------


def gpano_properties(width: int, height: int, projection: str = "equirectangular") -> dict:
    return {
        "ProjectionType": projection,
        "UsePanoramaViewer": "True",
        "CroppedAreaImageWidthPixels": str(width),
        "CroppedAreaImageHeightPixels": str(height),
        "FullPanoWidthPixels": str(width),
        "FullPanoHeightPixels": str(height),
        "CroppedAreaLeftPixels": "0",
        "CroppedAreaTopPixels": "0",
        "PosePitchDegrees": "0.0",
        "PoseRollDegrees": "0.0",
    }


def build_xmp_packet(
    properties: Mapping[str, str],
    *,
    form: GPanoForm = "elements",
    prefix: str = "GPano",
    extra: str = "",
    description_attrs: str = "",
) -> bytes:
    """An XMP packet (with xpacket wrapper) holding `properties` in the GPano namespace."""
    ns = f'xmlns:{prefix}="{GPANO_NS}"'
    if form == "attributes":
        attrs = " ".join(f'{prefix}:{k}="{v}"' for k, v in properties.items())
        blocks = [f'<rdf:Description rdf:about="" {ns} {attrs} {description_attrs}/>']
    elif form == "split":
        items = list(properties.items())
        halves = [items[: len(items) // 2], items[len(items) // 2 :]]
        blocks = [
            f'<rdf:Description rdf:about="" {ns} {description_attrs}>'
            + "".join(f"<{prefix}:{k}>{v}</{prefix}:{k}>" for k, v in half)
            + "</rdf:Description>"
            for half in halves
        ]
    else:
        body = "".join(f"\n    <{prefix}:{k}>{v}</{prefix}:{k}>" for k, v in properties.items())
        blocks = [
            f'<rdf:Description rdf:about="" {ns} {description_attrs}>{body}\n  </rdf:Description>'
        ]
    if not properties:
        blocks = []
    inner = "\n  ".join(blocks)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="thetadesk tests">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f"  {inner}\n  {extra}\n"
        " </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def _extended_segments(packet: bytes, guid: str = EXTENDED_GUID, chunk: int = 400) -> list[bytes]:
    parts = []
    for offset in range(0, len(packet), chunk):
        header = guid.encode("ascii") + struct.pack(">II", len(packet), offset)
        parts.append(XMP_EXTENSION_HEADER + header + packet[offset : offset + chunk])
    return parts


# -- JPEG assembly --------------------------------------------------------------------------


def app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def insert_segments(jpeg: bytes, segments: list[bytes]) -> bytes:
    """Put segments right after SOI, dropping Pillow's JFIF APP0 (a THETA writes none)."""
    assert jpeg[:2] == b"\xff\xd8"
    rest = jpeg[2:]
    if rest[:2] == b"\xff\xe0":
        (length,) = struct.unpack(">H", rest[2:4])
        rest = rest[2 + length :]
    return b"\xff\xd8" + b"".join(segments) + rest


def set_frame_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Rewrite the SOF header's size: a file that claims any size without holding the pixels."""
    at = 2
    while at < len(jpeg):
        marker = jpeg[at + 1]
        (length,) = struct.unpack(">H", jpeg[at + 2 : at + 4])
        if marker in (0xC0, 0xC1, 0xC2):
            return jpeg[: at + 5] + struct.pack(">HH", height, width) + jpeg[at + 9 :]
        at += 2 + length
    raise ValueError("no SOF segment")


def make_theta_jpeg(
    path: str | Path,
    *,
    model: str = "RICOH THETA V",
    width: int = 64,
    height: int = 32,
    gpano: GPanoForm = True,
    gpano_size: tuple[int, int] | None = None,
    projection: str = "equirectangular",
    gpano_props: Mapping[str, str] | None = None,
    gpano_prefix: str = "GPano",
    extended_xmp: bool = False,
    image_type: int | None = 1,
    serial: str | None = None,
    theta_offset: int | None = None,
    gps: bool = True,
    datetime: str | None = "2024:05:06 07:08:09",
    orientation: int | None = 1,
    exif_size: tuple[int, int] | None = None,
    thumbnail: bool | tuple[int, int] = True,
    make: str = "RICOH",
    software: str | None = None,
    exif: bool = True,
    xmp_extra: str = "",
    xmp_packet: bytes | None = None,
    xmp_first: bool = False,
    progressive: bool = False,
    seed: int = 0,
) -> Path:
    """Write a THETA-like JPEG and return its path.

    gpano: True/"elements" (THETA style), "attributes" (Exiv2/GIMP style), "split" (two
    rdf:Description blocks) or False (no GPano; no XMP at all unless xmp_extra/xmp_packet).
    gpano_size overrides the size GPano declares; exif_size the EXIF PixelX/YDimension.
    image_type None writes no THETA sub-IFD (and no MakerNote unless a serial is given).
    theta_offset overrides MakerNote tag 0x4001. xmp_packet replaces the XMP verbatim.
    extended_xmp moves the GPano properties into Extended XMP segments. thumbnail: a
    (width, height) for an embedded thumbnail of that size (a THETA's is 320×160).
    """
    path = Path(path)
    if isinstance(thumbnail, tuple):
        thumb: bytes | None = thumbnail_bytes(*thumbnail, seed=seed)
    else:
        thumb = thumbnail_bytes(seed=seed) if thumbnail else None
    segments: list[bytes] = []
    if exif:
        payload = build_exif(
            make=make,
            model=model,
            software=software if software is not None else f"{model.strip()} Ver 1.00",
            orientation=orientation,
            datetime=datetime,
            pixel_size=exif_size or (width, height),
            maker_note=image_type is not None or serial is not None,
            image_type=image_type,
            serial=serial or "00101234",
            theta_offset=theta_offset,
            gps=gps,
            thumbnail=thumb,
        )
        segments.append(app1(payload))
    xmp_segments = _xmp_segments(
        gpano,
        gpano_size or (width, height),
        projection,
        gpano_props,
        gpano_prefix,
        extended_xmp,
        xmp_extra,
        xmp_packet,
    )
    segments = xmp_segments + segments if xmp_first else segments + xmp_segments
    pixels = _encode(_pixels(width, height, seed), progressive=progressive)
    path.write_bytes(insert_segments(pixels, segments))
    return path


def _xmp_segments(
    gpano: GPanoForm,
    size: tuple[int, int],
    projection: str,
    gpano_props: Mapping[str, str] | None,
    prefix: str,
    extended: bool,
    extra: str,
    packet: bytes | None,
) -> list[bytes]:
    if packet is not None:
        return [app1(XMP_HEADER + packet)]
    properties = gpano_properties(*size, projection=projection) if gpano else {}
    properties.update(gpano_props or {})
    form: GPanoForm = "elements" if gpano is True else gpano
    if not properties and not extra:
        return []
    if not extended:
        return [
            app1(XMP_HEADER + build_xmp_packet(properties, form=form, prefix=prefix, extra=extra))
        ]
    note = 'xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
    main = build_xmp_packet(
        {}, extra=f'<rdf:Description rdf:about="" {note}xmpNote:HasExtendedXMP="{EXTENDED_GUID}"/>'
    )
    extension = build_xmp_packet(properties, form=form, prefix=prefix, extra=extra)
    return [app1(XMP_HEADER + main)] + [app1(s) for s in _extended_segments(extension)]


def make_dualfisheye(path: str | Path, *, image_type: int = 2, **kwargs: object) -> Path:
    """A THETA still shot with stitching off: 2:1, MakerNote image type 2, no GPano."""
    return make_theta_jpeg(path, image_type=image_type, gpano=False, **kwargs)  # type: ignore[arg-type]


def make_flat_photo(path: str | Path, **kwargs: object) -> Path:
    """An ordinary 4:3 photo from a non-THETA RICOH camera (like the Caplio sample)."""
    options: dict[str, object] = {
        "model": "Caplio RR1",
        "width": 64,
        "height": 48,
        "gpano": False,
        "image_type": None,
        "gps": False,
    }
    options.update(kwargs)
    return make_theta_jpeg(path, **options)  # type: ignore[arg-type]


def make_photo_sphere(path: str | Path, **kwargs: object) -> Path:
    """A genuine photo sphere from another camera: GPano equirectangular, 2:1, no MakerNote."""
    options: dict[str, object] = {
        "make": "GoPro",
        "model": "GoPro Max",
        "image_type": None,
        "gpano": "attributes",
        "xmp_first": True,
    }
    options.update(kwargs)
    return make_theta_jpeg(path, **options)  # type: ignore[arg-type]


def make_plain_jpeg(path: str | Path, width: int = 64, height: int = 32, seed: int = 0) -> Path:
    """A JPEG with no metadata at all (like a picture exported from a web page)."""
    return make_theta_jpeg(path, width=width, height=height, exif=False, gpano=False, seed=seed)


def make_png(path: str | Path, width: int = 64, height: int = 32) -> Path:
    path = Path(path)
    out = io.BytesIO()
    _pixels(width, height, 0).save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def make_oversized_header(path: str | Path, width: int = 30000, height: int = 15000) -> Path:
    """A small THETA-like file whose frame header claims a huge size (no such pixels)."""
    path = make_theta_jpeg(path, thumbnail=False)
    path.write_bytes(set_frame_size(path.read_bytes(), width, height))
    return path
