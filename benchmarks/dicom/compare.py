"""DICOM-to-model-input benchmark: full-size mammograms (3328 x 2560, 16-bit) compressed as JPEG 2000
lossless and JPEG Lossless (.70) go through the `mammoclip` preprocessing to 1520 x 912 PNGs, by
MammoFM (`mammofm preprocess`) and by the reference pipeline in Python (pydicom + pylibjpeg decoding,
the reference's own steps, OpenCV INTER_AREA, cv2.imwrite) on a process pool, both with every core in
use, in one run. Prints files per second and the ratio. Run with `make bench-dicom`.
"""
import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time

import cv2
import gdcm
import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid


def phantom(seed, rows=3328, cols=2560):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    inside = (x / (0.8 * cols)) ** 2 + ((y - rows / 2) / (0.45 * rows)) ** 2 <= 1
    texture = np.sin(x / 37.0) * np.cos(y / 41.0) + 0.5 * np.sin((x + y) / 19.0)
    density = np.where(inside, 0.55 + 0.15 * texture, 0.03) + rng.normal(0, 0.004, size=(rows, cols)).astype(np.float32)
    return np.round(np.clip(density, 0, 1) * 16383).astype(np.uint16)


def write(path, seed, syntax):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientID = "MG", "BENCH"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 3328, 2560, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 14, 13, 0
    ds.PixelData = phantom(seed).tobytes()
    if syntax == "j2k":
        ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
        ds.save_as(path, enforce_file_format=True)
        return
    raw = path + ".raw"
    ds.save_as(raw, enforce_file_format=True)
    reader = gdcm.ImageReader()
    reader.SetFileName(raw)
    reader.Read()
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(gdcm.TransferSyntax.JPEGLosslessProcess14_1))
    change.SetInput(reader.GetImage())
    change.Change()
    writer = gdcm.ImageWriter()
    writer.SetFileName(path)
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    writer.Write()
    os.remove(raw)


# ---- the reference's steps (preprocess_image_to_png_vindr.py), pydicom in place of dicomsdl ----
def np_CountUpContinuingOnes(b_arr):
    left = np.arange(len(b_arr)); left[b_arr > 0] = 0; left = np.maximum.accumulate(left)
    rev_arr = b_arr[::-1]; right = np.arange(len(rev_arr)); right[rev_arr > 0] = 0
    right = np.maximum.accumulate(right); right = len(rev_arr) - 1 - right[::-1]
    return right - left - 1


def ExtractBreast(img):
    img_copy = img.copy()
    img = np.where(img <= 40, 0, img)
    height, _ = img.shape
    y_a, y_b = height // 2 + int(height * 0.4), height // 2 - int(height * 0.4)
    b_arr = img[y_b:y_a].std(axis=0) != 0
    c = np_CountUpContinuingOnes(b_arr)
    col_ind = np.where(c == c.max())[0]
    img = img[:, col_ind]
    _, width = img.shape
    x_a, x_b = width // 2 + int(width * 0.4), width // 2 - int(width * 0.4)
    b_arr = img[:, x_b:x_a].std(axis=1) != 0
    c = np_CountUpContinuingOnes(b_arr)
    row_ind = np.where(c == c.max())[0]
    return img_copy[row_ind][:, col_ind]


def reference_one(job):
    source, target = job
    ds = pydicom.dcmread(source)
    ds.pixel_array_options(decoding_plugin="pylibjpeg")
    data = ds.pixel_array.astype(np.float32)[5:-5, 5:-5]
    if ds.PhotometricInterpretation == "MONOCHROME1":
        data = np.amax(data) - data
    data = data - np.min(data)
    data = data / np.max(data)
    data = (data * 255).astype(np.uint8)
    img = cv2.resize(ExtractBreast(data), (912, 1520), interpolation=cv2.INTER_AREA)
    cv2.imwrite(target, img)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mammofm", required=True, help="the mammofm executable")
    parser.add_argument("--files", type=int, default=8, help="files per transfer syntax")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    cv2.setNumThreads(1)
    folder = tempfile.mkdtemp(prefix="mammofm-dicom-bench-")
    try:
        inputs = os.path.join(folder, "in")
        os.makedirs(inputs)
        for syntax in ("j2k", "jpegll"):
            write(os.path.join(inputs, f"{syntax}_0.dcm"), 0, syntax)
            for i in range(1, args.files):  # the same pixels: encoding time is not what is measured
                shutil.copy(os.path.join(inputs, f"{syntax}_0.dcm"), os.path.join(inputs, f"{syntax}_{i}.dcm"))
        results = []
        for syntax in ("j2k", "jpegll"):
            subset = os.path.join(folder, "in_" + syntax)
            os.makedirs(subset)
            for name in os.listdir(inputs):
                if name.startswith(syntax):
                    os.link(os.path.join(inputs, name), os.path.join(subset, name))
            out = os.path.join(folder, "out_mammofm_" + syntax)
            start = time.perf_counter()
            subprocess.run([args.mammofm, "preprocess", subset, "--out", out, "--profile", "mammoclip", "--jobs", str(args.jobs)],
                           check=True, capture_output=True)
            mammofm = args.files / (time.perf_counter() - start)
            python_out = os.path.join(folder, "out_python_" + syntax)
            os.makedirs(python_out)
            jobs = [(os.path.join(subset, n), os.path.join(python_out, n + ".png")) for n in sorted(os.listdir(subset))]
            start = time.perf_counter()
            with multiprocessing.Pool(args.jobs) as pool:
                pool.map(reference_one, jobs)
            python = args.files / (time.perf_counter() - start)
            results.append((syntax, mammofm, python))
        print(f"DICOM benchmark: {args.files} files of 3328 x 2560 x 16 bit per syntax -> mammoclip profile 1520 x 912 PNG, "
              f"{args.jobs} jobs each side")
        print(f"{'syntax':10} {'MammoFM files/s':>16} {'Python files/s':>15} {'ratio':>6}")
        for syntax, m, p in results:
            print(f"{syntax:10} {m:16.2f} {p:15.2f} {m / p:6.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
