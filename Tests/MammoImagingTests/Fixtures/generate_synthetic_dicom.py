"""Writes the synthetic MG DICOM fixtures (run: make fixtures) and their pydicom reference values.

Small procedural breast phantoms (half-ellipse against the chest wall, smooth tissue texture, noise)
as MG files: 16-bit containers, MONOCHROME1 and MONOCHROME2, Bits Stored 12/14/16, uncompressed, JPEG
2000 lossless, JPEG-LS lossless, RLE, JPEG Lossless .70 (python-gdcm) and .57 with predictor 6 (DCMTK's
dcmcjpeg), with
laterality, view, Presentation Intent Type, windows and a rescale. Also the bad-input cases: a 1 x 1
image and a 65535 x 65535 header with almost no pixel data. Writes synthetic/*.dcm and
synthetic_reference.json (pydicom 3 + pylibjpeg / pyjpegls stored-value statistics and metadata).
"""
import json
import os
import subprocess

import gdcm
import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import (ExplicitVRLittleEndian, JPEG2000Lossless, JPEGLSLossless, RLELossless, JPEGLosslessSV1,
                         JPEGLossless, generate_uid)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "synthetic")
rng = np.random.default_rng(20261129)


def phantom(rows, cols, bits, chest_wall_right, monochrome1):
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    cx = cols - 1 if chest_wall_right else 0
    inside = ((x - cx) / (0.8 * cols)) ** 2 + ((y - rows / 2) / (0.45 * rows)) ** 2 <= 1
    texture = np.sin(x / 17.0) * np.cos(y / 23.0) + 0.5 * np.sin((x + y) / 9.0)
    density = np.where(inside, 0.55 + 0.15 * texture, 0.03)
    density += rng.normal(0, 0.01, size=density.shape)
    top = 2 ** bits - 1
    values = np.clip(density, 0, 1) * top
    if monochrome1:
        values = top - values
    return np.round(values).astype(np.uint16)


def dataset(name, rows, cols, bits, monochrome1, laterality, view, intent, chest_wall_right):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.2" if intent == "FOR PRESENTATION" else "1.2.840.10008.5.1.4.1.1.1.2.1"
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[name])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(name, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["series", name])
    ds.PatientID = "SYNTH-0001"
    ds.PatientAge = "057Y"
    ds.Modality = "MG"
    ds.Manufacturer = "MammoFM phantom"
    ds.ImageLaterality = laterality
    ds.ViewPosition = view
    ds.PresentationIntentType = intent
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.BreastImplantPresent = "NO"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    ds.RescaleSlope, ds.RescaleIntercept = 1, 0
    top = 2 ** bits - 1
    ds.WindowCenter = [top * 0.5, top * 0.45]
    ds.WindowWidth = [top * 0.8, top * 0.5]
    ds.WindowCenterWidthExplanation = ["NORMAL", "HARDER"]
    ds.PixelData = phantom(rows, cols, bits, chest_wall_right, monochrome1).tobytes()
    return ds


def gdcm_transcode(source, target, syntax):
    reader = gdcm.ImageReader()
    reader.SetFileName(source)
    assert reader.Read()
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(syntax))
    change.SetInput(reader.GetImage())
    assert change.Change()
    writer = gdcm.ImageWriter()
    writer.SetFileName(target)
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    assert writer.Write()


CASES = [
    # name, rows, cols, bits, monochrome1, laterality, view, intent, chest wall right, encoding
    ("mg_l_cc_m2_12bit_raw.dcm", 400, 320, 12, False, "L", "CC", "FOR PRESENTATION", False, "raw"),
    ("mg_r_mlo_m1_14bit_j2k.dcm", 400, 320, 14, True, "R", "MLO", "FOR PRESENTATION", True, "j2k"),
    ("mg_l_mlo_m2_16bit_jls.dcm", 360, 300, 16, False, "L", "MLO", "FOR PROCESSING", False, "jls"),
    ("mg_r_cc_m1_12bit_rle.dcm", 360, 300, 12, True, "R", "CC", "FOR PRESENTATION", True, "rle"),
    ("mg_l_cc_m2_14bit_jpegll70.dcm", 380, 300, 14, False, "L", "CC", "FOR PRESENTATION", False, "jpegll70"),
    ("mg_r_mlo_m2_16bit_jpegll57.dcm", 380, 300, 16, False, "R", "MLO", "FOR PROCESSING", True, "jpegll57"),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    reference = {}
    for name, rows, cols, bits, mono1, lat, view, intent, right, encoding in CASES:
        path = os.path.join(OUT, name)
        ds = dataset(name, rows, cols, bits, mono1, lat, view, intent, right)
        if encoding == "raw":
            ds.save_as(path, enforce_file_format=True)
        elif encoding in ("j2k", "jls", "rle"):
            syntax = {"j2k": JPEG2000Lossless, "jls": JPEGLSLossless, "rle": RLELossless}[encoding]
            ds.compress(syntax, encoding_plugin="pylibjpeg" if encoding != "jls" else "pyjpegls")
            ds.save_as(path, enforce_file_format=True)
        else:
            raw = path + ".raw.dcm"
            ds.save_as(raw, enforce_file_format=True)
            if encoding == "jpegll70":
                # JPEG Lossless SV1 (predictor 1) through python-gdcm.
                gdcm_transcode(raw, path, gdcm.TransferSyntax.JPEGLosslessProcess14_1)
            else:
                # JPEG Lossless .57 with predictor 6 through DCMTK (Debian package dcmtk).
                subprocess.run(["dcmcjpeg", "+el", "+sv", "6", raw, path], check=True)
            os.remove(raw)
        check = pydicom.dcmread(path)
        syntax = check.file_meta.TransferSyntaxUID
        if syntax.is_compressed:
            check.pixel_array_options(decoding_plugin="pyjpegls" if syntax in (JPEGLSLossless,) else "pylibjpeg")
        stored = check.pixel_array.astype(np.int64).reshape(-1)
        weights = np.arange(stored.size, dtype=np.int64) % 65521
        reference[name] = {"transfer_syntax": str(syntax), "rows": rows, "columns": cols, "bits_stored": bits,
                           "photometric": str(check.PhotometricInterpretation), "laterality": lat, "view": view,
                           "intent": intent, "chest_wall_right": right,
                           "sum": int(stored.sum()), "weighted": int((stored * weights).sum()),
                           "min": int(stored.min()), "max": int(stored.max())}
        print(name, syntax, os.path.getsize(path))

    # Bad inputs.
    tiny = dataset("tiny.dcm", 1, 1, 12, False, "L", "CC", "FOR PRESENTATION", False)
    tiny.PixelData = b"\x10\x00"
    tiny.save_as(os.path.join(OUT, "bad_1x1.dcm"), enforce_file_format=True)
    huge = dataset("huge.dcm", 4, 4, 16, False, "L", "CC", "FOR PRESENTATION", False)
    huge.Rows, huge.Columns = 65535, 65535
    huge.PixelData = b"\x00\x01" * 8
    huge.save_as(os.path.join(OUT, "bad_65535x65535_header.dcm"), enforce_file_format=True)
    with open(os.path.join(HERE, "synthetic_reference.json"), "w") as f:
        json.dump(reference, f, indent=1)


if __name__ == "__main__":
    main()
