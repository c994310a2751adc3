#!/usr/bin/env python3
"""Writes the crafted bad inputs of CraftedInputTests into crafted/: one file per class of damage that
once trapped or could trap a reader (header numbers out of range, overflowing sizes, decompression
bombs, cyclic or deep pickles, overlapping tensor views, ragged CSVs, ambiguous YAML). Standard
library only, so the bytes are exactly these and need no reference environment.

Usage: python3 generate_crafted_inputs.py   (rewrites crafted/ beside this script)
"""
import io
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "crafted")

# ---------------------------------------------------------------- DICOM (explicit VR little endian)
def element(group, elem, vr, value):
    if isinstance(value, str):
        value = value.encode("ascii")
        if len(value) % 2:
            value += b"\0" if vr == "UI" else b" "
    if vr in ("OB", "OW", "SQ", "UN", "UT"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


def us(v):
    return struct.pack("<H", v)


def dicom(name, overrides=None, pixels=None, extra=b""):
    """A small 16-bit MG image (8 x 8), with header fields replaced by `overrides` {(g, e): (vr, value)}."""
    rows, columns = 8, 8
    fields = {
        (0x0008, 0x0016): ("UI", "1.2.840.10008.5.1.4.1.1.1.2"),
        (0x0008, 0x0018): ("UI", "2.25.1"),
        (0x0008, 0x0060): ("CS", "MG"),
        (0x0010, 0x0020): ("LO", "CRAFTED"),
        (0x0020, 0x000D): ("UI", "2.25.2"),
        (0x0020, 0x000E): ("UI", "2.25.3"),
        (0x0020, 0x0062): ("CS", "L"),
        (0x0028, 0x0002): ("US", us(1)),
        (0x0028, 0x0004): ("CS", "MONOCHROME2"),
        (0x0028, 0x0010): ("US", us(rows)),
        (0x0028, 0x0011): ("US", us(columns)),
        (0x0028, 0x0100): ("US", us(16)),
        (0x0028, 0x0101): ("US", us(12)),
        (0x0028, 0x0102): ("US", us(11)),
        (0x0028, 0x0103): ("US", us(0)),
        (0x0028, 0x1050): ("DS", "2048"),
        (0x0028, 0x1051): ("DS", "4096"),
    }
    fields.update(overrides or {})
    body = b"".join(element(g, e, vr, v) for (g, e), (vr, v) in sorted(fields.items())) + extra
    if pixels is None:
        pixels = bytes(2 * rows * columns)
    body += element(0x7FE0, 0x0010, "OW", pixels)
    syntax = "1.2.840.10008.1.2.1"
    meta = (element(0x0002, 0x0001, "OB", b"\0\1") + element(0x0002, 0x0002, "UI", fields[(0x0008, 0x0016)][1])
            + element(0x0002, 0x0003, "UI", "2.25.1") + element(0x0002, 0x0010, "UI", syntax)
            + element(0x0002, 0x0012, "UI", "2.25.4"))
    meta = element(0x0002, 0x0000, "UL", struct.pack("<I", len(meta))) + meta
    write(name, b"\0" * 128 + b"DICM" + meta + body)


def voi_lut_sequence(descriptor):
    item = element(0x0028, 0x3002, "US", descriptor) + element(0x0028, 0x3006, "OW", bytes(8))
    item = struct.pack("<HHI", 0xFFFE, 0xE000, len(item)) + item
    return struct.pack("<HH2sHI", 0x0028, 0x3010, b"SQ", 0, len(item)) + item


# ---------------------------------------------------------------- torch.save archives
def torch_zip(name, pickle_bytes, storages=None, archive="archive"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{archive}/data.pkl", pickle_bytes)
        z.writestr(f"{archive}/byteorder", "little")
        for key, data in (storages or {}).items():
            z.writestr(f"{archive}/data/{key}", data)
        z.writestr(f"{archive}/version", "3\n")
    write(name, buffer.getvalue())


PROTO = b"\x80\x02"


def short_string(text):
    data = text.encode()
    return b"\x8c" + bytes([len(data)]) + data   # SHORT_BINUNICODE


def rebuild_tensor(size, stride, offset=0, elements=4):
    """A pickle of {'w': _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}."""
    def ints(values):
        return b"(" + b"".join(b"J" + struct.pack("<i", v) if -2**31 <= v < 2**31 else b"\x8a\x08" + struct.pack("<q", v)
                              for v in values) + b"t"
    storage = (b"(" + short_string("storage") + b"ctorch\nFloatStorage\n" + short_string("0") + short_string("cpu")
               + b"J" + struct.pack("<i", elements) + b"tQ")
    call = (b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage + b"J" + struct.pack("<i", offset) + ints(size) + ints(stride)
            + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR")
    return PROTO + b"}" + short_string("w") + call + b"s."


# ---------------------------------------------------------------- safetensors
def safetensors(name, header, data=b""):
    text = header.encode()
    write(name, struct.pack("<Q", len(text)) + text + data)


# ---------------------------------------------------------------- PNG
def png(name, width, height, bit_depth=16, idat=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(bytes(1024), 9)
    write(name, b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    # DICOM: header numbers that are not what DICOM allows.
    dicom("dicom_frames_1e99.dcm", {(0x0028, 0x0008): ("IS", "1e99")})
    dicom("dicom_frames_nan.dcm", {(0x0028, 0x0008): ("IS", "NaN")})
    dicom("dicom_rescale_slope_infinite.dcm", {(0x0028, 0x1053): ("DS", "1e999"), (0x0028, 0x1052): ("DS", "0")})
    dicom("dicom_window_center_nan.dcm", {(0x0028, 0x1050): ("DS", "nan")})
    dicom("dicom_lut_descriptor_negative.dcm", extra=voi_lut_sequence(struct.pack("<hHH", -5, 0, 16)))
    dicom("dicom_samples_per_pixel_7.dcm", {(0x0028, 0x0002): ("US", us(7))})
    # 65535 x 65535 at 16 bits: 8 GiB claimed by a 300-byte file.
    dicom("dicom_claims_8_gib.dcm", {(0x0028, 0x0010): ("US", us(65535)), (0x0028, 0x0011): ("US", us(65535))})
    # torch.save: offsets, views and structures that overflow, overlap or never end.
    good = rebuild_tensor([2, 2], [2, 1])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", good)
    data = bytearray(buffer.getvalue())
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<H", data, eocd + 10, 0xFFFF)        # entries on this disk
    struct.pack_into("<I", data, eocd + 12, 0xFFFFFFFF)    # central directory size
    struct.pack_into("<I", data, eocd + 16, 0xFFFFFFFF)    # central directory offset
    locator = struct.pack("<IIQI", 0x07064B50, 0, 0xFFFFFFFFFFFFFFF0, 1)
    write("weights_zip64_offset_overflow.pt", bytes(data[:eocd]) + locator + bytes(data[eocd:]))
    torch_zip("weights_zero_stride_expansion.pt", rebuild_tensor([1 << 30], [0]), {"0": bytes(16)})
    torch_zip("weights_negative_stride.pt", rebuild_tensor([2, 2], [-1, 1], offset=3), {"0": bytes(16)})
    torch_zip("weights_stride_overflow.pt", rebuild_tensor([3, 3], [1 << 62, 1 << 62]), {"0": bytes(16)})
    # A list that holds itself: EMPTY_LIST, MEMOIZE, BINGET 0, APPEND, STOP.
    torch_zip("weights_cyclic_pickle.pt", PROTO + b"]\x94h\x00a.")
    # 200,000 nested one-tuples: recursion in printing or freeing would overflow the stack.
    torch_zip("weights_deep_pickle.pt", PROTO + b"N" + b"\x85" * 200_000 + b".")
    # A deep tuple popped by an opcode that then finds the stack empty (freed while loading; found by fuzzing).
    torch_zip("weights_deep_tuple_then_underflow.pt", PROTO + b"N" + b"\x85" * 200_000 + b"\x87.")
    # A BreastClip-like state dict whose stem weight has rank 1 (the architecture is read from ranks).
    stem = (b"ctorch._utils\n_rebuild_tensor_v2\n((" + short_string("storage") + b"ctorch\nFloatStorage\n" + short_string("0")
            + short_string("cpu") + b"J\x04\x00\x00\x00tQJ\x00\x00\x00\x00(J\x04\x00\x00\x00t(J\x01\x00\x00\x00t\x89"
            + b"ccollections\nOrderedDict\n)RtR")
    state = PROTO + b"}" + short_string("model") + b"}" + short_string("image_encoder._conv_stem.weight") + stem + b"s" \
        + short_string("image_encoder._conv_head.weight") + stem + b"ss."
    torch_zip("weights_rank_mismatch.tar", state, {"0": bytes(16)})
    safetensors("weights_shape_overflow.safetensors",
                '{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,16]}}', bytes(16))
    with open(os.path.join(OUT, "weights_header_length_huge.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 0xFFFFFFFFFFFFFFFF) + b"{}")
    # PNG: an 8000 x 8000 16-bit image (128 MB inflated) in 74 bytes, and 60000 x 60000, beyond the sample limit.
    png("png_decompression_bomb.png", 8000, 8000)
    png("png_too_many_pixels.png", 60000, 60000)
    # CSV: a ragged line and an unterminated quote.
    write("csv_ragged.csv", b"image_id,patient_id,laterality\nI1,P1,L\nI2,P2\n")
    write("csv_unterminated_quote.csv", b"path\n\"never closed.dcm\n")
    # YAML: two spellings of one setting; anchors that expand exponentially; numbers out of range.
    write("yaml_two_spellings.yaml", b"training:\n  batch_size: 8\n  batchSize: 16\n")
    laughs = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
    write("yaml_billion_laughs.yaml", laughs.encode())
    write("yaml_epochs_1e99.yaml", b"training:\n  epochs: 1e99\n")
    # A list as a mapping key (YAML allows it; the YAML library's own tree builder trapped on it; found by fuzzing).
    write("yaml_list_as_key.yaml", b"training:\n  [batch_size, epochs]: 8\n")
    write("yaml_learning_rate_nan.yaml", b"training:\n  learning_rate: .nan\n")


if __name__ == "__main__":
    main()
