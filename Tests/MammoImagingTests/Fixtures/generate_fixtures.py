"""Regenerates the DICOM reference values (run: make fixtures).

For real DICOM files of the PyPI packages pydicom and pydicom-data (unpacked into the MammoFM cache by
`make setup`, never committed), records what pydicom 3 with the pylibjpeg / pyjpegls plugins decodes:
exact integer statistics of the stored values (sum, sum of squares, a position-weighted checksum,
min, max) and values at fixed sample positions for the stored, modality-LUT and VOI-LUT stages
(apply_modality_lut, apply_voi_lut). Writes pydicom_reference.json.
"""
import json
import os

import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut, apply_voi_lut

HERE = os.path.dirname(os.path.abspath(__file__))

FILES = {
    # pydicom-data
    "RG1_UNCR.dcm": "data", "RG1_J2KR.dcm": "data", "RG1_J2KI.dcm": "data", "RG3_UNCR.dcm": "data", "RG3_J2KR.dcm": "data",
    "MR2_J2KR.dcm": "data", "MR2_UNCR.dcm": "data", "JPEG-LL.dcm": "data", "JPGLosslessP14SV1_1s_1f_8b.dcm": "data",
    "emri_small_jpeg_2k_lossless.dcm": "data", "emri_small_jpeg_ls_lossless.dcm": "data", "emri_small_RLE.dcm": "data",
    "emri_small_big_endian.dcm": "data", "vlut_04.dcm": "data", "mlut_18.dcm": "data", "693_J2KR.dcm": "data",
    "693_UNCR.dcm": "data",
    # pydicom's own test files
    "MR_small.dcm": "pydicom", "MR_small_RLE.dcm": "pydicom", "MR_small_jp2klossless.dcm": "pydicom",
    "MR_small_jpeg_ls_lossless.dcm": "pydicom", "MR_small_implicit.dcm": "pydicom", "MR_small_bigendian.dcm": "pydicom",
}
SAMPLES = 500


def samples(values, count):
    flat = values.reshape(-1)
    positions = np.linspace(0, flat.size - 1, num=min(count, flat.size)).astype(np.int64)
    return positions.tolist(), [float(v) for v in flat[positions]]


def main():
    entries = []
    for name, source in FILES.items():
        path = get_testdata_file(name)
        ds = pydicom.dcmread(path)
        plugins = {"decoding_plugin": "pylibjpeg"} if ds.file_meta.TransferSyntaxUID.is_compressed else {}
        if ds.file_meta.TransferSyntaxUID in ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"):
            plugins = {"decoding_plugin": "pyjpegls"}
        if plugins:
            ds.pixel_array_options(**plugins)  # an independent decoder, not GDCM
        stored = np.asarray(ds.pixel_array).astype(np.int64)
        flat = stored.reshape(-1)
        weights = np.arange(flat.size, dtype=np.int64) % 65521
        positions, stored_samples = samples(stored, SAMPLES)
        modality = apply_modality_lut(stored, ds)
        voi = apply_voi_lut(modality, ds)
        entry = {
            "file": name, "package": source, "transfer_syntax": str(ds.file_meta.TransferSyntaxUID), "shape": list(stored.shape),
            "photometric": str(ds.PhotometricInterpretation), "bits_stored": int(ds.BitsStored),
            "pixel_representation": int(ds.PixelRepresentation),
            "sum": int(flat.sum()), "sum_squares": int((flat * flat).sum()), "weighted": int((flat * weights).sum()),
            "min": int(flat.min()), "max": int(flat.max()),
            "positions": positions, "stored": stored_samples, "modality": samples(np.asarray(modality, dtype=np.float64), SAMPLES)[1],
        }
        if voi is not None and ("WindowCenter" in ds or "VOILUTSequence" in ds):
            entry["voi"] = samples(np.asarray(voi, dtype=np.float64), SAMPLES)[1]
        if "WindowCenter" in ds:
            entry["window_centers"] = [float(v) for v in np.atleast_1d(ds.WindowCenter)]
        entries.append(entry)
        print(name, entry["shape"], entry["transfer_syntax"], "voi" in entry)

    # Synthetic SIGMOID and LINEAR_EXACT windows on a real image (RG1_UNCR), as pydicom computes them.
    ds = pydicom.dcmread(get_testdata_file("RG1_UNCR.dcm"))
    arr = ds.pixel_array.astype(np.int64)
    windows = []
    for function, center, width in [("SIGMOID", 2000.0, 2500.0), ("LINEAR_EXACT", 1800.0, 3000.0), ("LINEAR", 1500.5, 1.0)]:
        ds.VOILUTFunction = function
        ds.WindowCenter, ds.WindowWidth = center, width
        out = apply_voi_lut(arr, ds)
        windows.append({"function": function, "center": center, "width": width, "values": samples(out, SAMPLES)[1]})
    with open(os.path.join(HERE, "pydicom_reference.json"), "w") as f:
        json.dump({"pydicom": pydicom.__version__, "files": entries, "rg1_windows": windows}, f)


if __name__ == "__main__":
    main()
